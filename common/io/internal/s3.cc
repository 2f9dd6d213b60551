#include "common/io/internal/s3.h"

#include <fnmatch.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <pugixml.hpp>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/io/internal/strings.h"
#include "common/status_macros.h"

namespace weft::io::internal {
namespace {

constexpr char kS3Scheme[] = "s3://";
constexpr size_t kS3SchemeSize = sizeof(kS3Scheme) - 1;

std::string S3Url(const S3Path& path) {
  return path.key.empty() ? absl::StrCat(kS3Scheme, path.bucket)
                          : absl::StrCat(kS3Scheme, path.bucket, "/", path.key);
}

// The http(s) URL of bucket/key at the endpoint, path-style (endpoint/bucket/key) or
// virtual-host style (bucket.host/key).
std::string HttpUrlOf(const IoOptions& options, const S3Path& path) {
  const std::string endpoint = options.EffectiveS3Endpoint();
  const std::string key = AwsUriEncode(path.key, /*keep_slash=*/true);
  // Dotted bucket names do not match the endpoint's TLS certificate as a host name.
  if (options.path_style || path.bucket.find('.') != std::string::npos) {
    return key.empty() ? absl::StrCat(endpoint, "/", path.bucket)
                       : absl::StrCat(endpoint, "/", path.bucket, "/", key);
  }
  const size_t host_start = endpoint.find("://");
  if (host_start == std::string::npos) return absl::StrCat(path.bucket, ".", endpoint, "/", key);
  return absl::StrCat(endpoint.substr(0, host_start + 3), path.bucket, ".",
                      endpoint.substr(host_start + 3), "/", key);
}

// The request for bucket/key?query. Unless options are anonymous it is signed, with
// payload_sha256 (hex, or UNSIGNED-PAYLOAD) as the payload hash. `action` words its
// error messages.
HttpRequest MakeSignedRequest(const IoOptions& options, const S3Path& path, std::string query,
                              std::string_view payload_sha256, std::string action) {
  HttpRequest request;
  request.url = HttpUrlOf(options, path);
  if (!query.empty()) absl::StrAppend(&request.url, "?", query);
  request.display_url = S3Url(path);
  request.follow_redirects = false;  // a redirect means a wrong region: report it
  if (!options.anonymous()) {
    // libcurl 7.88 signs with SigV4 itself. It uses a user-supplied x-amz-content-sha256
    // as the payload hash (S3 requires the header), signs every header we add (so the
    // session token too), and signs the query string as it is in the URL — it does not
    // sort it (curl issue #9717), hence the canonical queries built by the callers.
    request.aws_sigv4 = absl::StrCat("aws:amz:", options.region, ":s3");
    request.user_pwd = absl::StrCat(options.access_key_id, ":", options.secret_access_key);
    request.headers.push_back(absl::StrCat("x-amz-content-sha256: ", Sv(payload_sha256)));
    if (!options.session_token.empty()) {
      request.headers.push_back(absl::StrCat("x-amz-security-token: ", options.session_token));
    }
  }
  const std::string endpoint = EndpointOf(request.url);
  request.error_mapper = [path, endpoint, action = std::move(action)](long code,
                                                                      const std::string& body) {
    return S3ErrorStatus(code, body, path, endpoint, action);
  };
  return request;
}

// Fetches a whole (small) response: a listing page.
absl::StatusOr<std::string> FetchS3Body(const IoOptions& options, const S3Path& path,
                                        std::string query) {
  HttpRequest request = MakeS3Request(options, path, std::move(query));
  request.resumable = false;
  WEFT_ASSIGN_OR_RETURN(auto stream, OpenHttp(std::move(request), options, 0, std::nullopt));
  return ReadStream(*stream);
}

}  // namespace

absl::StatusOr<S3Path> ParseS3Url(std::string_view url) {
  if (!StartsWith(url, kS3Scheme)) {
    return absl::InvalidArgumentError(absl::StrCat("not an s3:// url: ", Sv(url)));
  }
  std::string_view rest = url.substr(kS3SchemeSize);
  const size_t slash = rest.find('/');
  S3Path path;
  path.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) path.key = std::string(rest.substr(slash + 1));
  if (path.bucket.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("s3 url without a bucket: ", Sv(url)));
  }
  return path;
}

