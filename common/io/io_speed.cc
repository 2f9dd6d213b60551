// Decompression speed on real files: weft's ISA-L gzip stream vs zlib's inflate, both
// from memory (so the disk is out of the picture), in MB/s of decompressed output.
//
//   bazel run //common/io:io_speed -- '/work/shared/data/gharchive/2016/*.json.gz'
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/io/io.h"

namespace {

// The bytes of one file, served from memory.
class StringStream final : public weft::io::InputStream {
 public:
  StringStream(const std::string& bytes, std::string url) : bytes_(bytes), url_(std::move(url)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    n = std::min(n, bytes_.size() - pos_);
    std::memcpy(buf, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  const std::string& url() const override { return url_; }

 private:
  const std::string& bytes_;
  const std::string url_;
  size_t pos_ = 0;
};

// zlib, member after member, into a reused 1 MiB buffer. Returns decompressed bytes.
size_t ZlibInflate(const std::string& gz) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::vector<unsigned char> out(1 << 20);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  size_t total = 0;
  while (true) {
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    total += out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);
    } else if (rc != Z_OK) {
      std::fprintf(stderr, "zlib error %d\n", rc);
      break;
    }
  }
  inflateEnd(&zs);
  return total;
}

absl::StatusOr<size_t> IsalInflate(const std::string& gz, const std::string& url) {
  auto stream =
      weft::io::Decompress(std::make_unique<StringStream>(gz, url), weft::io::Compression::kGzip);
  if (!stream.ok()) return stream.status();
  std::vector<char> out(1 << 20);
  size_t total = 0;
  while (true) {
    absl::StatusOr<size_t> n = (*stream)->Read(out.data(), out.size());
    if (!n.ok()) return n.status();
    if (*n == 0) return total;
    total += *n;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string pattern = argc > 1 ? argv[1] : "/work/shared/data/gharchive/2016/*.json.gz";
  auto files = weft::io::ExpandGlob(pattern, weft::io::IoOptions());
  if (!files.ok()) {
    std::fprintf(stderr, "%s\n", std::string(files.status().ToString()).c_str());
    return 1;
  }
  std::vector<std::string> contents;
  size_t compressed = 0;
  for (const auto& file : *files) {
    auto raw = weft::io::ReadAll(file.url, weft::io::Compression::kNone, weft::io::IoOptions());
    if (!raw.ok()) return 1;
    compressed += raw->size();
    contents.push_back(*std::move(raw));
  }
  absl::Time start = absl::Now();
  size_t isal_bytes = 0;
  for (size_t i = 0; i < contents.size(); ++i) {
    auto n = IsalInflate(contents[i], (*files)[i].url);
    if (!n.ok()) {
      std::fprintf(stderr, "%s\n", std::string(n.status().ToString()).c_str());
      return 1;
    }
    isal_bytes += *n;
  }
  const double isal_s = absl::ToDoubleSeconds(absl::Now() - start);
  start = absl::Now();
  size_t zlib_bytes = 0;
  for (const std::string& gz : contents) zlib_bytes += ZlibInflate(gz);
  const double zlib_s = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("%zu files, %.1f MB compressed, %.1f MB decompressed\n", contents.size(),
              compressed / 1e6, isal_bytes / 1e6);
  std::printf("ISA-L (weft::io gzip stream): %.2f s, %.0f MB/s\n", isal_s,
              isal_bytes / 1e6 / isal_s);
  std::printf("zlib inflate:                 %.2f s, %.0f MB/s\n", zlib_s,
              zlib_bytes / 1e6 / zlib_s);
  if (zlib_bytes != isal_bytes) {
    std::printf("MISMATCH: zlib %zu bytes vs ISA-L %zu bytes\n", zlib_bytes, isal_bytes);
    return 1;
  }
  return 0;
}
