#include "common/io/compress_for_test.h"

#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace weft::io::testing {

std::string GzipCompress(std::string_view data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, /*windowBits=*/15 + 16, /*memLevel=*/8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    std::abort();
  }
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string ZstdCompress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  if (ZSTD_isError(n)) std::abort();
  out.resize(n);
  return out;
}

std::string MakeJsonLines(size_t bytes, int seed) {
  std::string out;
  uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(seed + 1);
  for (int i = 0; out.size() < bytes; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out += "{\"id\":" + std::to_string(i) + ",\"type\":\"Event" + std::to_string(x % 7) +
           "\",\"repo\":{\"name\":\"org" + std::to_string(x % 101) + "/r" +
           std::to_string(x % 997) + "\"},\"payload\":\"" +
           std::string(x % 200, static_cast<char>('a' + x % 26)) + "\"}\n";
  }
  return out;
}

}  // namespace weft::io::testing