std::string AwsUriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '_' || u == '.' || u == '~' || (keep_slash && u == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

HttpRequest MakeS3Request(const IoOptions& options, const S3Path& path, std::string query) {
  return MakeSignedRequest(options, path, std::move(query), "UNSIGNED-PAYLOAD", "reading");
}

absl::StatusOr<HttpRequest> MakeS3PutRequest(const IoOptions& options, const S3Path& path,
                                             std::string_view payload) {
  std::string payload_sha256;  // anonymous requests carry no signature to bind it to
  if (!options.anonymous()) {
    WEFT_ASSIGN_OR_RETURN(payload_sha256, Sha256Hex(payload));
  }
  return MakeSignedRequest(options, path, "", payload_sha256, "writing");
}

absl::StatusOr<std::string> Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("OpenSSL's EVP_Digest(SHA-256) failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

absl::Status S3ErrorStatus(long http_code, std::string_view body, const S3Path& path,
                           std::string_view endpoint, std::string_view action) {
  const std::string code = XmlText(body, "Code");
  const std::string detail =
      code.empty() ? absl::StrCat("HTTP ", http_code)
                   : absl::StrCat(code, ": ", XmlText(body, "Message"), " (HTTP ", http_code, ")");
  const std::string url = S3Url(path);
  if (code == "NoSuchBucket") {
    return absl::NotFoundError(absl::StrCat("S3 bucket '", path.bucket, "' does not exist at ",
                                            Sv(endpoint), " (", Sv(action), " ", url, ")"));
  }
  if (code == "NoSuchKey" || http_code == 404) {
    return absl::NotFoundError(absl::StrCat("no such S3 object: key '", path.key, "' in bucket '",
                                            path.bucket, "' (", url, "): ", detail));
  }
  if (http_code == 401 || http_code == 403) {
    return absl::PermissionDeniedError(absl::StrCat(
        "access denied to ", url,
        " (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, or unset "
        "them for a public bucket): ",
        detail));
  }
  if (http_code == 301 || http_code == 307) {
    return absl::FailedPreconditionError(
        absl::StrCat("S3 redirected ", url, " away from ", Sv(endpoint),
                     "; the bucket is probably in another region (set AWS_REGION): ", detail));
  }
  if (http_code == 416) return absl::OutOfRangeError(absl::StrCat(url, ": ", detail));
  return absl::FailedPreconditionError(
      absl::StrCat("S3 request for ", url, " at ", Sv(endpoint), " failed: ", detail));
}

// The document's root element, or an empty node when `xml` does not parse.
pugi::xml_node XmlRoot(pugi::xml_document& doc, std::string_view xml) {
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  return parsed ? doc.document_element() : pugi::xml_node();
}

std::string XmlText(std::string_view xml, std::string_view tag) {
  pugi::xml_document doc;
  const pugi::xml_node root = XmlRoot(doc, xml);
  const std::string name(tag);
  if (root.name() == name) return root.child_value();
  return root.child(name.c_str()).child_value();
}

absl::StatusOr<ListPage> ParseListObjectsV2(std::string_view xml) {
  pugi::xml_document doc;
  const pugi::xml_node root = XmlRoot(doc, xml);
  if (std::string_view(root.name()) != "ListBucketResult") {
    return absl::DataLossError(
        absl::StrCat("not a ListObjectsV2 response: ", Sv(xml.substr(0, 200))));
  }
  ListPage page;
  for (const pugi::xml_node contents : root.children("Contents")) {
    const pugi::xml_node key = contents.child("Key");
    if (!key) return absl::DataLossError("a <Contents> without a <Key>");
    int64_t size = -1;
    if (!absl::SimpleAtoi(contents.child_value("Size"), &size)) size = -1;
    page.objects.emplace_back(key.child_value(), size);
  }
  page.truncated = std::string_view(root.child_value("IsTruncated")) == "true";
  page.next_continuation_token = root.child_value("NextContinuationToken");
  if (page.truncated && page.next_continuation_token.empty()) {
    return absl::DataLossError("truncated ListObjectsV2 page without a continuation token");
  }
  return page;
}

absl::StatusOr<std::vector<FileInfo>> S3ListPrefix(const IoOptions& options,
                                                   const std::string& bucket,
                                                   const std::string& prefix) {
  std::vector<FileInfo> files;
  std::string token;
  do {
    // Canonical query: parameters sorted by name, values encoded.
    std::string query;
    if (!token.empty()) {
      absl::StrAppend(&query, "continuation-token=", AwsUriEncode(token, false), "&");
    }
    absl::StrAppend(&query, "list-type=2&max-keys=", options.s3_max_keys,
                    "&prefix=", AwsUriEncode(prefix, false));
    WEFT_ASSIGN_OR_RETURN(std::string body,
                          FetchS3Body(options, S3Path{bucket, ""}, std::move(query)));
    WEFT_ASSIGN_OR_RETURN(ListPage page, ParseListObjectsV2(body));
    for (auto& [key, size] : page.objects) {
      files.push_back(FileInfo{absl::StrCat(kS3Scheme, bucket, "/", key), size});
    }
    token = page.truncated ? page.next_continuation_token : "";
  } while (!token.empty());
  return files;
}

absl::StatusOr<std::vector<FileInfo>> S3Glob(std::string_view pattern, const IoOptions& options) {
  WEFT_ASSIGN_OR_RETURN(S3Path path, ParseS3Url(pattern));
  const size_t wildcard = path.key.find_first_of("*?[");
  const bool is_glob = wildcard != std::string::npos;
  const std::string prefix = path.key.substr(0, wildcard);
  WEFT_ASSIGN_OR_RETURN(std::vector<FileInfo> listed, S3ListPrefix(options, path.bucket, prefix));
  const size_t key_start = kS3SchemeSize + path.bucket.size() + 1;
  std::vector<FileInfo> files;
  for (FileInfo& file : listed) {
    const std::string key = file.url.substr(key_start);
    if (EndsWith(key, "/")) continue;  // "folder" marker objects
    const bool match = is_glob ? fnmatch(path.key.c_str(), key.c_str(), 0) == 0 : key == path.key;
    if (match) files.push_back(std::move(file));
  }
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat("no S3 objects match ", Sv(pattern)));
  }
  std::sort(files.begin(), files.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.url < b.url; });
  return files;
}

absl::StatusOr<std::unique_ptr<InputStream>> S3OpenRead(std::string_view url,
                                                        const IoOptions& options, uint64_t offset,
                                                        std::optional<uint64_t> length) {
  WEFT_ASSIGN_OR_RETURN(S3Path path, ParseS3Url(url));
  if (path.key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("s3 url without a key: ", Sv(url)));
  }
  return OpenHttp(MakeS3Request(options, path, ""), options, offset, length);
}

absl::Status S3Write(std::string_view url, std::string_view data, const IoOptions& options) {
  WEFT_ASSIGN_OR_RETURN(S3Path path, ParseS3Url(url));
  if (path.key.empty() || EndsWith(path.key, "/")) {
    return absl::InvalidArgumentError(absl::StrCat("s3 url without an object key: ", Sv(url)));
  }
  if (data.size() > kMaxS3PutBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write ", Sv(url), ": ", data.size(),
                     " bytes exceed the 5 GiB that one S3 PUT may carry (weft does no "
                     "multipart uploads; write smaller partitions)"));
  }
  WEFT_ASSIGN_OR_RETURN(HttpRequest request, MakeS3PutRequest(options, path, data));
  return HttpPut(request, data, options);
}

}  // namespace weft::io::internal
