// Writing: Compress (checked by this library's Decompress and by gzip(1) / zstd(1)),
// local WriteFile (atomic replace, parent directories, errors, a write that fails half
// way), and S3 PUTs against s3rver and against an independent SigV4 verifier that also
// checks the payload hash.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/io/compress_for_test.h"
#include "common/io/internal/s3.h"
#include "common/io/io.h"
#include "common/io/s3rver_fixture.h"

namespace weft::io {
namespace {

using testing::MakeJsonLines;

bool Contains(const absl::Status& status, std::string_view text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

// The string, or the error as text (StatusOr has no operator== here).
std::string TextOf(const absl::StatusOr<std::string>& text) {
  return text.ok() ? *text : "<error: " + text.status().ToString() + ">";
}

// Files may grow to 64 KiB only while it lives: write(2) fails with EFBIG past that, as it
// would with ENOSPC on a full disk.
class SmallFileSizeLimit {
 public:
  SmallFileSizeLimit() {
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved_) == 0);
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved_;
    small.rlim_cur = 64 << 10;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  }
  ~SmallFileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_;
  sighandler_t old_handler_;
};

// A temporary directory removed at the end of the test.
struct TempDir {
  TempDir() {
    auto dir = testing::MakeTempDir("write_test");
    REQUIRE(dir.ok());
    path = *dir;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string File(std::string_view name) const { return path + "/" + std::string(name); }
  // Every file under the directory, relative, sorted (temporary files included).
  std::vector<std::string> Listing() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
      if (entry.is_regular_file()) {
        names.push_back(std::filesystem::relative(entry.path(), path).string());
      }
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string path;
};

std::string ReadRaw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Bytes that do not compress (xorshift), to make the compressors' output outgrow their
// first buffer.
std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  uint64_t x = 88172645463325252ull;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return out;
}

// Compresses `data` for `url` (kInfer) and writes it there.
absl::Status CompressAndWrite(const std::string& url, std::string_view data,
                              const IoOptions& options = IoOptions()) {
  absl::StatusOr<std::string> bytes = Compress(data, Compression::kInfer, url);
  if (!bytes.ok()) return bytes.status();
  return WriteFile(url, *bytes, options);
}

TEST_CASE("ParseCompression names") {
  CHECK(*ParseCompression("") == Compression::kInfer);
  CHECK(*ParseCompression("infer") == Compression::kInfer);
  CHECK(*ParseCompression("GZIP") == Compression::kGzip);
  CHECK(*ParseCompression("gz") == Compression::kGzip);
  CHECK(*ParseCompression("zstd") == Compression::kZstd);
  CHECK(*ParseCompression("zst") == Compression::kZstd);
  CHECK(*ParseCompression("none") == Compression::kNone);
  auto bad = ParseCompression("lzma");
  REQUIRE(absl::IsInvalidArgument(bad.status()));
  CHECK(Contains(bad.status(), "\"lzma\""));
}

TEST_CASE("Compress round-trips through Decompress, gzip and zstd") {
  const std::string text = MakeJsonLines(3 << 20, 7);
  for (const std::string& data : {text, RandomBytes(1 << 20), std::string(), std::string("x")}) {
    for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
      INFO("compression " << static_cast<int>(c) << ", " << data.size() << " bytes");
      auto packed = Compress(data, c, "ignored.json");
      REQUIRE(packed.ok());
      if (c == Compression::kGzip) {
        REQUIRE(packed->size() >= 18);
        CHECK(static_cast<uint8_t>((*packed)[0]) == 0x1f);
        CHECK(static_cast<uint8_t>((*packed)[1]) == 0x8b);
      }
      if (c == Compression::kNone) CHECK(*packed == data);
      if (c != Compression::kNone && data.size() == text.size()) {
        CHECK(packed->size() < data.size() / 3);  // it did compress
      }
      TempDir dir;
      const std::string path = dir.File("blob");
      REQUIRE(WriteFile(path, *packed, IoOptions()).ok());
      auto back = ReadAll(path, c, IoOptions());
      INFO(back.status().ToString());
      REQUIRE(back.ok());
      CHECK(*back == data);
    }
  }
  // kInfer goes by the url's extension.
  CHECK(TextOf(Compress("abc", Compression::kInfer, "s3://b/x.json")) == "abc");
  CHECK(*Compress("abc", Compression::kInfer, "x.json.gz") ==
        *Compress("abc", Compression::kGzip, ""));
  CHECK(TextOf(Compress("abc", Compression::kInfer, "x.zst")) ==
        TextOf(Compress("abc", Compression::kZstd, "")));
}

