// IoOptions defaults from the AWS_* environment variables, and the endpoint override.
#include <cstdlib>
#include <string>
#include <utility>

#include "common/io/io.h"

namespace weft::io {
namespace {

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

IoOptions IoOptions::FromEnvironment() {
  IoOptions options;
  options.SetS3Endpoint(GetEnv("AWS_ENDPOINT_URL"));
  std::string region = GetEnv("AWS_REGION");
  if (region.empty()) region = GetEnv("AWS_DEFAULT_REGION");
  if (!region.empty()) options.region = region;
  options.access_key_id = GetEnv("AWS_ACCESS_KEY_ID");
  options.secret_access_key = GetEnv("AWS_SECRET_ACCESS_KEY");
  options.session_token = GetEnv("AWS_SESSION_TOKEN");
  return options;
}

void IoOptions::SetS3Endpoint(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  s3_endpoint = std::move(endpoint);
  path_style = !s3_endpoint.empty();
}

std::string IoOptions::EffectiveS3Endpoint() const {
  std::string endpoint = s3_endpoint;
  if (endpoint.empty()) endpoint = "https://s3." + region + ".amazonaws.com";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

}  // namespace weft::io
