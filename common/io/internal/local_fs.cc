#include "common/io/internal/local_fs.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/io/internal/strings.h"

namespace weft::io::internal {
namespace {

constexpr std::string_view kFileScheme = "file://";  // accepted and kept

std::string_view StripFileScheme(std::string_view url) {
  if (StartsWith(url, kFileScheme)) url.remove_prefix(kFileScheme.size());
  return url;
}

// Reads a regular file through a raw descriptor; the kernel's page cache does the
// buffering, so Read() is one read(2) call.
class LocalFileStream final : public InputStream {
 public:
  LocalFileStream(std::string url, int fd, std::optional<uint64_t> length, uint64_t size_hint)
      : url_(std::move(url)), fd_(fd), remaining_(length), size_hint_(size_hint) {}
  ~LocalFileStream() override { ::close(fd_); }

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    if (remaining_.has_value()) n = std::min<uint64_t>(n, *remaining_);
    if (n == 0) return 0;
    ssize_t got;
    do {
      got = ::read(fd_, buf, n);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return ErrnoStatus(errno, "cannot read", url_);
    if (remaining_.has_value()) *remaining_ -= got;
    return static_cast<size_t>(got);
  }

  const std::string& url() const override { return url_; }
  std::optional<uint64_t> size_hint() const override { return size_hint_; }

 private:
  const std::string url_;
  const int fd_;
  std::optional<uint64_t> remaining_;  // bytes left to read when a length was given
  const uint64_t size_hint_;           // the bytes from the offset when opened (or length)
};

}  // namespace

absl::Status ErrnoStatus(int err, std::string_view what, std::string_view path) {
  std::string message = absl::StrCat(Sv(what), " ", Sv(path), ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case EISDIR:
    case EINVAL:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

bool HasGlobChars(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

absl::StatusOr<std::vector<FileInfo>> LocalGlob(std::string_view pattern) {
  const bool with_scheme = StartsWith(pattern, kFileScheme);
  const std::string path(StripFileScheme(pattern));
  if (path.empty()) return absl::InvalidArgumentError("empty path pattern");
  glob_t matches;
  const int rc = ::glob(path.c_str(), /*flags=*/0, /*errfunc=*/nullptr, &matches);
  if (rc == GLOB_NOMATCH) {
    globfree(&matches);
    return absl::NotFoundError(absl::StrCat("no files match ", Sv(pattern)));
  }
  if (rc != 0) {
    globfree(&matches);
    return absl::InternalError(absl::StrCat("glob failed for ", Sv(pattern)));
  }
  std::vector<FileInfo> files;
  for (size_t i = 0; i < matches.gl_pathc; ++i) {
    struct stat st;
    if (::stat(matches.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode)) continue;
    std::string url = with_scheme ? absl::StrCat(Sv(kFileScheme), matches.gl_pathv[i])
                                  : std::string(matches.gl_pathv[i]);
    files.push_back(FileInfo{std::move(url), static_cast<int64_t>(st.st_size)});
  }
  globfree(&matches);
  if (files.empty()) return absl::NotFoundError(absl::StrCat("no files match ", Sv(pattern)));
  std::sort(files.begin(), files.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.url < b.url; });
  return files;
}

absl::StatusOr<std::unique_ptr<InputStream>> OpenLocal(std::string_view url, uint64_t offset,
                                                       std::optional<uint64_t> length) {
  const std::string path(StripFileScheme(url));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", url);
  struct stat st;
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat("not a regular file: ", Sv(url)));
  }
  if (offset > 0 && ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "cannot seek in", url);
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t left = offset < size ? size - offset : 0;
  if (length.has_value()) left = std::min(left, *length);
  return std::make_unique<LocalFileStream>(std::string(url), fd, length, left);
}

}  // namespace weft::io::internal