TEST_CASE("gzip(1) and zstd(1) read what Compress writes") {
  TempDir dir;
  const std::string text = MakeJsonLines(1 << 20, 3);
  for (const char* ext : {"gz", "zst"}) {
    const std::string tool = std::string(ext) == "gz" ? "gzip" : "zstd";
    // ./setup.sh installs both: without one the test fails.
    REQUIRE(std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0);
    const std::string path = dir.File(absl::StrCat("out.json.", ext));
    REQUIRE(CompressAndWrite(path, text).ok());
    const std::string plain = dir.File(absl::StrCat("plain-", ext));
    const std::string command =
        absl::StrCat(tool, " -dc ", path, " > ", plain, " 2>", dir.File("tool.log"));
    INFO(command);
    REQUIRE(std::system(command.c_str()) == 0);
    CHECK(ReadRaw(plain) == text);
  }
}

TEST_CASE("WriteFile writes local files, creating parents and replacing old ones") {
  TempDir dir;
  const std::string text = MakeJsonLines(200 << 10, 1);
  for (const char* name : {"a/b/c/part-0.json", "a/part-1.json.gz", "part-2.json.zst"}) {
    INFO(name);
    const std::string path = dir.File(name);
    REQUIRE(CompressAndWrite(path, text).ok());
    auto back = ReadAll(path, Compression::kInfer, IoOptions());
    REQUIRE(back.ok());
    CHECK(*back == text);
  }
  CHECK(ReadRaw(dir.File("a/b/c/part-0.json")) == text);  // none: the bytes as given

  // Replacing: the new content, no temporary file left over.
  REQUIRE(WriteFile(dir.File("a/b/c/part-0.json"), "new\n", IoOptions()).ok());
  CHECK(ReadRaw(dir.File("a/b/c/part-0.json")) == "new\n");
  REQUIRE(WriteFile("file://" + dir.File("f.txt"), "via file://", IoOptions()).ok());
  CHECK(ReadRaw(dir.File("f.txt")) == "via file://");
  CHECK(dir.Listing() == std::vector<std::string>{"a/b/c/part-0.json", "a/part-1.json.gz", "f.txt",
                                                  "part-2.json.zst"});
  // An empty partition is an empty file, readable as such even when compressed.
  REQUIRE(CompressAndWrite(dir.File("empty.json.gz"), "").ok());
  CHECK(TextOf(ReadAll(dir.File("empty.json.gz"), Compression::kInfer, IoOptions())).empty());
}

TEST_CASE("A large local write (bypassing the page cache) writes every byte") {
  // From 8 MiB the bulk goes out with O_DIRECT (4 KiB-aligned) and the tail buffered; a
  // buffer that is not 4 KiB-aligned goes through an aligned copy, 4 MiB at a time.
  TempDir dir;
  const size_t size = (size_t{9} << 20) + 1234;
  std::unique_ptr<char, decltype(&std::free)> block(
      static_cast<char*>(std::aligned_alloc(4096, size + 4096)), &std::free);
  REQUIRE(block != nullptr);
  for (size_t i = 0; i < size + 4096; ++i) block.get()[i] = static_cast<char>('a' + i * 7 % 26);
  const size_t shift = GENERATE(size_t{0}, size_t{1}, size_t{4096});
  const size_t length = GENERATE(size_t{(9 << 20) + 1234}, size_t{9} << 20, size_t{8} << 20);
  INFO("buffer offset " << shift << ", " << length << " bytes");
  const std::string_view data(block.get() + shift, length);
  const std::string path = dir.File("big.json");
  REQUIRE(WriteFile(path, "old\n", IoOptions()).ok());
  REQUIRE(WriteFile(path, data, IoOptions()).ok());
  const std::string back = ReadRaw(path);
  CHECK(back.size() == length);
  CHECK(back == data);
  CHECK(dir.Listing() == std::vector<std::string>{"big.json"});
}

