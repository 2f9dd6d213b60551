#include "common/compressed_lines.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "common/codec.h"

namespace weft {
namespace {

// n JSON lines of varied length (some empty lines, some long), deterministic.
JsonLines MakeLines(size_t n, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    if (rng() % 17 == 0) {
      text += "\n";  // blank lines are lines too
      continue;
    }
    text += "{\"id\":" + std::to_string(i) + ",\"pad\":\"" +
            std::string(rng() % 300, 'a' + i % 26) + "\"}\n";
  }
  return JsonLines::FromText(Buffer(std::move(text)));
}

void RequireSameLines(const JsonLines& a, const JsonLines& b, size_t b_from = 0) {
  for (size_t i = 0; i < b.num_lines(); ++i) {
    INFO("line " << i);
    REQUIRE(a.line(b_from + i) == b.line(i));
  }
}

TEST_CASE("compressed lines round-trip in blocks, whole and in ranges") {
  const JsonLines lines = MakeLines(5000);
  const CompressedLines c = CompressLines(lines, {.level = 1, .block_bytes = 16 << 10});
  REQUIRE(c.num_lines() == lines.num_lines());
  REQUIRE(c.text_size() == lines.text.size());
  REQUIRE(c.num_blocks() > 10);
  REQUIRE(c.frames.size() < lines.text.size() / 4);

  absl::StatusOr<JsonLines> whole = DecompressLines(c);
  REQUIRE(whole.ok());
  REQUIRE(whole->num_lines() == lines.num_lines());
  RequireSameLines(lines, *whole);

  for (auto [begin, end] : {std::pair<size_t, size_t>{0, 1},
                            {1, 2},
                            {17, 4000},
                            {4999, 5000},
                            {2500, 2500},
                            {0, 5000}}) {
    INFO(begin << ".." << end);
    absl::StatusOr<JsonLines> range = DecompressRange(c, begin, end);
    REQUIRE(range.ok());
    REQUIRE(range->num_lines() == end - begin);
    RequireSameLines(lines, *range, begin);
  }
  size_t seen = 0;
  for (size_t b = 0; b < c.num_blocks(); ++b) {
    absl::StatusOr<JsonLines> block = DecompressBlock(c, b);
    REQUIRE(block.ok());
    REQUIRE(c.entry(b).first_line == seen);
    REQUIRE(BlockOfLine(c, seen) == b);
    RequireSameLines(lines, *block, seen);
    seen += block->num_lines();
  }
  REQUIRE(seen == lines.num_lines());
}

TEST_CASE("lines not laid out back to back are gathered, and a last line without newline") {
  // "a\r\n" keeps its '\r' in the line (as JsonLines::line does); the last line has no '\n'.
  const JsonLines lines = JsonLines::FromText(Buffer(std::string("[1]\r\n\n{\"b\":2}\n[3]")));
  const CompressedLines c = CompressLines(lines, {.level = 3, .block_bytes = 4});
  REQUIRE(c.num_blocks() == 4);
  absl::StatusOr<JsonLines> back = DecompressLines(c);
  REQUIRE(back.ok());
  REQUIRE(Value(*back) == Value(lines));
}

TEST_CASE("an empty partition has no blocks and decompresses to no lines") {
  const CompressedLines c = CompressLines(JsonLines::FromText(Buffer()));
  REQUIRE(c.num_blocks() == 0);
  REQUIRE(c.num_lines() == 0);
  absl::StatusOr<JsonLines> back = DecompressLines(c);
  REQUIRE(back.ok());
  REQUIRE(back->num_lines() == 0);
}

TEST_CASE("concatenating compressed partitions keeps every line in order") {
  const JsonLines a = MakeLines(300, 1), b = MakeLines(0), d = MakeLines(700, 2);
  const CompressedLines ca = CompressLines(a, {.block_bytes = 8 << 10});
  const CompressedLines cb = CompressLines(b), cd = CompressLines(d, {.block_bytes = 8 << 10});
  const CompressedLines all = ConcatCompressed({&ca, &cb, &cd});
  REQUIRE(all.num_lines() == 1000);
  REQUIRE(all.num_blocks() == ca.num_blocks() + cd.num_blocks());
  absl::StatusOr<JsonLines> back = DecompressLines(all);
  REQUIRE(back.ok());
  RequireSameLines(*back, a);
  RequireSameLines(*back, d, 300);
  // Ranges across the seam.
  absl::StatusOr<JsonLines> seam = DecompressRange(all, 290, 310);
  REQUIRE(seam.ok());
  RequireSameLines(*back, *seam, 290);
}

TEST_CASE("compressed lines survive the codec, and a corrupt frame is a DataLoss naming lines") {
  const CompressedLines c = CompressLines(MakeLines(2000), {.block_bytes = 16 << 10});
  absl::StatusOr<Value> decoded = DecodeValue(EncodeValueToString(Value(c)));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->is_compressed_lines());
  REQUIRE(*decoded == Value(c));
  REQUIRE(Value(c).nbytes() >= c.frames.size());

  std::string frames(c.frames.view());
  frames[c.entry(1).frame_offset + 20] ^= 0x5a;  // inside block 1's frame
  CompressedLines corrupt = c;
  corrupt.frames = Buffer(std::move(frames));
  REQUIRE(DecompressBlock(corrupt, 0).ok());
  absl::StatusOr<JsonLines> bad = DecompressBlock(corrupt, 1);
  REQUIRE(bad.status().code() == absl::StatusCode::kDataLoss);
  REQUIRE_THAT(std::string(bad.status().message()), Catch::Contains("block 1 (lines "));
}

TEST_CASE("the codec refuses an index that does not fit its frames") {
  const CompressedLines c = CompressLines(MakeLines(100));
  CompressedLines short_frames = c;
  short_frames.frames = c.frames.Slice(0, c.frames.size() - 1);
  absl::StatusOr<Value> decoded = DecodeValue(EncodeValueToString(Value(short_frames)));
  REQUIRE(decoded.status().code() == absl::StatusCode::kDataLoss);
  REQUIRE_THAT(std::string(decoded.status().message()), Catch::Contains("compressed_lines index"));
}

TEST_CASE("DecompressValue opens compressed partitions at the top and in a list") {
  const JsonLines lines = MakeLines(50);
  const Value c = Value(CompressLines(lines));
  absl::StatusOr<Value> top = DecompressValue(c);
  REQUIRE(top.ok());
  REQUIRE(top->is_json_lines());
  REQUIRE(*top == Value(lines));
  absl::StatusOr<Value> list = DecompressValue(Value(ValueList{c, Value(3)}));
  REQUIRE(list.ok());
  REQUIRE(list->as_list()[0] == Value(lines));
  REQUIRE(list->as_list()[1] == Value(3));
  const Value plain(ValueList{Value(1)});
  REQUIRE(DecompressValue(plain)->as_list().data() == plain.as_list().data());  // no copy
}

}  // namespace
}  // namespace weft
