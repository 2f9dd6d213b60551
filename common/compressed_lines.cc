#include "common/compressed_lines.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace weft {
namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx(ZSTD_createCCtx());
  return cctx.get();
}

ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx(ZSTD_createDCtx());
  return dctx.get();
}

void AppendU64(std::string* out, uint64_t v) {
  char bytes[sizeof(v)];
  std::memcpy(bytes, &v, sizeof(v));
  out->append(bytes, sizeof(bytes));
}

void AppendEntry(std::string* index, const CompressedLines::BlockEntry& e) {
  AppendU64(index, e.frame_offset);
  AppendU64(index, e.first_line);
  AppendU64(index, e.text_offset);
}

// Compresses `text` as one frame at the end of `frames`.
void AppendFrame(std::string_view text, int level, std::string* frames) {
  const size_t at = frames->size();
  frames->resize(at + ZSTD_compressBound(text.size()));
  const size_t n = ZSTD_compressCCtx(ThreadCCtx(), frames->data() + at, frames->size() - at,
                                     text.data(), text.size(), level);
  // Compressing into a buffer of compressBound bytes cannot fail but for memory.
  if (ZSTD_isError(n)) std::abort();
  frames->resize(at + n);
}

// Decompresses blocks [first, last] into `out` (sized to their text).
absl::Status DecompressBlocksInto(const CompressedLines& lines, size_t first, size_t last,
                                  std::string* out) {
  const uint64_t base = lines.entry(first).text_offset;
  out->resize(lines.entry(last + 1).text_offset - base);
  for (size_t b = first; b <= last; ++b) {
    const CompressedLines::BlockEntry e = lines.entry(b), next = lines.entry(b + 1);
    const size_t want = next.text_offset - e.text_offset;
    const size_t n = ZSTD_decompressDCtx(ThreadDCtx(), out->data() + (e.text_offset - base), want,
                                         lines.frames.data() + e.frame_offset,
                                         next.frame_offset - e.frame_offset);
    if (ZSTD_isError(n) || n != want) {
      return absl::DataLossError(absl::StrCat(
          "compressed lines: block ", b, " (lines ", e.first_line + 1, "-", next.first_line,
          ") does not decompress: ",
          ZSTD_isError(n) ? ZSTD_getErrorName(n) : absl::StrCat(n, " of ", want, " bytes")));
    }
  }
  return absl::OkStatus();
}

}  // namespace

CompressedLines CompressLines(const JsonLines& lines, const LineCompression& options) {
  const size_t n = lines.num_lines();
  std::string frames, index, block;
  frames.reserve(lines.text.size() / 4 + 64);
  CompressedLines::BlockEntry entry{0, 0, 0};
  AppendEntry(&index, entry);
  size_t i = 0;
  while (i < n) {
    // The block's lines; when their text is laid out as "line\n" back to back (as every
    // parsed partition is), it is compressed where it lies, else gathered first.
    const size_t first = i;
    size_t bytes = 0;
    bool contiguous = true;
    while (i < n && (i == first || bytes + lines.line(i).size() + 1 <= options.block_bytes)) {
      const std::string_view line = lines.line(i);
      const uint64_t begin = lines.offset(i), end = lines.offset(i + 1);
      contiguous &= begin == lines.offset(first) + bytes && end == begin + line.size() + 1;
      bytes += line.size() + 1;
      ++i;
    }
    std::string_view text;
    if (contiguous) {
      text = lines.text.view().substr(lines.offset(first), bytes);
    } else {
      block.clear();
      block.reserve(bytes);
      for (size_t j = first; j < i; ++j) block.append(lines.line(j)).push_back('\n');
      text = block;
    }
    AppendFrame(text, options.level, &frames);
    entry = {frames.size(), i, entry.text_offset + bytes};
    AppendEntry(&index, entry);
  }
  frames.shrink_to_fit();
  CompressedLines out;
  out.frames = Buffer(std::move(frames));
  out.index = Buffer(std::move(index));
  return out;
}

size_t BlockOfLine(const CompressedLines& lines, size_t i) {
  size_t lo = 0, hi = lines.num_blocks();  // the answer is in [lo, hi)
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    if (lines.entry(mid).first_line <= i) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

absl::StatusOr<JsonLines> DecompressBlock(const CompressedLines& lines, size_t b) {
  std::string text;
  WEFT_RETURN_IF_ERROR(DecompressBlocksInto(lines, b, b, &text));
  return JsonLines::FromText(Buffer(std::move(text)));
}

absl::StatusOr<JsonLines> DecompressRange(const CompressedLines& lines, size_t begin, size_t end) {
  if (begin >= end) return JsonLines::FromText(Buffer());
  const size_t first = BlockOfLine(lines, begin), last = BlockOfLine(lines, end - 1);
  std::string text;
  WEFT_RETURN_IF_ERROR(DecompressBlocksInto(lines, first, last, &text));
  const JsonLines whole = JsonLines::FromText(Buffer(std::move(text)));
  const size_t base = lines.entry(first).first_line;
  if (whole.num_lines() != lines.entry(last + 1).first_line - base) {
    return absl::DataLossError(absl::StrCat("compressed lines: blocks ", first, "-", last, " hold ",
                                            whole.num_lines(), " lines, the index says ",
                                            lines.entry(last + 1).first_line - base));
  }
  return whole.Slice(begin - base, end - base);
}

absl::StatusOr<JsonLines> DecompressLines(const CompressedLines& lines) {
  return DecompressRange(lines, 0, lines.num_lines());
}

CompressedLines ConcatCompressed(const std::vector<const CompressedLines*>& parts) {
  size_t frame_bytes = 0;
  for (const CompressedLines* p : parts) frame_bytes += p->frames.size();
  std::string frames, index;
  frames.reserve(frame_bytes);
  CompressedLines::BlockEntry base{0, 0, 0};
  AppendEntry(&index, base);
  for (const CompressedLines* p : parts) {
    frames.append(p->frames.view());
    for (size_t b = 1; b <= p->num_blocks(); ++b) {
      const CompressedLines::BlockEntry e = p->entry(b);
      AppendEntry(&index, {base.frame_offset + e.frame_offset, base.first_line + e.first_line,
                           base.text_offset + e.text_offset});
    }
    base = {frames.size(), base.first_line + p->num_lines(), base.text_offset + p->text_size()};
  }
  CompressedLines out;
  out.frames = Buffer(std::move(frames));
  out.index = Buffer(std::move(index));
  return out;
}

bool HoldsCompressedLines(const Value& value) {
  if (value.is_compressed_lines()) return true;
  return value.is_list() && std::any_of(value.as_list().begin(), value.as_list().end(),
                                        [](const Value& v) { return v.is_compressed_lines(); });
}

absl::StatusOr<Value> DecompressValue(const Value& value) {
  if (value.is_compressed_lines()) {
    WEFT_ASSIGN_OR_RETURN(JsonLines lines, DecompressLines(value.as_compressed_lines()));
    return Value(std::move(lines));
  }
  if (!HoldsCompressedLines(value)) return value;
  const ValueList& items = value.as_list();
  ValueList out;
  out.reserve(items.size());
  for (const Value& item : items) {
    if (!item.is_compressed_lines()) {
      out.push_back(item);
      continue;
    }
    WEFT_ASSIGN_OR_RETURN(JsonLines lines, DecompressLines(item.as_compressed_lines()));
    out.push_back(Value(std::move(lines)));
  }
  return Value(std::move(out));
}

}  // namespace weft
