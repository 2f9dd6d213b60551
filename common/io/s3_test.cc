// weft::io against a real S3-compatible server (s3rver on loopback): listing with
// pagination, globbing, streaming reads of gzip objects, ranged reads, and the error
// mapping (missing key / bucket, bad credentials, server down).
#include "common/io/internal/s3.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/io/compress_for_test.h"
#include "common/io/io.h"
#include "common/io/s3rver_fixture.h"

namespace weft::io {
namespace {

using testing::GzipCompress;
using testing::MakeJsonLines;

constexpr char kBucket[] = "weft-data";
constexpr int kHourFiles = 25;

bool Contains(const absl::Status& status, std::string_view text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

std::string HourKey(int i) { return absl::StrFormat("2015/2015-01-01-%d.json.gz", i); }
std::string HourText(int i) { return MakeJsonLines(20000 + 1000 * i, i); }

// One s3rver with the test objects, shared by the test cases of this binary (started on
// first use; the fixture's destructor stops it at exit).
testing::S3rver* SharedServer() {
  static testing::S3rver* server = [] {
    auto* s3 = new testing::S3rver();
    auto endpoint = s3->Start();
    if (!endpoint.ok()) FAIL("cannot start s3rver: " << endpoint.status());
    REQUIRE(s3->CreateBucket(kBucket).ok());
    for (int i = 0; i < kHourFiles; ++i) {
      REQUIRE(s3->PutObject(kBucket, HourKey(i), GzipCompress(HourText(i))).ok());
    }
    REQUIRE(s3->PutObject(kBucket, "2016/2016-01-01-0.json.gz", GzipCompress("{}\n")).ok());
    REQUIRE(s3->PutObject(kBucket, "other.txt", "plain text\n").ok());
    REQUIRE(s3->PutObject(kBucket, "odd keys/a+b=c&d (1).json", "odd\n").ok());
    REQUIRE(s3->PutObject(kBucket, "big.json", MakeJsonLines(6 << 20, 5)).ok());
    return s3;
  }();
  return server;
}

#define REQUIRE_S3RVER()                                   \
  /* ./setup.sh installs it: without it the test fails. */ \
  REQUIRE(testing::S3rver::Installed())

TEST_CASE("S3 glob lists every page and filters keys") {
  REQUIRE_S3RVER();
  IoOptions options = SharedServer()->Options();
  options.s3_max_keys = 7;  // 25 matching keys: four pages

  auto files = ExpandGlob(absl::StrCat("s3://", kBucket, "/2015/*.json.gz"), options);
  INFO(files.status().ToString());
  REQUIRE(files.ok());
  REQUIRE(files->size() == kHourFiles);
  std::vector<std::string> expected;
  for (int i = 0; i < kHourFiles; ++i)
    expected.push_back(absl::StrCat("s3://", kBucket, "/", HourKey(i)));
  std::sort(expected.begin(), expected.end());
  for (int i = 0; i < kHourFiles; ++i) {
    CHECK((*files)[i].url == expected[i]);
    CHECK((*files)[i].size > 0);
  }

  files = ExpandGlob(absl::StrCat("s3://", kBucket, "/2015/2015-01-01-1?.json.gz"), options);
  REQUIRE(files.ok());
  CHECK(files->size() == 10);
  files = ExpandGlob(absl::StrCat("s3://", kBucket, "/201[56]/*-0.json.gz"), options);
  REQUIRE(files.ok());
  CHECK(files->size() == 2);
  files = ExpandGlob(absl::StrCat("s3://", kBucket, "/*"), options);
  REQUIRE(files.ok());
  CHECK(files->size() == kHourFiles + 4);  // `*` crosses '/'

  files = ExpandGlob(absl::StrCat("s3://", kBucket, "/other.txt"), options);
  REQUIRE(files.ok());
  REQUIRE(files->size() == 1);
  CHECK((*files)[0] == FileInfo{absl::StrCat("s3://", kBucket, "/other.txt"), 11});

  const std::string nothing = absl::StrCat("s3://", kBucket, "/2017/*.json.gz");
  files = ExpandGlob(nothing, options);
  REQUIRE(absl::IsNotFound(files.status()));
  CHECK(Contains(files.status(), nothing));
  CHECK(
      absl::IsNotFound(ExpandGlob(absl::StrCat("s3://", kBucket, "/other.tx"), options).status()));
}

TEST_CASE("S3 gzip objects stream and decompress") {
  REQUIRE_S3RVER();
  const IoOptions options = SharedServer()->Options();
  for (int i : {0, 7, 24}) {
    auto text =
        ReadAll(absl::StrCat("s3://", kBucket, "/", HourKey(i)), Compression::kInfer, options);
    REQUIRE(text.ok());
    CHECK(*text == HourText(i));
  }
  // A 6 MiB object through small reads: the transfer pauses on a full buffer.
  auto stream = OpenRead(absl::StrCat("s3://", kBucket, "/big.json"), options);
  REQUIRE(stream.ok());
  std::string big;
  std::string buf(4096, '\0');
  while (true) {
    auto n = (*stream)->Read(buf.data(), buf.size());
    REQUIRE(n.ok());
    if (*n == 0) break;
    big.append(buf.data(), *n);
  }
  CHECK(big == MakeJsonLines(6 << 20, 5));

  auto odd = ReadAll(absl::StrCat("s3://", kBucket, "/odd keys/a+b=c&d (1).json"),
                     Compression::kInfer, options);
  REQUIRE(odd.ok());
  CHECK(*odd == "odd\n");
}

TEST_CASE("S3 ranged reads") {
  REQUIRE_S3RVER();
  const IoOptions options = SharedServer()->Options();
  const std::string big = MakeJsonLines(6 << 20, 5);
  const std::string url = absl::StrCat("s3://", kBucket, "/big.json");
  auto stream = OpenRead(url, options, 1000, 5000);
  REQUIRE(stream.ok());
  auto part = ReadStream(**stream);
  REQUIRE(part.ok());
  CHECK(*part == big.substr(1000, 5000));
  stream = OpenRead(url, options, big.size() - 10);
  REQUIRE(stream.ok());
  part = ReadStream(**stream);
  REQUIRE(part.ok());
  CHECK(*part == big.substr(big.size() - 10));
}

TEST_CASE("S3 anonymous access and session tokens") {
  REQUIRE_S3RVER();
  IoOptions options = SharedServer()->Options();
  options.access_key_id.clear();
  options.secret_access_key.clear();
  auto text = ReadAll(absl::StrCat("s3://", kBucket, "/other.txt"), Compression::kInfer, options);
  REQUIRE(text.ok());
  CHECK(*text == "plain text\n");

  options = SharedServer()->Options();
  options.session_token = "token-123";
  text = ReadAll(absl::StrCat("s3://", kBucket, "/other.txt"), Compression::kInfer, options);
  REQUIRE(text.ok());
  CHECK(*text == "plain text\n");
}

TEST_CASE("S3 missing keys and buckets are kNotFound") {
  REQUIRE_S3RVER();
  const IoOptions options = SharedServer()->Options();
  auto missing_key = OpenRead(absl::StrCat("s3://", kBucket, "/2015/nope.json.gz"), options);
  REQUIRE(absl::IsNotFound(missing_key.status()));
  CHECK(Contains(missing_key.status(), "2015/nope.json.gz"));
  CHECK(Contains(missing_key.status(), kBucket));
  CHECK(Contains(missing_key.status(), "NoSuchKey"));

  auto missing_bucket = OpenRead("s3://no-such-bucket/x.json.gz", options);
  REQUIRE(absl::IsNotFound(missing_bucket.status()));
  CHECK(Contains(missing_bucket.status(), "bucket 'no-such-bucket' does not exist"));

  auto list_missing_bucket = ExpandGlob("s3://no-such-bucket/*.gz", options);
  REQUIRE(absl::IsNotFound(list_missing_bucket.status()));
  CHECK(Contains(list_missing_bucket.status(), "no-such-bucket"));
}

TEST_CASE("S3 unknown credentials are kPermissionDenied") {
  REQUIRE_S3RVER();
  IoOptions options = SharedServer()->Options();
  options.access_key_id = "AKIAWRONGWRONGWRONG";
  options.secret_access_key = "wrong";
  const std::string url = absl::StrCat("s3://", kBucket, "/other.txt");
  auto read = OpenRead(url, options);
  REQUIRE(absl::IsPermissionDenied(read.status()));
  CHECK(Contains(read.status(), "access denied to " + url));
  CHECK(Contains(read.status(), "AWS_ACCESS_KEY_ID"));
  auto list = ExpandGlob(absl::StrCat("s3://", kBucket, "/2015/*"), options);
  REQUIRE(absl::IsPermissionDenied(list.status()));
}

TEST_CASE("S3 server down is kUnavailable after the retries") {
  REQUIRE_S3RVER();
  testing::S3rver s3;
  auto endpoint = s3.Start();
  REQUIRE(endpoint.ok());
  REQUIRE(s3.CreateBucket("bkt").ok());
  REQUIRE(s3.PutObject("bkt", "k.txt", "x").ok());
  IoOptions options = s3.Options();
  options.max_retries = 3;
  options.initial_backoff = absl::Milliseconds(20);
  REQUIRE(ReadAll("s3://bkt/k.txt", Compression::kNone, options).ok());
  s3.Stop();

  std::vector<absl::Duration> slept;  // the backoff, recorded instead of slept
  options.sleep = [&slept](absl::Duration d) { slept.push_back(d); };
  auto read = OpenRead("s3://bkt/k.txt", options);
  REQUIRE(absl::IsUnavailable(read.status()));
  CHECK(Contains(read.status(), *endpoint));
  CHECK(Contains(read.status(), "after 4 attempts"));
  CHECK(slept == std::vector<absl::Duration>{absl::Milliseconds(20), absl::Milliseconds(40),
                                             absl::Milliseconds(80)});
  auto list = ExpandGlob("s3://bkt/*", options);
  REQUIRE(absl::IsUnavailable(list.status()));
  CHECK(Contains(list.status(), *endpoint));
}

TEST_CASE("SigV4 signatures verify independently") {
  testing::SigV4Verifier verifier;
  auto started = verifier.Start("s3cr3t/Key+", "eu-west-3");
  REQUIRE(started.ok());
  IoOptions options = *started;

  for (const char* url : {"s3://bkt/plain.json", "s3://bkt/odd keys/a+b=c&d (1)~é.json"}) {
    INFO(url);
    auto text = ReadAll(url, Compression::kNone, options);
    INFO(text.status().ToString());
    REQUIRE(text.ok());
    CHECK(*text == "signed-ok\n");
  }
  auto files = ExpandGlob("s3://bkt/pre/*.json", options);  // two pages, encoded token
  INFO(files.status().ToString());
  REQUIRE(files.ok());
  REQUIRE(files->size() == 2);
  CHECK((*files)[1].url == "s3://bkt/pre/2.json");

  IoOptions with_token = options;
  with_token.session_token = "FwoGZXIvYXdzE//token+=";
  CHECK(ReadAll("s3://bkt/k.json", Compression::kNone, with_token).ok());

  IoOptions wrong_secret = options;
  wrong_secret.secret_access_key = "not-the-secret";
  auto denied = ReadAll("s3://bkt/k.json", Compression::kNone, wrong_secret);
  REQUIRE(absl::IsPermissionDenied(denied.status()));
  CHECK(Contains(denied.status(), "SignatureDoesNotMatch"));
}

TEST_CASE("ListObjectsV2 parsing and SigV4 encoding") {
  auto page = internal::ParseListObjectsV2(
      "<?xml version=\"1.0\"?><ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a&amp;b.gz</Key><Size>12</Size></Contents>"
      "<Contents><Key>c.gz</Key><Size>0</Size></Contents>"
      "<NextContinuationToken>tok/+=</NextContinuationToken></ListBucketResult>");
  REQUIRE(page.ok());
  REQUIRE(page->objects.size() == 2);
  CHECK(page->objects[0].first == "a&b.gz");
  CHECK(page->objects[0].second == 12);
  CHECK(page->objects[1].first == "c.gz");
  CHECK(page->truncated);
  CHECK(page->next_continuation_token == "tok/+=");
  CHECK(absl::IsDataLoss(internal::ParseListObjectsV2("<html>proxy error</html>").status()));
  CHECK(internal::AwsUriEncode("a b/c+d~e", /*keep_slash=*/true) == "a%20b/c%2Bd~e");
  CHECK(internal::AwsUriEncode("a/b", /*keep_slash=*/false) == "a%2Fb");
}

}  // namespace
}  // namespace weft::io
