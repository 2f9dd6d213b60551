// bag.write_text: JsonLines and list partitions written as JSON lines (gzip, zstd, none),
// read back with io::ReadAll and through the Bag's own readers; errors; an S3 target.
#include "worker/bag/bag_write.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/io/io.h"
#include "common/io/s3rver_fixture.h"
#include "worker/bag/bag_ops.h"
#include "worker/bag/json_access.h"
#include "worker/bag/shuffle_ops.h"

namespace weft::bag {
namespace {

template <typename T>
T Ok(absl::StatusOr<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *std::move(r);
}

bool Contains(const absl::Status& status, std::string_view text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

struct TempDir {
  TempDir() { path = Ok(io::testing::MakeTempDir("bag_write_test")); }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string File(std::string_view name) const { return path + "/" + std::string(name); }
  std::string path;
};

std::string ReadBack(const std::string& url, io::Compression compression = io::Compression::kInfer,
                     const io::IoOptions& options = io::IoOptions()) {
  return Ok(io::ReadAll(url, compression, options));
}

Value Lines(std::string text) { return Value(JsonLines::FromText(Buffer(std::move(text)))); }

// Odd spacing, key order and number forms: a re-serialisation would change them.
constexpr char kRawLines[] =
    "{\"b\": 1,   \"a\" : [1.50, 2e3]}\r\n"
    "  {\"s\":\"caf\\u00e9 \\\"q\\\"\"}\n"
    "[1,2,3]\n";
constexpr char kRawExpected[] =
    "{\"b\": 1,   \"a\" : [1.50, 2e3]}\n"
    "  {\"s\":\"caf\\u00e9 \\\"q\\\"\"}\n"
    "[1,2,3]\n";

Value ListPartition() {
  return Value(ValueList{
      Value("he said \"hi\"\n"),
      Value(42),
      Value(2.5),
      Value(2.0),
      Value(),
      Value(true),
      Value(Record{{"name", Value("x")}, {"tags", Value(ValueList{Value("a"), Value(-1)})}}),
      Value(ValueList{Value(1), Value(0.1)}),
  });
}

constexpr char kListExpected[] =
    "\"he said \\\"hi\\\"\\n\"\n"
    "42\n"
    "2.5\n"
    "2.0\n"
    "null\n"
    "true\n"
    "{\"name\":\"x\",\"tags\":[\"a\",-1]}\n"
    "[1,0.1]\n";

TEST_CASE("write_text writes a JsonLines partition's lines as they are") {
  TempDir dir;
  const std::string url = dir.File("out/part-0.json.gz");
  CHECK(Ok(WriteText(Lines(kRawLines), url, "infer")) == 3);
  CHECK(ReadBack(url) == kRawExpected);
  CHECK(ReadBack(url, io::Compression::kGzip) == kRawExpected);  // it is gzip

  // The same through the Bag's own reader.
  Value back = Ok(ReadText(url, "infer"));
  REQUIRE(back.is_json_lines());
  CHECK(back == Lines(kRawExpected));
}

// JsonLines whose text is already the file's bytes are written without a copy; every other
// layout of text and index must give the same file as writing line by line.
TEST_CASE("write_text writes every layout of JsonLines as its lines, one per line") {
  TempDir dir;
  auto index = [](std::vector<uint64_t> offsets) {
    return Buffer(std::string(reinterpret_cast<const char*>(offsets.data()),
                              offsets.size() * sizeof(uint64_t)));
  };
  auto expected = [](const JsonLines& lines) {
    std::string text;
    for (size_t i = 0; i < lines.num_lines(); ++i) text.append(LineAt(lines, i)).push_back('\n');
    return text;
  };
  const JsonLines sliced = Lines("{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n").as_json_lines().Slice(1, 3);
  JsonLines skips;  // an index that leaves bytes out before and after: "{}" then "[1]"
  skips.text = Buffer(std::string("XX\n{}\n[1]\nYY\n"));
  skips.offsets = index({3, 6, 10});
  JsonLines inner;  // lines that do not end where the next begins
  inner.text = Buffer(std::string("{\"x\":[1,2]}\n"));
  inner.offsets = index({0, 5, 12});
  const std::vector<std::pair<std::string, JsonLines>> cases = {
      {"plain", Lines("{\"a\":1}\n[2]\n\"s\"\n").as_json_lines()},
      {"no final newline", Lines("{\"a\":1}\n[2]").as_json_lines()},
      {"carriage returns", Lines("{\"a\":1}\r\n[2]\r\n").as_json_lines()},
      {"a blank line", Lines("{\"a\":1}\n\n[2]\n").as_json_lines()},
      {"empty", Lines("").as_json_lines()},
      {"a slice", sliced},
      {"a hand-built index", skips},
      {"an index inside lines", inner},
  };
  for (const auto& [name, lines] : cases) {
    INFO(name);
    const std::string url = dir.File(name + ".json");
    CHECK(Ok(WriteText(Value(lines), url, "infer")) == static_cast<int64_t>(lines.num_lines()));
    CHECK(ReadBack(url) == expected(lines));
    const std::string zst = dir.File(name + ".json.zst");
    CHECK(Ok(WriteText(Value(lines), zst, "infer")) == static_cast<int64_t>(lines.num_lines()));
    CHECK(ReadBack(zst) == expected(lines));
  }
}

TEST_CASE("write_text writes a list partition as one JSON value per line") {
  TempDir dir;
  const Value part = ListPartition();
  const std::string url = dir.File("part-1.json.gz");
  CHECK(Ok(WriteText(part, url, "infer")) == 8);
  CHECK(ReadBack(url) == kListExpected);

  // Valid JSON that parses back into the same values (ints stay ints, doubles doubles).
  Value lines = Ok(ReadText(url, "infer"));
  CHECK(Ok(CountMalformed(lines)) == 0);
  CHECK(Ok(Take(lines, 100)) == part);
}

TEST_CASE("write_text compressions") {
  TempDir dir;
  const Value part = ListPartition();
  CHECK(Ok(WriteText(part, dir.File("a.json"), "zstd")) == 8);
  CHECK(ReadBack(dir.File("a.json"), io::Compression::kZstd) == kListExpected);
  CHECK(Ok(WriteText(part, dir.File("b.json.zst"), "INFER")) == 8);
  CHECK(ReadBack(dir.File("b.json.zst"), io::Compression::kZstd) == kListExpected);
  CHECK(Ok(WriteText(part, dir.File("c.json.gz"), "none")) == 8);
  CHECK(ReadBack(dir.File("c.json.gz"), io::Compression::kNone) == kListExpected);
  CHECK(Ok(WriteText(part, dir.File("d.json"), "gzip")) == 8);
  CHECK(ReadBack(dir.File("d.json"), io::Compression::kGzip) == kListExpected);
  // An empty partition is an empty (but valid) file.
  CHECK(Ok(WriteText(Value(ValueList{}), dir.File("e.json.gz"), "infer")) == 0);
  CHECK(ReadBack(dir.File("e.json.gz")).empty());
  CHECK(Ok(WriteText(Lines(""), dir.File("f.json"), "infer")) == 0);
  CHECK(ReadBack(dir.File("f.json")).empty());
}

TEST_CASE("a sort's unpack streamed to a local file writes what write_text writes") {
  // Three buckets of ~2 MB (one with \r\n endings): the sorted lines span several of the
  // writer's 4 MiB buffers.
  ValueList buckets;
  for (int b = 0; b < 3; ++b) {
    std::string text;
    for (int i = 0; i < 30000; ++i) {
      absl::StrAppend(&text, "{\"k\":", (i * 7919 + b * 31) % 10007, ",\"b\":", b, ",\"i\":", i,
                      ",\"pad\":\"", std::string(20 + i % 17, 'x'), "\"}", b == 1 ? "\r\n" : "\n");
    }
    buckets.push_back(Lines(std::move(text)));
  }
  TempDir dir;
  const bool ascending = GENERATE(true, false);
  const std::string streamed = dir.File("streamed/part-0.json");
  const std::string whole = dir.File("whole/part-0.json");
  const std::optional<int64_t> written =
      Ok(SortUnpackToLocalFile(buckets, "k", ascending, streamed, "infer"));
  REQUIRE(written.has_value());
  CHECK(*written == 90000);
  CHECK(Ok(WriteText(Ok(SortUnpack(buckets, "k", ascending)), whole, "none", io::IoOptions())) ==
        90000);
  const std::string expected = ReadBack(whole);
  CHECK(expected.size() > io::LocalFileWriter::kBufferBytes);
  CHECK(ReadBack(streamed) == expected);

  // Not streamed (the caller sorts whole and writes): compressed, not JsonLines, remote.
  CHECK_FALSE(Ok(SortUnpackToLocalFile(buckets, "k", true, dir.File("c.json.gz"), "infer")));
  CHECK_FALSE(Ok(SortUnpackToLocalFile(buckets, "k", true, dir.File("c.json"), "zstd")));
  CHECK_FALSE(Ok(
      SortUnpackToLocalFile({Value(ValueList{Value(1)})}, "", true, dir.File("l.json"), "none")));
  CHECK_FALSE(Ok(SortUnpackToLocalFile(buckets, "k", true, "s3://bucket/part-0.json", "none")));
  CHECK_FALSE(std::filesystem::exists(dir.File("c.json.gz")));
  CHECK_FALSE(std::filesystem::exists(dir.File("l.json")));
  // A malformed key line is the sort's error, and leaves no file.
  ValueList bad = {Lines("{\"k\":1}\n{\"k\":\n")};
  CHECK(absl::IsInvalidArgument(
      SortUnpackToLocalFile(bad, "k", true, dir.File("bad.json"), "none").status()));
  CHECK_FALSE(std::filesystem::exists(dir.File("bad.json")));
}

TEST_CASE("write_text errors") {
  TempDir dir;
  absl::Status status = WriteText(ListPartition(), dir.File("x.json"), "lzma").status();
  CHECK(absl::IsInvalidArgument(status));
  CHECK(Contains(status, "bag.write_text(): unknown compression \"lzma\""));

  const Value with_bytes(ValueList{Value(1), Value(Record{{"b", Value::Bytes(Buffer("\x01"))}})});
  status = WriteText(with_bytes, dir.File("x.json"), "none").status();
  CHECK(absl::IsInvalidArgument(status));
  CHECK(Contains(status, "item 2"));

  status = WriteText(Value(7), dir.File("x.json"), "none").status();
  CHECK(absl::IsInvalidArgument(status));
  CHECK(Contains(status, "bag.write_text()"));

  status = WriteText(Lines("{}\n"), "https://example.com/x.json", "none").status();
  CHECK(absl::IsInvalidArgument(status));
  CHECK_FALSE(std::filesystem::exists(dir.File("x.json")));
}

TEST_CASE("write_text to S3 (AWS_* variables)") {
  REQUIRE(io::testing::S3rver::Installed());  // ./setup.sh installs it (npm: s3rver)
  io::testing::S3rver s3;
  const std::string endpoint = Ok(s3.Start());
  REQUIRE(s3.CreateBucket("results").ok());
  // WriteText takes its IoOptions from the environment, as the workers do.
  ::setenv("AWS_ENDPOINT_URL", endpoint.c_str(), 1);
  ::setenv("AWS_ACCESS_KEY_ID", io::testing::S3rver::kAccessKey, 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", io::testing::S3rver::kSecretKey, 1);
  CHECK(Ok(WriteText(ListPartition(), "s3://results/run/0.json.zst", "infer")) == 8);
  CHECK(ReadBack("s3://results/run/0.json.zst", io::Compression::kInfer, s3.Options()) ==
        kListExpected);
  const absl::Status missing =
      WriteText(ListPartition(), "s3://no-such-bucket/0.json", "infer").status();
  CHECK(absl::IsNotFound(missing));
  CHECK(Contains(missing, "no-such-bucket"));
  ::unsetenv("AWS_ENDPOINT_URL");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
}

}  // namespace
}  // namespace weft::bag
