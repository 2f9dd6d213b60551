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

// A request for bucket/key (key empty: the bucket itself) with the query string `query`
// (already canonical: sorted by name, values AwsUriEncode'd — libcurl 7.88 signs the
// query as given, see s3.cc). Signed unless options are anonymous.
HttpRequest MakeS3Request(const IoOptions& options, const S3Path& path, std::string query);

// Maps an S3 error response: 404 → kNotFound (NoSuchBucket vs NoSuchKey), 401/403 →
// kPermissionDenied naming the object and the AWS_* variables, 301/307 →
// kFailedPrecondition (wrong region), others → kFailedPrecondition with S3's message.
absl::Status S3ErrorStatus(long http_code, std::string_view body, const S3Path& path,
                           std::string_view endpoint);

struct ListPage {
  std::vector<std::pair<std::string, int64_t>> objects;  // key, size
  bool truncated = false;
  std::string next_continuation_token;
};

// Parses one ListObjectsV2 response body.
absl::StatusOr<ListPage> ParseListObjectsV2(std::string_view xml);

// The text of the first <tag>...</tag> in xml, with entities decoded; "" if absent.
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

}  // namespace weft::io::internal
