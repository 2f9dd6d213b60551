// Streaming decompression: gzip with ISA-L's isal_inflate (several times faster than
// zlib), zstd with ZSTD_decompressStream. Both read the raw stream in 256 KiB chunks and
// decompress straight into the caller's buffer.
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/io/internal/strings.h"
#include "common/io/io.h"
#include "common/status_macros.h"

namespace weft::io {
namespace {

constexpr size_t kInputChunk = 256 << 10;

// The compressed input side shared by both decoders: a chunk buffer refilled from the
// raw stream, and the count of compressed bytes consumed (for error messages).
class RawInput {
 public:
  explicit RawInput(std::unique_ptr<InputStream> raw)
      : raw_(std::move(raw)), buffer_(kInputChunk) {}

  // Reads the next chunk; afterwards data()/size() describe it (size 0 at the end).
  absl::Status Refill() {
    consumed_before_ += size_;
    size_ = 0;
    if (eof_) return absl::OkStatus();
    WEFT_ASSIGN_OR_RETURN(size_,
                          raw_->Read(reinterpret_cast<char*>(buffer_.data()), buffer_.size()));
    if (size_ == 0) eof_ = true;
    return absl::OkStatus();
  }

  uint8_t* data() { return buffer_.data(); }
  size_t size() const { return size_; }
  bool eof() const { return eof_; }
  // Offset in the compressed stream of the byte at chunk position `unread_from`.
  uint64_t OffsetOf(size_t unread_from) const { return consumed_before_ + unread_from; }
  const std::string& url() const { return raw_->url(); }

 private:
  std::unique_ptr<InputStream> raw_;
  std::vector<uint8_t> buffer_;
  size_t size_ = 0;
  uint64_t consumed_before_ = 0;  // compressed bytes in the chunks before this one
  bool eof_ = false;
};

// gzip, member after member (RFC 1952 allows concatenation; `cat a.gz b.gz` is valid).
// ISA-L with crc_flag = ISAL_GZIP parses each header and verifies the trailer's CRC32
// and ISIZE. A zero-byte input decodes as empty (empty shards happen).
class GzipStream final : public InputStream {
 public:
  explicit GzipStream(std::unique_ptr<InputStream> raw) : input_(std::move(raw)) {
    state_ = std::make_unique<inflate_state>();
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_GZIP;
  }

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    n = std::min<size_t>(n, std::numeric_limits<uint32_t>::max());
    while (n > 0) {
      if (state_->block_state == ISAL_BLOCK_FINISH) {  // the previous member ended
        if (state_->avail_in == 0) {
          if (input_.eof()) return 0;
          WEFT_RETURN_IF_ERROR(FeedInput());
          continue;
        }
        StartNextMember();
      }
      if (!in_member_ && state_->avail_in == 0) {
        if (input_.eof()) return 0;
        WEFT_RETURN_IF_ERROR(FeedInput());
        continue;
      }
      // Inside a member, isal_inflate is called even without new input: output that
      // did not fit into the previous caller buffer is still pending in its state.
      in_member_ = true;
      state_->next_out = reinterpret_cast<uint8_t*>(buf);
      state_->avail_out = static_cast<uint32_t>(n);
      const int rc = isal_inflate(state_.get());
      if (rc < 0) return Corrupt(rc);
      const size_t produced = n - state_->avail_out;
      if (produced > 0) return produced;
      if (state_->block_state != ISAL_BLOCK_FINISH && state_->avail_in == 0) {
        if (input_.eof()) return Truncated();
        WEFT_RETURN_IF_ERROR(FeedInput());
      }
    }
    return 0;
  }

  const std::string& url() const override { return input_.url(); }

 private:
  // A member ended; the next byte (if any) starts another one.
  void StartNextMember() {
    uint8_t* next_in = state_->next_in;
    const uint32_t avail_in = state_->avail_in;
    isal_inflate_reset(state_.get());
    state_->crc_flag = ISAL_GZIP;
    state_->next_in = next_in;
    state_->avail_in = avail_in;
    in_member_ = false;
  }

  absl::Status FeedInput() {
    WEFT_RETURN_IF_ERROR(input_.Refill());
    state_->next_in = input_.data();
    state_->avail_in = static_cast<uint32_t>(input_.size());
    return absl::OkStatus();
  }

