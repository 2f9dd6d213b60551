// Dispatch by url scheme to the local, http(s) and s3 implementations in internal/.
#include "common/io/io.h"

#include <algorithm>
#include <optional>

#include "common/io/internal/http.h"
#include "common/io/internal/local_fs.h"
#include "common/io/internal/s3.h"
#include "common/io/internal/strings.h"
#include "common/status_macros.h"

namespace weft::io {
namespace {

enum class Scheme { kLocal, kHttp, kS3 };

Scheme SchemeOf(std::string_view url) {
  if (internal::StartsWith(url, "s3://")) return Scheme::kS3;
  if (internal::StartsWith(url, "http://") || internal::StartsWith(url, "https://")) {
    return Scheme::kHttp;
  }
  return Scheme::kLocal;
}

}  // namespace

bool IsLocalUrl(std::string_view url) { return SchemeOf(url) == Scheme::kLocal; }

absl::StatusOr<std::vector<FileInfo>> ExpandGlob(std::string_view pattern,
                                                 const IoOptions& options) {
  switch (SchemeOf(pattern)) {
    case Scheme::kS3:
      return internal::S3Glob(pattern, options);
    case Scheme::kHttp:
      return std::vector<FileInfo>{FileInfo{std::string(pattern), -1}};
    case Scheme::kLocal:
      break;
  }
  return internal::LocalGlob(pattern);
}

absl::StatusOr<std::unique_ptr<InputStream>> OpenRead(std::string_view url,
                                                      const IoOptions& options, uint64_t offset,
                                                      std::optional<uint64_t> length) {
  switch (SchemeOf(url)) {
    case Scheme::kS3:
      return internal::S3OpenRead(url, options, offset, length);
    case Scheme::kHttp: {
      internal::HttpRequest request;
      request.url = std::string(url);
      request.display_url = std::string(url);
      return internal::OpenHttp(std::move(request), options, offset, length);
    }
    case Scheme::kLocal:
      break;
  }
  return internal::OpenLocal(url, offset, length);
}

absl::StatusOr<std::unique_ptr<InputStream>> OpenDecompressed(std::string_view url,
                                                              Compression compression,
                                                              const IoOptions& options) {
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<InputStream> raw, OpenRead(url, options));
  return Decompress(std::move(raw), compression);
}

size_t ReadCapacity(const InputStream& stream, size_t slack, size_t otherwise) {
  const std::optional<uint64_t> hint = stream.size_hint();
  return hint.has_value() ? static_cast<size_t>(*hint) + slack : otherwise;
}

absl::StatusOr<std::string> ReadStream(InputStream& stream) {
  std::string out;
  size_t size = 0;
  // Sized once when the stream knows its length, else grown by doubling from 64 KiB.
  out.resize(ReadCapacity(stream, /*slack=*/1, /*otherwise=*/size_t{64} << 10));
  while (true) {
    if (size == out.size()) out.resize(out.size() * 2);
    WEFT_ASSIGN_OR_RETURN(size_t got, stream.Read(out.data() + size, out.size() - size));
    if (got == 0) break;
    size += got;
  }
  out.resize(size);
  out.shrink_to_fit();
  return out;
}

absl::StatusOr<std::string> ReadAll(std::string_view url, Compression compression,
                                    const IoOptions& options) {
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<InputStream> stream,
                        OpenDecompressed(url, compression, options));
  return ReadStream(*stream);
}

}  // namespace weft::io
