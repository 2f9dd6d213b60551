// Reference compressors for tests (zlib's gzip and libzstd, independent of the ISA-L
// decoder under test). Testonly.
#pragma once

#include <string>
#include <string_view>

namespace weft::io::testing {

// One gzip member (zlib deflate, windowBits 31) of data.
std::string GzipCompress(std::string_view data, int level = 6);

// One zstd frame of data.
std::string ZstdCompress(std::string_view data, int level = 3);

// Deterministic NDJSON-looking text of about `bytes` bytes (lines of varying length).
std::string MakeJsonLines(size_t bytes, int seed = 1);

}  // namespace weft::io::testing