  // The raw stream ended inside a member.
  absl::Status Truncated() const {
    return absl::DataLossError(absl::StrCat("truncated gzip data in ", url(),
                                            ": the stream ends at compressed offset ",
                                            input_.OffsetOf(input_.size()), " inside a member"));
  }

  absl::Status Corrupt(int rc) const {
    const char* what = rc == ISAL_INCORRECT_CHECKSUM   ? "CRC32/length check failed"
                       : rc == ISAL_INVALID_WRAPPER    ? "not a gzip member header"
                       : rc == ISAL_UNSUPPORTED_METHOD ? "unsupported compression method"
                                                       : "invalid deflate data";
    return absl::DataLossError(absl::StrCat(
        "corrupt gzip data in ", url(), " near compressed offset ",
        input_.OffsetOf(input_.size() - state_->avail_in), ": ", what, " (isal error ", rc, ")"));
  }

  RawInput input_;
  std::unique_ptr<inflate_state> state_;  // ~200 KiB: on the heap
  bool in_member_ = false;                // bytes of the current member were fed to isal_inflate
};

// zstd, frame after frame.
class ZstdStream final : public InputStream {
 public:
  explicit ZstdStream(std::unique_ptr<InputStream> raw)
      : input_(std::move(raw)), dctx_(ZSTD_createDCtx()) {}
  ~ZstdStream() override { ZSTD_freeDCtx(dctx_); }

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    while (n > 0) {
      // Inside a frame the decoder is called even without new input: output that did
      // not fit into the previous caller buffer may still be pending in it.
      if (in_.pos == in_.size && (frame_complete_ || need_input_)) {
        if (input_.eof()) return AtEnd();
        WEFT_RETURN_IF_ERROR(input_.Refill());
        in_ = ZSTD_inBuffer{input_.data(), input_.size(), 0};
        need_input_ = false;
        continue;
      }
      ZSTD_outBuffer out{buf, n, 0};
      const size_t rc = ZSTD_decompressStream(dctx_, &out, &in_);
      if (ZSTD_isError(rc)) {
        return absl::DataLossError(
            absl::StrCat("corrupt zstd data in ", url(), " near compressed offset ",
                         input_.OffsetOf(in_.pos), ": ", ZSTD_getErrorName(rc)));
      }
      frame_complete_ = rc == 0;
      if (out.pos > 0) return out.pos;
      need_input_ = in_.pos == in_.size;
    }
    return 0;
  }

  const std::string& url() const override { return input_.url(); }

 private:
  absl::StatusOr<size_t> AtEnd() {
    if (!frame_complete_) {
      return absl::DataLossError(absl::StrCat("truncated zstd data in ", url(),
                                              ": the stream ends at compressed offset ",
                                              input_.OffsetOf(input_.size()), " inside a frame"));
    }
    return 0;
  }

  RawInput input_;
  ZSTD_DCtx* const dctx_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  bool frame_complete_ = true;  // an empty input is an empty stream
  bool need_input_ = false;     // the decoder made no progress with the input it had
};

}  // namespace

Compression InferCompression(std::string_view url) {
  url = url.substr(0, url.find('?'));
  const std::string lower = absl::AsciiStrToLower(std::string(url));
  if (internal::EndsWith(lower, ".gz")) return Compression::kGzip;
  if (internal::EndsWith(lower, ".zst") || internal::EndsWith(lower, ".zstd")) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

absl::StatusOr<std::unique_ptr<InputStream>> Decompress(std::unique_ptr<InputStream> raw,
                                                        Compression compression) {
  if (raw == nullptr) return absl::InvalidArgumentError("Decompress: null stream");
  if (compression == Compression::kInfer) compression = InferCompression(raw->url());
  switch (compression) {
    case Compression::kGzip:
      return std::unique_ptr<InputStream>(std::make_unique<GzipStream>(std::move(raw)));
    case Compression::kZstd:
      return std::unique_ptr<InputStream>(std::make_unique<ZstdStream>(std::move(raw)));
    default:
      return raw;
  }
}

}  // namespace weft::io
