// Local files: globbing, raw reads, and gzip / zstd decompression, including corrupt,
// truncated, multi-member and empty inputs, and real GitHub Archive files when present.
#include "common/io/io.h"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/io/compress_for_test.h"
#include "common/io/s3rver_fixture.h"

namespace weft::io {
namespace {

using testing::GzipCompress;
using testing::MakeJsonLines;
using testing::ZstdCompress;

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// A temporary directory removed at the end of the test.
struct TempDir {
  TempDir() {
    auto dir = testing::MakeTempDir("io_test");
    REQUIRE(dir.ok());
    path = *dir;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string File(std::string_view name) const { return path + "/" + std::string(name); }
  std::string path;
};

// Reads a stream to the end with reads of `chunk` bytes (exercises short reads and the
// decoders' pending output).
absl::StatusOr<std::string> ReadInChunks(InputStream& stream, size_t chunk) {
  std::string out;
  std::string buf(chunk, '\0');
  while (true) {
    absl::StatusOr<size_t> n = stream.Read(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buf.data(), *n);
  }
}

absl::StatusOr<std::string> ReadWithChunk(const std::string& url, Compression compression,
                                          size_t chunk) {
  auto stream = OpenDecompressed(url, compression, IoOptions());
  if (!stream.ok()) return stream.status();
  return ReadInChunks(**stream, chunk);
}

bool Contains(const absl::Status& status, std::string_view text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

TEST_CASE("InferCompression uses the extension") {
  CHECK(InferCompression("a/b.json.gz") == Compression::kGzip);
  CHECK(InferCompression("s3://b/x.GZ") == Compression::kGzip);
  CHECK(InferCompression("x.zst") == Compression::kZstd);
  CHECK(InferCompression("x.zstd") == Compression::kZstd);
  CHECK(InferCompression("https://h/x.json.gz?sig=1") == Compression::kGzip);
  CHECK(InferCompression("x.json") == Compression::kNone);
  CHECK(InferCompression("gz") == Compression::kNone);
}

TEST_CASE("ExpandGlob on local files") {
  TempDir dir;
  WriteFile(dir.File("a1.txt"), "1");
  WriteFile(dir.File("a2.txt"), "22");
  WriteFile(dir.File("b1.txt"), "333");
  std::filesystem::create_directory(dir.File("a3.txt"));  // a directory: skipped

  auto files = ExpandGlob(dir.File("a*.txt"), IoOptions());
  REQUIRE(files.ok());
  REQUIRE(files->size() == 2);
  CHECK((*files)[0] == FileInfo{dir.File("a1.txt"), 1});
  CHECK((*files)[1] == FileInfo{dir.File("a2.txt"), 2});

  files = ExpandGlob(dir.File("[ab]?.txt"), IoOptions());
  REQUIRE(files.ok());
  REQUIRE(files->size() == 3);
  CHECK((*files)[2] == FileInfo{dir.File("b1.txt"), 3});

  files = ExpandGlob(dir.File("b1.txt"), IoOptions());
  REQUIRE(files.ok());
  CHECK(files->size() == 1);

  files = ExpandGlob("file://" + dir.File("b?.txt"), IoOptions());
  REQUIRE(files.ok());
  CHECK((*files)[0].url == "file://" + dir.File("b1.txt"));

  const std::string pattern = dir.File("zz*.json.gz");
  files = ExpandGlob(pattern, IoOptions());
  REQUIRE(absl::IsNotFound(files.status()));
  CHECK(Contains(files.status(), pattern));
  CHECK(absl::IsNotFound(ExpandGlob(dir.File("missing.txt"), IoOptions()).status()));
  CHECK(absl::IsNotFound(ExpandGlob(dir.File("a3.txt"), IoOptions()).status()));
}

TEST_CASE("plain, gzip and zstd round trips") {
  TempDir dir;
  const std::string text = MakeJsonLines(3 << 20);
  WriteFile(dir.File("d.json"), text);
  WriteFile(dir.File("d.json.gz"), GzipCompress(text));
  WriteFile(dir.File("d.json.zst"), ZstdCompress(text));
  WriteFile(dir.File("gz_without_extension"), GzipCompress(text, 1));

  for (const char* name : {"d.json", "d.json.gz", "d.json.zst"}) {
    INFO(name);
    auto all = ReadAll(dir.File(name), Compression::kInfer, IoOptions());
    REQUIRE(all.ok());
    CHECK(*all == text);
    for (size_t chunk : {1u, 777u, 1u << 20}) {
      if (chunk == 1 && std::string(name) != "d.json.gz") continue;  // slow; gzip is enough
      auto chunked = ReadWithChunk(dir.File(name), Compression::kInfer, chunk);
      REQUIRE(chunked.ok());
      CHECK(*chunked == text);
    }
  }
  auto forced = ReadAll(dir.File("gz_without_extension"), Compression::kGzip, IoOptions());
  REQUIRE(forced.ok());
  CHECK(*forced == text);
  // kNone returns the compressed bytes unchanged.
  auto raw = ReadAll(dir.File("d.json.gz"), Compression::kNone, IoOptions());
  REQUIRE(raw.ok());
  CHECK(*raw == GzipCompress(text));
}

TEST_CASE("gzip written by the gzip tool (with a file name in the header)") {
  TempDir dir;
  const std::string text = MakeJsonLines(200 << 10, 7);
  WriteFile(dir.File("named.json"), text);
  REQUIRE(std::system(("gzip -k -9 " + dir.File("named.json")).c_str()) == 0);
  auto all = ReadAll(dir.File("named.json.gz"), Compression::kInfer, IoOptions());
  REQUIRE(all.ok());
  CHECK(*all == text);
}

TEST_CASE("concatenated gzip members are read in turn") {
  TempDir dir;
  const std::string a = MakeJsonLines(500 << 10, 1);
  const std::string b = MakeJsonLines(10, 2);
  const std::string c = MakeJsonLines(300 << 10, 3);
  WriteFile(dir.File("multi.gz"),
            GzipCompress(a) + GzipCompress("") + GzipCompress(b) + GzipCompress(c, 9));
  for (size_t chunk : {3u, 4096u, 1u << 20}) {
    auto all = ReadWithChunk(dir.File("multi.gz"), Compression::kInfer, chunk);
    REQUIRE(all.ok());
    CHECK(*all == a + b + c);
  }
}

TEST_CASE("truncated and corrupt gzip is kDataLoss naming the url") {
  TempDir dir;
  const std::string text = MakeJsonLines(400 << 10);
  const std::string gz = GzipCompress(text);
  const std::string url = dir.File("bad.json.gz");

  SECTION("truncated in the deflate data, in the trailer, and after one member") {
    for (size_t keep : {size_t{10}, gz.size() / 2, gz.size() - 5, gz.size() - 1}) {
      INFO("keep " << keep);
      WriteFile(url, gz.substr(0, keep));
      auto all = ReadAll(url, Compression::kInfer, IoOptions());
      REQUIRE(absl::IsDataLoss(all.status()));
      CHECK(Contains(all.status(), url));
      CHECK(Contains(all.status(), "truncated"));
    }
    WriteFile(url, gz + gz.substr(0, gz.size() / 3));
    CHECK(absl::IsDataLoss(ReadAll(url, Compression::kInfer, IoOptions()).status()));
  }
  SECTION("flipped bytes in the data, the CRC32 and the ISIZE") {
    for (size_t pos : {gz.size() / 2, gz.size() - 8, gz.size() - 2}) {
      INFO("flip at " << pos);
      std::string bad = gz;
      bad[pos] = static_cast<char>(bad[pos] ^ 0x5a);
      WriteFile(url, bad);
      auto all = ReadAll(url, Compression::kInfer, IoOptions());
      REQUIRE(absl::IsDataLoss(all.status()));
      CHECK(Contains(all.status(), url));
      CHECK(Contains(all.status(), "offset"));
    }
  }
  SECTION("trailing garbage after the last member") {
    WriteFile(url, gz + "garbage!");
    auto all = ReadAll(url, Compression::kInfer, IoOptions());
    REQUIRE(absl::IsDataLoss(all.status()));
    CHECK(Contains(all.status(), url));
  }
  SECTION("not gzip at all") {
    WriteFile(url, text.substr(0, 1000));
    CHECK(absl::IsDataLoss(ReadAll(url, Compression::kInfer, IoOptions()).status()));
  }
}

TEST_CASE("truncated and corrupt zstd is kDataLoss naming the url") {
  TempDir dir;
  const std::string text = MakeJsonLines(400 << 10);
  const std::string zst = ZstdCompress(text);
  const std::string url = dir.File("bad.json.zst");
  WriteFile(url, zst.substr(0, zst.size() - 3));
  auto all = ReadAll(url, Compression::kInfer, IoOptions());
  REQUIRE(absl::IsDataLoss(all.status()));
  CHECK(Contains(all.status(), url));

  WriteFile(url, "this is not zstd at all");
  all = ReadAll(url, Compression::kInfer, IoOptions());
  REQUIRE(absl::IsDataLoss(all.status()));
  CHECK(Contains(all.status(), url));

  WriteFile(url, zst + ZstdCompress("second frame\n"));
  all = ReadAll(url, Compression::kInfer, IoOptions());
  REQUIRE(all.ok());
  CHECK(*all == text + "second frame\n");
}

TEST_CASE("empty files read as empty text") {
  TempDir dir;
  for (const char* name : {"e.json", "e.json.gz", "e.json.zst"}) {
    INFO(name);
    WriteFile(dir.File(name), "");
    auto all = ReadAll(dir.File(name), Compression::kInfer, IoOptions());
    REQUIRE(all.ok());
    CHECK(all->empty());
  }
  WriteFile(dir.File("empty_member.gz"), GzipCompress(""));
  auto all = ReadAll(dir.File("empty_member.gz"), Compression::kInfer, IoOptions());
  REQUIRE(all.ok());
  CHECK(all->empty());
}

TEST_CASE("missing local file is kNotFound") {
  const std::string url = "/nonexistent/dir/2015-01-01-0.json.gz";
  auto all = ReadAll(url, Compression::kInfer, IoOptions());
  REQUIRE(absl::IsNotFound(all.status()));
  CHECK(Contains(all.status(), url));
  CHECK(absl::IsNotFound(OpenRead(url, IoOptions()).status()));
}

TEST_CASE("ranged local reads") {
  TempDir dir;
  WriteFile(dir.File("r.txt"), "0123456789");
  auto stream = OpenRead(dir.File("r.txt"), IoOptions(), 3, 4);
  REQUIRE(stream.ok());
  auto text = ReadStream(**stream);
  REQUIRE(text.ok());
  CHECK(*text == "3456");
  stream = OpenRead(dir.File("r.txt"), IoOptions(), 8);
  REQUIRE(stream.ok());
  text = ReadStream(**stream);
  REQUIRE(text.ok());
  CHECK(*text == "89");
}

TEST_CASE("a local file read raw knows its size; a decompressed one does not") {
  TempDir dir;
  WriteFile(dir.File("r.txt"), "0123456789");
  auto hint = [&](uint64_t offset, std::optional<uint64_t> length) {
    auto stream = OpenRead(dir.File("r.txt"), IoOptions(), offset, length);
    REQUIRE(stream.ok());
    return (*stream)->size_hint();
  };
  CHECK(hint(0, std::nullopt) == 10u);
  CHECK(hint(3, std::nullopt) == 7u);
  CHECK(hint(3, 4) == 4u);
  CHECK(hint(8, 100) == 2u);
  CHECK(hint(12, std::nullopt) == 0u);  // past the end: nothing to read
  auto gz = OpenDecompressed(dir.File("r.txt"), Compression::kGzip, IoOptions());
  REQUIRE(gz.ok());
  CHECK(!(*gz)->size_hint().has_value());
  auto raw = OpenDecompressed(dir.File("r.txt"), Compression::kInfer, IoOptions());
  REQUIRE(raw.ok());
  CHECK((*raw)->size_hint() == 10u);
}

// Line count and byte size of a gzip file per the system's zcat, independently.
std::pair<int64_t, int64_t> ZcatWc(const std::string& path) {
  FILE* pipe = ::popen(("zcat '" + path + "' | wc -l -c").c_str(), "r");
  REQUIRE(pipe != nullptr);
  long long lines = -1, bytes = -1;
  REQUIRE(std::fscanf(pipe, "%lld %lld", &lines, &bytes) == 2);
  ::pclose(pipe);
  return {lines, bytes};
}

TEST_CASE("real GitHub Archive files decompress like zcat") {
  const char* env = std::getenv("WEFT_GHARCHIVE_DIR");
  if (env == nullptr || !std::filesystem::is_directory(env)) {
    WARN("WEFT_GHARCHIVE_DIR not set or absent; skipping the real-data test");
    return;
  }
  const std::string root = env;
  auto files = ExpandGlob(root + "/2015/*.json.gz", IoOptions());
  REQUIRE(files.ok());
  CHECK(files->size() >= 1);
  const std::string path = root + "/2015/2015-01-01-15.json.gz";
  auto text = ReadAll(path, Compression::kInfer, IoOptions());
  REQUIRE(text.ok());
  const auto [lines, bytes] = ZcatWc(path);
  CHECK(static_cast<int64_t>(text->size()) == bytes);
  CHECK(std::count(text->begin(), text->end(), '\n') == lines);
  CHECK(text->rfind("{\"", 0) == 0);
}

}  // namespace
}  // namespace weft::io
