#include "key.h"

#include <set>

#include <catch2/catch.hpp>

#include "codec.h"

namespace weft {
namespace {

// Published MurmurHash3_x64_128 (seed 0) vectors, as printed by Guava's
// Hashing.murmur3_128() and Boost.Hash2's murmur3_128 tests.
TEST_CASE("StableHashHex matches MurmurHash3_x64_128 test vectors") {
  CHECK(StableHashHex("") == "00000000000000000000000000000000");
  CHECK(StableHashHex("hello") == "029bbd41b3a7d8cb191dae486a901e5b");
  CHECK(StableHashHex("abc") == "6778ad3f3f3f96b4522dca264174a23b");
  CHECK(StableHashHex("The quick brown fox jumps over the lazy dog") ==
        "6c1b07bc7bbc4be347939ac4a93c437a");
  CHECK(StableHashHex("The quick brown fox jumps over the lazy cog") ==
        "9a2685ff70a98c653e5c8ea6eae3fe43");
  CHECK(StableHashHex("The quick brown fox jumps over the lazy dog.") ==
        "c902e99e1f4899cde7b68789a3a15d69");
}

TEST_CASE("hashing a Cord in chunks equals hashing it flat") {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += static_cast<char>('a' + i * 7 % 26);
  for (size_t piece : {1, 3, 15, 16, 17, 1000}) {
    absl::Cord cord;
    for (size_t at = 0; at < text.size(); at += piece) cord.Append(text.substr(at, piece));
    CHECK(StableHashHex(cord) == StableHashHex(text));
  }
  // Every length around the 16-byte block edge, split at every place.
  const std::string s = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (size_t len = 0; len <= s.size(); ++len) {
    for (size_t cut = 0; cut <= len; ++cut) {
      absl::Cord cord(s.substr(0, cut));
      cord.Append(s.substr(cut, len - cut));
      CHECK(StableHashHex(cord) == StableHashHex(s.substr(0, len)));
    }
  }
}

absl::Cord Token(std::string_view function, const Value& args) {
  absl::Cord token(absl::string_view(function.data(), function.size()));
  token.Append(EncodeValue(args));
  return token;
}

TEST_CASE("MakeKey is deterministic and separates different work") {
  const std::string key = MakeKey("inc", Token("inc", ValueList{1}));
  CHECK(key == MakeKey("inc", Token("inc", ValueList{1})));
  CHECK(key.size() == 3 + 1 + 32);
  CHECK(key.rfind("inc-", 0) == 0);
  // The hash of the token is a fixed function of its bytes, across runs and machines.
  CHECK(MakeKey("x", absl::Cord("hello")) == "x-029bbd41b3a7d8cb191dae486a901e5b");

  std::set<std::string> keys = {
      key,
      MakeKey("inc", Token("inc", ValueList{2})),
      MakeKey("inc", Token("dec", ValueList{1})),
      MakeKey("inc", Token("inc", ValueList{1.0})),
      MakeKey("inc", Token("inc", ValueList{"1"})),
      MakeKey("inc", Token("inc", ValueList{1, 1})),
  };
  CHECK(keys.size() == 6);

  const std::string indexed = MakeKey("read", absl::Cord("files"), 12);
  CHECK(indexed == MakeKey("read", absl::Cord("files")) + "-12");
  CHECK(MakeKey("read", absl::Cord("files"), 0) != indexed);
  CHECK(MakeKey("read", absl::Cord("files"), -1) == MakeKey("read", absl::Cord("files")));
}

TEST_CASE("KeyPrefix strips hashes and indices, as dask's key_split") {
  const absl::Cord token("anything");
  CHECK(KeyPrefix(MakeKey("inc", token)) == "inc");
  CHECK(KeyPrefix(MakeKey("read-text", token, 7)) == "read-text");
  CHECK(KeyPrefix(MakeKey("parse", token, 0)) == "parse");

  CHECK(KeyPrefix("x") == "x");
  CHECK(KeyPrefix("") == "");
  CHECK(KeyPrefix("my-key") == "my-key");
  // Hand-built graph keys group by their words, not one prefix per key.
  CHECK(KeyPrefix("x-1") == "x");
  CHECK(KeyPrefix("leaf-12") == "leaf");
  CHECK(KeyPrefix("add-3-7") == "add");
  CHECK(KeyPrefix("r0-inc-123") == "r0-inc");
  CHECK(KeyPrefix("sum-0123456789abcdef0123456789abcdef-3") == "sum");
  CHECK(KeyPrefix("sum-0123456789abcdef0123456789abcdef-x") == "sum");
  // An 8-letter hex word is a hash; other letter words are names.
  CHECK(KeyPrefix("x-deadbeef") == "x");
  CHECK(KeyPrefix("x-deadbeeg") == "x-deadbeeg");
  CHECK(KeyPrefix("a0123456789abcdef0123456789abcdef") == "a0123456789abcdef0123456789abcdef");
}

}  // namespace
}  // namespace weft
