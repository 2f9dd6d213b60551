#include "worker/spill_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/codec.h"

namespace weft {
namespace {

// Closes the descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the error close() may give (e.g. a deferred write error).
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

absl::Status IoError(const std::string& what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat("spill file ", path, ": ", what, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("cannot write", path);
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

absl::StatusOr<int64_t> WriteFrame(int fd, const absl::Cord& encoded, const std::string& path);

// Decodes what was read back; the Value slices `decoded`, which it keeps alive.
absl::StatusOr<Value> DecodeSpilled(std::shared_ptr<std::string> decoded, const std::string& path) {
  std::string_view view(*decoded);
  absl::StatusOr<Value> value = DecodeValue(Buffer(std::move(decoded), view));
  if (!value.ok()) {
    return absl::DataLossError(
        absl::StrCat("spill file ", path, " is corrupt: ", value.status().message()));
  }
  return value;
}

absl::StatusOr<Value> ReadSection(int fd, const SpillSection& section, const std::string& path);

}  // namespace

absl::StatusOr<int64_t> WriteSpillFile(const std::string& path, const absl::Cord& encoded) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return IoError("cannot create", path);
  absl::StatusOr<int64_t> written = WriteFrame(fd.get(), encoded, path);
  if (!written.ok()) return written;
  if (fd.Close() != 0) return IoError("cannot close", path);
  return written;
}

absl::StatusOr<std::vector<SpillSection>> WriteSectionedSpillFile(const std::string& path,
                                                                  const ValueList& items) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return IoError("cannot create", path);
  std::vector<SpillSection> sections;
  sections.reserve(items.size());
  int64_t offset = 0;
  for (const Value& item : items) {
    const absl::Cord encoded = EncodeValue(item);
    absl::StatusOr<int64_t> written = WriteFrame(fd.get(), encoded, path);
    if (!written.ok()) return written.status();
    sections.push_back({offset, *written, static_cast<int64_t>(encoded.size()),
                        static_cast<int64_t>(item.nbytes())});
    offset += *written;
  }
  if (fd.Close() != 0) return IoError("cannot close", path);
  return sections;
}

absl::StatusOr<Value> ReadSpillSection(const std::string& path, const SpillSection& section) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot open", path);
  return ReadSection(fd.get(), section, path);
}

absl::StatusOr<Value> ReadSectionedSpillFile(const std::string& path,
                                             const std::vector<SpillSection>& sections) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot open", path);
  ValueList items;
  items.reserve(sections.size());
  for (const SpillSection& section : sections) {
    absl::StatusOr<Value> item = ReadSection(fd.get(), section, path);
    if (!item.ok()) return item.status();
    items.push_back(*std::move(item));
  }
  return Value(std::move(items));
}

namespace {

absl::StatusOr<int64_t> WriteFrame(int fd, const absl::Cord& encoded, const std::string& path) {
  std::unique_ptr<ZSTD_CCtx, CCtxDeleter> cctx(ZSTD_createCCtx());
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kSpillZstdLevel);
  // The frame checksum catches corruption inside raw data that would still decode.
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setPledgedSrcSize(cctx.get(), encoded.size());
  std::vector<char> out(ZSTD_CStreamOutSize());
  int64_t written = 0;
  // Compresses `input` (ending the frame when `end`) and writes what comes out.
  auto pump = [&](ZSTD_inBuffer input, ZSTD_EndDirective mode) -> absl::Status {
    while (true) {
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      size_t remaining = ZSTD_compressStream2(cctx.get(), &output, &input, mode);
      if (ZSTD_isError(remaining)) {
        return absl::InternalError(
            absl::StrCat("spill file ", path, ": zstd: ", ZSTD_getErrorName(remaining)));
      }
      if (absl::Status s = WriteAll(fd, out.data(), output.pos, path); !s.ok()) return s;
      written += static_cast<int64_t>(output.pos);
      bool done = mode == ZSTD_e_end ? remaining == 0 : input.pos == input.size;
      if (done) return absl::OkStatus();
    }
  };
  for (absl::string_view piece : encoded.Chunks()) {
    if (absl::Status s = pump(ZSTD_inBuffer{piece.data(), piece.size(), 0}, ZSTD_e_continue);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = pump(ZSTD_inBuffer{nullptr, 0, 0}, ZSTD_e_end); !s.ok()) return s;
  return written;
}

absl::StatusOr<Value> ReadSection(int fd, const SpillSection& section, const std::string& path) {
  std::string frame(static_cast<size_t>(section.disk_bytes), '\0');
  size_t done = 0;
  while (done < frame.size()) {
    ssize_t n = ::pread(fd, frame.data() + done, frame.size() - done,
                        static_cast<off_t>(section.offset + static_cast<int64_t>(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read", path);
    if (n == 0) {
      return absl::DataLossError(absl::StrCat("spill file ", path, " is truncated at byte ",
                                              section.offset + static_cast<int64_t>(done)));
    }
    done += static_cast<size_t>(n);
  }
  auto decoded = std::make_shared<std::string>(static_cast<size_t>(section.encoded_bytes), '\0');
  const size_t size = ZSTD_decompress(decoded->data(), decoded->size(), frame.data(), frame.size());
  if (ZSTD_isError(size) || size != decoded->size()) {
    return absl::DataLossError(
        absl::StrCat("spill file ", path, " is corrupt at byte ", section.offset, ": ",
                     ZSTD_isError(size) ? ZSTD_getErrorName(size) : "wrong decompressed size"));
  }
  return DecodeSpilled(std::move(decoded), path);
}

}  // namespace

absl::StatusOr<Value> ReadSpillFile(const std::string& path, int64_t encoded_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot open", path);
  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
  auto decoded = std::make_shared<std::string>();
  decoded->resize(static_cast<size_t>(encoded_bytes));
  std::vector<char> in(ZSTD_DStreamInSize());
  ZSTD_outBuffer output{decoded->data(), decoded->size(), 0};
  size_t frame_left = 1;  // non-zero while a frame is unfinished
  while (true) {
    ssize_t n = ::read(fd.get(), in.data(), in.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read", path);
    if (n == 0) break;
    ZSTD_inBuffer input{in.data(), static_cast<size_t>(n), 0};
    while (input.pos < input.size) {
      size_t before = output.pos, consumed = input.pos;
      frame_left = ZSTD_decompressStream(dctx.get(), &output, &input);
      if (ZSTD_isError(frame_left)) {
        return absl::DataLossError(absl::StrCat(
            "spill file ", path, " is corrupt: zstd: ", ZSTD_getErrorName(frame_left)));
      }
      if (output.pos == before && input.pos == consumed) {  // full output, no progress
        return absl::DataLossError(absl::StrCat(
            "spill file ", path, " holds more than the expected ", encoded_bytes, " bytes"));
      }
    }
  }
  if (frame_left != 0 || output.pos != output.size) {
    return absl::DataLossError(absl::StrCat("spill file ", path, " is truncated: ", output.pos,
                                            " of ", encoded_bytes, " bytes"));
  }
  return DecodeSpilled(std::move(decoded), path);
}

}  // namespace weft
