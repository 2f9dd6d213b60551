// Writing: compression (gzip with ISA-L's isal_deflate, zstd with ZSTD_compress) and whole
// files to local paths (temporary file + rename; large ones bypassing the page cache) or S3
// objects (one signed PUT, s3.cc); LocalFileWriter for a local file written in pieces
// (and for WriteFile's large local writes).
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/io/internal/local_fs.h"
#include "common/io/internal/s3.h"
#include "common/io/internal/strings.h"
#include "common/io/io.h"
#include "common/status_macros.h"

namespace weft::io {
namespace {

using internal::Sv;

// isal_deflate and write(2) take at most this much per call (avail_in / avail_out are
// 32-bit).
constexpr size_t kMaxChunk = size_t{1} << 30;

// ISA-L level 1: several times faster than zlib -6 for a slightly larger output. A worker
// compresses on the task's thread, so speed wins over the last few percent.
absl::StatusOr<std::string> GzipCompress(std::string_view data) {
  auto stream = std::make_unique<isal_zstream>();  // ~90 KiB of state: on the heap
  isal_deflate_init(stream.get());
  std::vector<uint8_t> level_buf(ISAL_DEF_LVL1_DEFAULT);
  stream->level = 1;
  stream->level_buf = level_buf.data();
  stream->level_buf_size = static_cast<uint32_t>(level_buf.size());
  stream->gzip_flag = IGZIP_GZIP;
  std::string out(std::max<size_t>(64 << 10, data.size() / 4), '\0');
  size_t in_pos = 0;
  size_t out_pos = 0;
  while (stream->internal_state.state != ZSTATE_END) {
    if (stream->avail_in == 0 && in_pos < data.size()) {
      const size_t chunk = std::min(data.size() - in_pos, kMaxChunk);
      stream->next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(data.data() + in_pos));
      stream->avail_in = static_cast<uint32_t>(chunk);
      in_pos += chunk;
    }
    stream->end_of_stream = in_pos == data.size() ? 1 : 0;  // the last chunk is fed
    if (out_pos == out.size()) out.resize(2 * out.size());
    const size_t room = std::min(out.size() - out_pos, kMaxChunk);
    stream->next_out = reinterpret_cast<uint8_t*>(out.data() + out_pos);
    stream->avail_out = static_cast<uint32_t>(room);
    const int rc = isal_deflate(stream.get());
    if (rc != COMP_OK) return absl::InternalError(absl::StrCat("isal_deflate failed: ", rc));
    out_pos += room - stream->avail_out;
  }
  out.resize(out_pos);
  return out;
}

absl::StatusOr<std::string> ZstdCompress(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t size = ZSTD_compress(out.data(), out.size(), data.data(), data.size(),
                                    /*compressionLevel=*/3);
  if (ZSTD_isError(size)) {
    return absl::InternalError(absl::StrCat("ZSTD_compress failed: ", ZSTD_getErrorName(size)));
  }
  out.resize(size);
  return out;
}

// A failed step of a local write, naming the path and errno: ErrnoStatus, except that
// something of the wrong kind in the way (a file where a directory must be, or the
// reverse) is a precondition of the write, not a missing or invalid path.
absl::Status LocalWriteError(int err, std::string_view what, std::string_view path) {
  if (err == ENOTDIR || err == EISDIR || err == EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat(Sv(what), " ", Sv(path), ": ", std::strerror(err)));
  }
  return internal::ErrnoStatus(err, what, path);
}

absl::Status WriteAllToFd(int fd, std::string_view data, const std::string& temp_path,
                          std::string_view path) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), std::min(data.size(), kMaxChunk));
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      return LocalWriteError(errno, "cannot write",
                             absl::StrCat(Sv(path), " (temporary file ", temp_path, ")"));
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

// WriteFile's local writes of at least this many bytes bypass the page cache (O_DIRECT).
// Why: a large output is written once and not read back by this process, and putting it
// in the page cache costs a copy into freshly allocated pages, which in a VM is most of
// the write. A worker writing a sort's 64 MB outputs spent 10-22% of its CPU there
// (copy_folio_from_iter), and on this machine dd writes 512 MB at 0.8 GB/s through the
// page cache against 2.3 GB/s direct.
constexpr size_t kDirectFrom = size_t{8} << 20;
// O_DIRECT needs buffers, offsets and lengths aligned to the device's logical block size:
// 4 KiB covers 512-byte and 4 KiB devices alike.
constexpr size_t kDirectAlign = 4096;
absl::Status WriteError(int err, std::string_view path, const std::string& temp_path) {
  return LocalWriteError(err, "cannot write",
                         absl::StrCat(Sv(path), " (temporary file ", temp_path, ")"));
}

