// IoOptions defaults from the AWS_* environment variables.
#include <cstdlib>
#include <string>

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
  options.s3_endpoint = GetEnv("AWS_ENDPOINT_URL");
  while (!options.s3_endpoint.empty() && options.s3_endpoint.back() == '/') {
    options.s3_endpoint.pop_back();
  }
  std::string region = GetEnv("AWS_REGION");
  if (region.empty()) region = GetEnv("AWS_DEFAULT_REGION");
  if (!region.empty()) options.region = region;
  options.access_key_id = GetEnv("AWS_ACCESS_KEY_ID");
  options.secret_access_key = GetEnv("AWS_SECRET_ACCESS_KEY");
  options.session_token = GetEnv("AWS_SESSION_TOKEN");
  // S3-compatible servers behind an endpoint override rarely resolve bucket.host names.
  options.path_style = !options.s3_endpoint.empty();
  return options;
}

std::string IoOptions::EffectiveS3Endpoint() const {
  std::string endpoint = s3_endpoint;
  if (endpoint.empty()) endpoint = "https://s3." + region + ".amazonaws.com";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

}  // namespace weft::io
