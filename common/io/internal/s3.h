// S3 (and S3-compatible servers): URL parsing, SigV4-signed requests through libcurl,
// ListObjectsV2 listing and error mapping. Private to //common/io.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/io/internal/http.h"
#include "common/io/io.h"

namespace weft::io::internal {

struct S3Path {
  std::string bucket;
  std::string key;  // may be empty
};

// "s3://bucket/key" → {bucket, key}. kInvalidArgument without a bucket.
absl::StatusOr<S3Path> ParseS3Url(std::string_view url);

// AWS SigV4 URI encoding: everything but A-Z a-z 0-9 - _ . ~ (and '/' if keep_slash)
// becomes %XX with upper-case hex.
std::string AwsUriEncode(std::string_view s, bool keep_slash);

// A GET request for bucket/key (key empty: the bucket itself) with the query string
// `query` (already canonical: sorted by name, values AwsUriEncode'd — libcurl 7.88 signs
// the query as given, see s3.cc). Signed unless options are anonymous, with
// x-amz-content-sha256: UNSIGNED-PAYLOAD (a GET has no payload).
HttpRequest MakeS3Request(const IoOptions& options, const S3Path& path, std::string query);

// A PUT request of `payload` to bucket/key (for HttpPut). Signed unless options are
// anonymous, with the payload's SHA-256 as x-amz-content-sha256, so S3 rejects a body
// altered on the way.
absl::StatusOr<HttpRequest> MakeS3PutRequest(const IoOptions& options, const S3Path& path,
                                             std::string_view payload);

// Lower-case hex SHA-256 of data (OpenSSL's libcrypto): SigV4's payload hash.
absl::StatusOr<std::string> Sha256Hex(std::string_view data);

// Maps an S3 error response: 404 → kNotFound (NoSuchBucket vs NoSuchKey), 401/403 →
// kPermissionDenied naming the object and the AWS_* variables, 301/307 →
// kFailedPrecondition (wrong region), others → kFailedPrecondition with S3's message.
// `action` ("reading", "writing") says what was being done, for the message.
absl::Status S3ErrorStatus(long http_code, std::string_view body, const S3Path& path,
                           std::string_view endpoint, std::string_view action);

struct ListPage {
  std::vector<std::pair<std::string, int64_t>> objects;  // key, size
  bool truncated = false;
  std::string next_continuation_token;
};

// Parses one ListObjectsV2 response body.
absl::StatusOr<ListPage> ParseListObjectsV2(std::string_view xml);

// The text of the root element when it is <tag>, else of its first <tag> child, with
// entities decoded (pugixml); "" if absent or when `xml` does not parse (an error body
// that is not XML).
std::string XmlText(std::string_view xml, std::string_view tag);

// All objects of bucket whose key starts with prefix, following continuation tokens.
absl::StatusOr<std::vector<FileInfo>> S3ListPrefix(const IoOptions& options,
                                                   const std::string& bucket,
                                                   const std::string& prefix);

// s3://bucket/key-glob → matching objects (see ExpandGlob in io.h).
absl::StatusOr<std::vector<FileInfo>> S3Glob(std::string_view pattern, const IoOptions& options);

absl::StatusOr<std::unique_ptr<InputStream>> S3OpenRead(std::string_view url,
                                                        const IoOptions& options, uint64_t offset,
                                                        std::optional<uint64_t> length);

// The largest object one PUT may create (S3's limit; bigger ones need a multipart
// upload, which weft does not do).
inline constexpr uint64_t kMaxS3PutBytes = uint64_t{5} << 30;

// Writes data as the object at url (s3://bucket/key) with one signed PUT, retried like
// reads (HttpPut). kInvalidArgument for a url without a key or data over kMaxS3PutBytes.
absl::Status S3Write(std::string_view url, std::string_view data, const IoOptions& options);

}  // namespace weft::io::internal