// Turns O_DIRECT on for fd; false where the file system refuses it (tmpfs, some network
// file systems).
bool SetDirect(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  return ::fcntl(fd, F_SETFL, on ? flags | O_DIRECT : flags & ~O_DIRECT) == 0;
}

// Writes `data` (aligned: address and size multiples of kDirectAlign) with O_DIRECT on.
// Returns the bytes written, which may be fewer: a short write (it leaves an unaligned
// offset), or 0 where the file system refuses the write (EINVAL). The caller writes the
// rest buffered.
absl::StatusOr<size_t> WriteDirect(int fd, const char* data, size_t size, std::string_view path,
                                   const std::string& temp_path) {
  size_t done = 0;
  while (done < size) {
    const size_t chunk = std::min(size - done, kMaxChunk / kDirectAlign * kDirectAlign);
    const ssize_t written = ::write(fd, data + done, chunk);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0 && errno == EINVAL && done == 0) return 0;
    if (written < 0) return WriteError(errno, path, temp_path);
    done += static_cast<size_t>(written);
    if (static_cast<size_t>(written) % kDirectAlign != 0) break;
  }
  return done;
}

// Creates a new, empty temporary file next to `path` (same directory, so that rename(2)
// is atomic) and returns its descriptor. The name is unique within this process; O_EXCL
// settles races with other processes. Mode 0666 minus the umask, like a plain open(2).
absl::StatusOr<int> CreateTempFile(const std::filesystem::path& path, std::string* temp_path) {
  static std::atomic<uint64_t> counter{0};
  absl::Status last;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string name = absl::StrCat(".", path.filename().string(), ".weft-tmp-", ::getpid(),
                                          "-", counter.fetch_add(1));
    *temp_path = (path.parent_path() / name).string();
    const int fd = ::open(temp_path->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    const int err = errno;
    last = LocalWriteError(err, "cannot create a temporary file for", path.string());
    if (err != EEXIST) break;
  }
  return last;
}

}  // namespace

// The temporary file a local write goes to, and its end: renamed onto the path, or removed.
struct LocalFileWriter::Target {
  std::string path;       // without "file://"
  std::string temp_path;  // next to it
  int fd = -1;

  static absl::StatusOr<Target> Open(std::string_view url) {
    std::string_view path_text = url;
    if (internal::StartsWith(path_text, "file://")) path_text.remove_prefix(7);
    if (!IsLocalUrl(url)) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a local path: ", Sv(url), " (write it with WriteFile)"));
    }
    if (path_text.empty() || internal::EndsWith(path_text, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a file path to write: \"", Sv(url), "\""));
    }
    const std::filesystem::path path{std::string(path_text)};
    if (path.has_parent_path()) {
      std::error_code error;
      std::filesystem::create_directories(path.parent_path(), error);
      if (error) {
        return LocalWriteError(error.value(), "cannot create directory",
                               path.parent_path().string());
      }
    }
    Target target;
    target.path = std::string(path_text);
    WEFT_ASSIGN_OR_RETURN(target.fd, CreateTempFile(path, &target.temp_path));
    return target;
  }

  // Closes the file and, if `status` is OK, renames it onto the path; removes it otherwise.
  absl::Status Finish(absl::Status status) {
    // close() reports delayed write errors (NFS, quotas): it is part of the write.
    if (::close(fd) != 0 && status.ok()) status = WriteError(errno, path, temp_path);
    fd = -1;
    if (status.ok() && ::rename(temp_path.c_str(), path.c_str()) != 0) {
      status = LocalWriteError(errno, "cannot rename the temporary file onto", path);
    }
    if (!status.ok()) ::unlink(temp_path.c_str());
    return status;
  }
};

absl::StatusOr<Compression> ParseCompression(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(Sv(name));
  if (lower.empty() || lower == "infer") return Compression::kInfer;
  if (lower == "gzip" || lower == "gz") return Compression::kGzip;
  if (lower == "zstd" || lower == "zst") return Compression::kZstd;
  if (lower == "none") return Compression::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown compression \"", Sv(name), "\" (infer, gzip, zstd, none)"));
}