TEST_CASE("LocalFileWriter writes a file in pieces, whole or not at all") {
  TempDir dir;
  const std::string path = dir.File("sub/out.json");
  REQUIRE(WriteFile(path, "old\n", IoOptions()).ok());
  // Pieces of every size, across several buffers (4 MiB each, written O_DIRECT), ending
  // unaligned (the tail goes through the page cache).
  std::string expected;
  uint32_t state = 7;
  while (expected.size() < (9 << 20) + 777) {
    state = state * 1103515245 + 12345;
    const size_t n = (state >> 8) % 3 == 0 ? (state >> 4) % (1 << 20) : (state >> 4) % 200;
    expected.append(n, static_cast<char>('a' + state % 26));
  }
  SECTION("committed") {
    auto writer = LocalFileWriter::Open(path);
    REQUIRE(writer.ok());
    size_t at = 0;
    state = 11;
    while (at < expected.size()) {
      state = state * 1103515245 + 12345;
      const size_t n = std::min(expected.size() - at, size_t{(state >> 4) % 300000});
      REQUIRE((*writer)->Append(std::string_view(expected).substr(at, n)).ok());
      at += n;
    }
    CHECK(ReadRaw(path) == "old\n");  // not yet
    REQUIRE((*writer)->Commit().ok());
    CHECK(ReadRaw(path) == expected);
    CHECK(absl::IsFailedPrecondition((*writer)->Commit()));
  }
  SECTION("small: one buffered write") {
    auto writer = LocalFileWriter::Open(path);
    REQUIRE(writer.ok());
    REQUIRE((*writer)->Append("{\"a\": 1}\n").ok());
    REQUIRE((*writer)->Commit().ok());
    CHECK(ReadRaw(path) == "{\"a\": 1}\n");
  }
  SECTION("abandoned: the old file stays, no temporary file") {
    {
      auto writer = LocalFileWriter::Open(path);
      REQUIRE(writer.ok());
      REQUIRE((*writer)->Append(expected).ok());
    }
    CHECK(ReadRaw(path) == "old\n");
  }
  SECTION("a write that fails half way: the error, and the old file whole") {
    absl::Status status;
    {
      SmallFileSizeLimit limit;
      auto writer = LocalFileWriter::Open(path);
      REQUIRE(writer.ok());
      status = (*writer)->Append(expected);
      CHECK((*writer)->Append("more").code() == status.code());
      if (status.ok()) status = (*writer)->Commit();
    }
    INFO(status.ToString());
    CHECK(absl::IsInternal(status));
    CHECK(Contains(status, "cannot write " + path));
    CHECK(ReadRaw(path) == "old\n");
  }
  CHECK(dir.Listing() == std::vector<std::string>{"sub/out.json"});
  auto remote = LocalFileWriter::Open("s3://bucket/out.json");
  CHECK(absl::IsInvalidArgument(remote.status()));
}

TEST_CASE("WriteFile errors name the path") {
  TempDir dir;
  REQUIRE(WriteFile(dir.File("file"), "x", IoOptions()).ok());

  // A directory that cannot be created: a regular file is in the way.
  const std::string blocked = dir.File("file/sub/out.json");
  absl::Status status = WriteFile(blocked, "data", IoOptions());
  INFO(status.ToString());
  CHECK(absl::IsFailedPrecondition(status));
  CHECK(Contains(status, "cannot create directory " + dir.File("file/sub")));
  CHECK(Contains(status, "Not a directory"));

  // The target is a directory.
  std::filesystem::create_directories(dir.File("adir"));
  status = WriteFile(dir.File("adir"), "data", IoOptions());
  CHECK(absl::IsFailedPrecondition(status));
  CHECK(Contains(status, dir.File("adir")));
  CHECK(Contains(status, "Is a directory"));

  CHECK(absl::IsInvalidArgument(WriteFile(dir.File("d/"), "x", IoOptions())));
  CHECK(absl::IsInvalidArgument(WriteFile("", "x", IoOptions())));
  status = WriteFile("https://example.com/x.json", "x", IoOptions());
  CHECK(absl::IsInvalidArgument(status));
  CHECK(Contains(status, "read-only"));
  CHECK(dir.Listing() == std::vector<std::string>{"file"});  // no temporary files left
}

TEST_CASE("A local write that fails half way leaves the old file whole") {
  TempDir dir;
  const std::string path = dir.File("out.json");
  REQUIRE(WriteFile(path, "old\n", IoOptions()).ok());
  // 1 MiB goes through the page cache; 16 MiB mostly bypasses it (O_DIRECT).
  const size_t size = GENERATE(size_t{1} << 20, size_t{16} << 20);
  INFO(size << " bytes");
  const std::string data(size, 'x');
  absl::Status status;
  {
    SmallFileSizeLimit limit;
    status = WriteFile(path, data, IoOptions());
  }

  INFO(status.ToString());
  CHECK(absl::IsInternal(status));
  CHECK(Contains(status, "cannot write " + path));
  CHECK(Contains(status, "File too large"));
  CHECK(ReadRaw(path) == "old\n");
  CHECK(dir.Listing() == std::vector<std::string>{"out.json"});
}

