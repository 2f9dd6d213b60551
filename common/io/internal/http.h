// HTTP(S) with libcurl: GETs as a streaming InputStream with retries and resume, and
// PUTs of a body held in memory, with the same retries. Private to //common/io; the S3
// code builds signed requests on top of it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/io/io.h"

namespace weft::io::internal {

// Turns a final (non-retryable) response with status >= 300 into a Status.
using HttpErrorMapper = std::function<absl::Status(long http_code, const std::string& body)>;

struct HttpRequest {
  std::string url;                   // what curl fetches
  std::string display_url;           // what error messages and InputStream::url() name
  std::vector<std::string> headers;  // extra "Name: value" request headers
  std::string aws_sigv4;             // CURLOPT_AWS_SIGV4 ("aws:amz:REGION:s3"); empty: none
  std::string user_pwd;              // "key:secret" for aws_sigv4
  bool follow_redirects = true;
  // GETs: a transfer that fails after delivering bytes resumes with a ranged GET
  // (objects); a non-resumable one (a listing page) fails instead. PUTs ignore it.
  bool resumable = true;
  HttpErrorMapper error_mapper;  // null: DefaultHttpError(code, display_url)
};

// 404/410 → kNotFound, 401/403 → kPermissionDenied, 416 → kOutOfRange, other →
// kFailedPrecondition; the message names url.
absl::Status DefaultHttpError(long http_code, std::string_view url);

// "scheme://host[:port]" of url (the whole url if it has no path).
std::string EndpointOf(std::string_view url);

// Starts the GET of bytes [offset, offset+length) and waits for the response status
// (retrying transient failures, see IoOptions), so that HTTP errors are returned here.
// The stream buffers at most ~1 MiB; see io.h for the threading model.
absl::StatusOr<std::unique_ptr<InputStream>> OpenHttp(HttpRequest request, const IoOptions& options,
                                                      uint64_t offset,
                                                      std::optional<uint64_t> length);

// PUTs `body` to request.url in one request (headers and signing as for GETs). 5xx,
// 429, 408 answers and transient transport failures are retried like GETs (each attempt
// sends the whole body again), then kUnavailable naming the endpoint; any other answer
// >= 300 goes through request.error_mapper (DefaultHttpError when null). Blocks the
// calling thread until the server has answered.
absl::Status HttpPut(const HttpRequest& request, std::string_view body, const IoOptions& options);

}  // namespace weft::io::internal