absl::StatusOr<std::string> Compress(std::string_view data, Compression compression,
                                     std::string_view url) {
  if (compression == Compression::kInfer) compression = InferCompression(url);
  switch (compression) {
    case Compression::kGzip:
      return GzipCompress(data);
    case Compression::kZstd:
      return ZstdCompress(data);
    case Compression::kInfer:
    case Compression::kNone:
      break;
  }
  return std::string(data);
}

absl::Status WriteFile(std::string_view url, std::string_view data, const IoOptions& options) {
  if (internal::StartsWith(url, "s3://")) return internal::S3Write(url, data, options);
  if (internal::StartsWith(url, "http://") || internal::StartsWith(url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write ", Sv(url),
                                                   ": http(s) urls are read-only (write to a "
                                                   "local path or an s3:// url)"));
  }
  return LocalFileWriter::WriteWhole(url, data);
}

LocalFileWriter::LocalFileWriter(std::unique_ptr<Target> target, char* buffer)
    : target_(std::move(target)), buffer_(buffer), direct_(SetDirect(target_->fd, true)) {}

absl::StatusOr<std::unique_ptr<LocalFileWriter>> LocalFileWriter::Open(std::string_view url) {
  std::unique_ptr<char, decltype(&std::free)> buffer(
      static_cast<char*>(std::aligned_alloc(kDirectAlign, kBufferBytes)), &std::free);
  if (buffer == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("out of memory writing ", Sv(url)));
  }
  WEFT_ASSIGN_OR_RETURN(Target target, Target::Open(url));
  return std::unique_ptr<LocalFileWriter>(
      new LocalFileWriter(std::make_unique<Target>(std::move(target)), buffer.release()));
}

absl::Status LocalFileWriter::WriteWhole(std::string_view url, std::string_view data) {
  if (data.size() >= kDirectFrom) {
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<LocalFileWriter> writer, Open(url));
    writer->Append(data).IgnoreError();  // its error is Commit's too
    return writer->Commit();
  }
  WEFT_ASSIGN_OR_RETURN(Target target, Target::Open(url));
  return target.Finish(WriteAllToFd(target.fd, data, target.temp_path, target.path));
}

LocalFileWriter::~LocalFileWriter() {
  if (target_->fd >= 0) target_->Finish(absl::CancelledError("not committed")).IgnoreError();
  std::free(buffer_);
}

absl::Status LocalFileWriter::AppendSlow(std::string_view data) {
  while (status_.ok() && !data.empty()) {
    if (used_ == 0 && direct_ && data.size() >= kDirectAlign &&
        reinterpret_cast<uintptr_t>(data.data()) % kDirectAlign == 0) {
      // Straight from the caller's memory, without a copy into the buffer.
      const size_t bulk = data.size() / kDirectAlign * kDirectAlign;
      status_ = Write(data.data(), bulk);
      data.remove_prefix(bulk);
      continue;
    }
    const size_t n = std::min(data.size(), kBufferBytes - used_);
    std::memcpy(buffer_ + used_, data.data(), n);
    used_ += n;
    data.remove_prefix(n);
    if (used_ == kBufferBytes) {
      status_ = Write(buffer_, used_);
      used_ = 0;
    }
  }
  return status_;
}

absl::Status LocalFileWriter::Write(const char* data, size_t size) {
  size_t done = 0;
  if (direct_) {
    WEFT_ASSIGN_OR_RETURN(done, WriteDirect(target_->fd, data, size / kDirectAlign * kDirectAlign,
                                            target_->path, target_->temp_path));
    if (done < size) {
      // Refused, short, or the unaligned tail: the rest of the file goes through the page
      // cache.
      direct_ = false;
      if (!SetDirect(target_->fd, false)) {
        return WriteError(errno, target_->path, target_->temp_path);
      }
    }
  }
  return WriteAllToFd(target_->fd, std::string_view(data + done, size - done), target_->temp_path,
                      target_->path);
}

absl::Status LocalFileWriter::Commit() {
  if (target_->fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("LocalFileWriter::Commit: ", target_->path, " was already committed"));
  }
  if (status_.ok() && used_ > 0) status_ = Write(buffer_, used_);
  used_ = 0;
  return target_->Finish(status_);
}

}  // namespace weft::io