TEST_CASE("Sha256Hex matches the FIPS 180-2 test vectors") {
  CHECK(*internal::Sha256Hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(*internal::Sha256Hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#define REQUIRE_S3RVER()                                   \
  /* ./setup.sh installs it: without it the test fails. */ \
  REQUIRE(testing::S3rver::Installed())

TEST_CASE("S3 PUT then read back through s3rver") {
  REQUIRE_S3RVER();
  testing::S3rver s3;
  auto endpoint = s3.Start();
  REQUIRE(endpoint.ok());
  REQUIRE(s3.CreateBucket("out").ok());
  const IoOptions options = s3.Options();

  const std::string text = MakeJsonLines(3 << 20, 2);  // > 1 MiB: curl sends Expect: 100
  for (const char* url : {"s3://out/run/part-0.json.gz", "s3://out/run/part-1.json.zst",
                          "s3://out/run/part-2.json", "s3://out/odd keys/a+b=c&d (1).json"}) {
    INFO(url);
    const absl::Status written = CompressAndWrite(url, text, options);
    INFO(written.ToString());
    REQUIRE(written.ok());
    auto back = ReadAll(url, Compression::kInfer, options);
    INFO(back.status().ToString());
    REQUIRE(back.ok());
    CHECK(*back == text);
  }
  auto listed = ExpandGlob("s3://out/run/*", options);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 3);
  CHECK((*listed)[2] == FileInfo{"s3://out/run/part-2.json", static_cast<int64_t>(text.size())});

  // Overwriting replaces the object; an empty object is fine.
  REQUIRE(WriteFile("s3://out/run/part-2.json", "", options).ok());
  CHECK(TextOf(ReadAll("s3://out/run/part-2.json", Compression::kNone, options)).empty());

  absl::Status missing = WriteFile("s3://no-such-bucket/x.json", "data", options);
  INFO(missing.ToString());
  CHECK(absl::IsNotFound(missing));
  CHECK(Contains(missing, "bucket 'no-such-bucket' does not exist"));
  CHECK(Contains(missing, "writing s3://no-such-bucket/x.json"));

  CHECK(absl::IsInvalidArgument(WriteFile("s3://out", "data", options)));
  CHECK(absl::IsInvalidArgument(WriteFile("s3://out/dir/", "data", options)));
}

TEST_CASE("S3 PUT to a server that is down is kUnavailable after the retries") {
  auto port = testing::PickFreePort();  // nobody listens there
  REQUIRE(port.ok());
  IoOptions options;
  options.s3_endpoint = absl::StrCat("http://127.0.0.1:", *port);
  options.path_style = true;
  options.access_key_id = "AKIDEXAMPLE";
  options.secret_access_key = "secret";
  options.max_retries = 3;
  options.initial_backoff = absl::Milliseconds(20);
  std::vector<absl::Duration> slept;  // the backoff, recorded instead of slept
  options.sleep = [&slept](absl::Duration d) { slept.push_back(d); };
  const absl::Status status = WriteFile("s3://bkt/k.json", "data", options);
  INFO(status.ToString());
  CHECK(absl::IsUnavailable(status));
  CHECK(Contains(status, options.s3_endpoint));
  CHECK(Contains(status, "after 4 attempts to PUT s3://bkt/k.json"));
  CHECK(slept == std::vector<absl::Duration>{absl::Milliseconds(20), absl::Milliseconds(40),
                                             absl::Milliseconds(80)});
}

TEST_CASE("S3 PUTs sign the payload's SHA-256 and retry 5xx") {
  testing::SigV4Verifier verifier;
  auto started = verifier.Start("s3cr3t/Key+", "eu-west-3");
  REQUIRE(started.ok());
  IoOptions options = *started;

  const std::string big = MakeJsonLines(2 << 20, 4);
  for (const char* url :
       {"s3://bkt/plain.json", "s3://bkt/odd keys/a+b=c&d (1)~é.json", "s3://bkt/flaky.json"}) {
    INFO(url);
    const absl::Status written = WriteFile(url, big, options);
    INFO(written.ToString());
    REQUIRE(written.ok());
    CHECK(TextOf(ReadAll(url, Compression::kNone, options)) == big);
  }
  IoOptions with_token = options;
  with_token.session_token = "FwoGZXIvYXdzE//token+=";
  CHECK(WriteFile("s3://bkt/token.json", "t", with_token).ok());

  IoOptions wrong_secret = options;
  wrong_secret.secret_access_key = "not-the-secret";
  const absl::Status denied = WriteFile("s3://bkt/k.json", "x", wrong_secret);
  INFO(denied.ToString());
  CHECK(absl::IsPermissionDenied(denied));
  CHECK(Contains(denied, "SignatureDoesNotMatch"));
}

}  // namespace
}  // namespace weft::io
