#include "key.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace weft {
namespace {

// MurmurHash3_x64_128 (Austin Appleby, public domain), seed 0, fed in pieces so that a
// Cord is hashed chunk by chunk without flattening it. The digest is h1 then h2, each
// little-endian: the byte order of the reference implementation's output, and what
// Guava's Hashing.murmur3_128() prints.
class Murmur3x64_128 {
 public:
  void Update(std::string_view data) {
    total_ += data.size();
    if (pending_size_ > 0) {
      const size_t take = std::min(kBlock - pending_size_, data.size());
      std::memcpy(pending_ + pending_size_, data.data(), take);
      pending_size_ += take;
      data.remove_prefix(take);
      if (pending_size_ < kBlock) return;
      Block(pending_);
      pending_size_ = 0;
    }
    while (data.size() >= kBlock) {
      Block(data.data());
      data.remove_prefix(kBlock);
    }
    std::memcpy(pending_, data.data(), data.size());
    pending_size_ = data.size();
  }

  std::string HexDigest() && {
    Finish();
    char digest[16];
    std::memcpy(digest, &h1_, 8);  // little-endian host (asserted in codec.cc)
    std::memcpy(digest + 8, &h2_, 8);
    return absl::BytesToHexString(absl::string_view(digest, sizeof(digest)));
  }

  uint64_t Low64() && {
    Finish();
    return h1_;
  }

 private:
  static constexpr size_t kBlock = 16;
  static constexpr uint64_t kC1 = 0x87c37b91114253d5ULL;
  static constexpr uint64_t kC2 = 0x4cf5ad432745937fULL;

  void Finish() {
    Tail();
    h1_ ^= total_;
    h2_ ^= total_;
    h1_ += h2_;
    h2_ += h1_;
    h1_ = Fmix(h1_);
    h2_ = Fmix(h2_);
    h1_ += h2_;
    h2_ += h1_;
  }

  static uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  static uint64_t Fmix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
  }
  static uint64_t MixK1(uint64_t k1) { return Rotl(k1 * kC1, 31) * kC2; }
  static uint64_t MixK2(uint64_t k2) { return Rotl(k2 * kC2, 33) * kC1; }

  void Block(const char* block) {
    uint64_t k1, k2;
    std::memcpy(&k1, block, 8);
    std::memcpy(&k2, block + 8, 8);
    h1_ ^= MixK1(k1);
    h1_ = Rotl(h1_, 27) + h2_;
    h1_ = h1_ * 5 + 0x52dce729;
    h2_ ^= MixK2(k2);
    h2_ = Rotl(h2_, 31) + h1_;
    h2_ = h2_ * 5 + 0x38495ab5;
  }

  // The last 0-15 bytes: byte i goes to bit 8*i of k1 (i < 8) or k2 (i >= 8).
  void Tail() {
    uint64_t k1 = 0, k2 = 0;
    for (size_t i = pending_size_; i-- > 0;) {
      const uint64_t byte = static_cast<unsigned char>(pending_[i]);
      if (i >= 8) {
        k2 |= byte << (8 * (i - 8));
      } else {
        k1 |= byte << (8 * i);
      }
    }
    if (pending_size_ > 8) h2_ ^= MixK2(k2);
    if (pending_size_ > 0) h1_ ^= MixK1(k1);
  }

  uint64_t h1_ = 0;  // seed 0
  uint64_t h2_ = 0;
  uint64_t total_ = 0;
  char pending_[kBlock];
  size_t pending_size_ = 0;
};

}  // namespace

std::string StableHashHex(const absl::Cord& bytes) {
  Murmur3x64_128 hash;
  // Debian's Abseil has its own absl::string_view, not an alias of std::string_view.
  for (absl::string_view chunk : bytes.Chunks()) hash.Update({chunk.data(), chunk.size()});
  return std::move(hash).HexDigest();
}

std::string StableHashHex(std::string_view bytes) {
  Murmur3x64_128 hash;
  hash.Update(bytes);
  return std::move(hash).HexDigest();
}

uint64_t StableHash64(std::string_view bytes) {
  Murmur3x64_128 hash;
  hash.Update(bytes);
  return std::move(hash).Low64();
}

std::string SliceKey(std::string_view key, int64_t index) {
  return absl::StrCat(absl::string_view(key.data(), key.size()),
                      absl::string_view(kSliceSeparator.data(), kSliceSeparator.size()), index);
}

bool ParseSliceKey(std::string_view slice_key, std::string* key, int64_t* index) {
  const size_t at = slice_key.rfind(kSliceSeparator);
  if (at == std::string_view::npos) return false;
  int64_t i = 0;
  if (!absl::SimpleAtoi(absl::string_view(slice_key.data() + at + kSliceSeparator.size(),
                                          slice_key.size() - at - kSliceSeparator.size()),
                        &i) ||
      i < 0) {
    return false;
  }
  key->assign(slice_key.substr(0, at));
  *index = i;
  return true;
}

std::string MakeKey(std::string_view prefix, const absl::Cord& token, int64_t index) {
  std::string key =
      absl::StrCat(absl::string_view(prefix.data(), prefix.size()), "-", StableHashHex(token));
  if (index >= 0) absl::StrAppend(&key, "-", index);
  return key;
}

std::string KeyPrefix(std::string_view key) {
  // dask's key_split: the first dash-separated word, then each following word made only of
  // letters (an 8-letter hex word counts as a hash), stopping at the first that is not.
  // "inc-5e3c..." → "inc", "read-text-<hash>-7" → "read-text", "leaf-12" → "leaf".
  auto is_alpha_word = [](std::string_view w) {
    if (w.empty()) return false;
    bool hex = w.size() == 8;
    for (char c : w) {
      if (!std::isalpha(static_cast<unsigned char>(c))) return false;
      if (!std::isxdigit(static_cast<unsigned char>(c))) hex = false;
    }
    return !hex;
  };
  size_t end = key.find('-');
  if (end == std::string_view::npos) return std::string(key);
  while (end < key.size()) {
    size_t next = key.find('-', end + 1);
    if (next == std::string_view::npos) next = key.size();
    if (!is_alpha_word(key.substr(end + 1, next - end - 1))) break;
    end = next;
  }
  return std::string(key.substr(0, end));
}

}  // namespace weft
