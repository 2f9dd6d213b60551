// Single-thread timings of the Bag kernels on real GitHub Archive files:
//   bazel run //worker/bag:bag_kernels_bench -- /work/shared/data/gharchive/2016
// (default: $WEFT_GHARCHIVE_DIR/2016). For each kernel: total ms over all files and MB/s
// of uncompressed text.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "common/compressed_lines.h"
#include "worker/bag/bag_ops.h"
#include "worker/bag/column.h"

namespace {

using weft::Value;
namespace bag = weft::bag;

double NowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Die(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Check(absl::StatusOr<T> r, const std::string& what) {
  if (!r.ok()) Die(what, r.status());
  return *std::move(r);
}

// Times fn over every partition; prints ms and MB/s over `mb` megabytes.
void Time(const char* name, const std::vector<Value>& parts, double mb,
          const std::function<void(const Value&)>& fn) {
  const double start = NowMs();
  for (const Value& p : parts) fn(p);
  const double ms = NowMs() - start;
  std::printf("%-28s %9.1f ms %9.0f MB/s\n", name, ms, mb / (ms / 1000.0));
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  if (argc > 1) {
    dir = argv[1];
  } else if (const char* env = std::getenv("WEFT_GHARCHIVE_DIR")) {
    dir = std::string(env) + "/2016";
  } else {
    std::fprintf(stderr, "usage: bag_kernels_bench DIR (or set WEFT_GHARCHIVE_DIR)\n");
    return 2;
  }
  std::vector<std::string> files;
  const Value listed = Check(bag::ListFiles(dir + "/*.json.gz"), "list");
  for (const Value& url : listed.as_list()) {
    files.push_back(url.as_string());
  }

  std::vector<Value> lines(files.size());
  double mb = 0;
  const double start = NowMs();
  for (size_t i = 0; i < files.size(); ++i) {
    lines[i] = Check(bag::ReadText(files[i], "infer"), files[i]);
    mb += lines[i].as_json_lines().text.size() / 1e6;
  }
  const double read_ms = NowMs() - start;
  int64_t events = 0;
  for (const Value& l : lines) events += l.as_json_lines().num_lines();
  std::printf("%zu files, %lld events, %.1f MB uncompressed\n", files.size(),
              static_cast<long long>(events), mb);
  std::printf("%-28s %9.1f ms %9.0f MB/s\n", "read_text (gzip, ISA-L)", read_ms,
              mb / (read_ms / 1000.0));

  std::vector<Value> records(lines.size());
  Time("parse_json (validate)", lines, mb, [&, i = size_t{0}](const Value& p) mutable {
    records[i++] = Check(bag::ParseJson(p, "bench", "raise"), "parse_json");
  });
  Time("frequencies(type) cold", records, mb,
       [](const Value& p) { Check(bag::Frequencies(p, "type"), "frequencies"); });
  Time("frequencies(type) warm", records, mb,
       [](const Value& p) { Check(bag::Frequencies(p, "type"), "frequencies"); });
  Time("count", records, mb, [](const Value& p) { Check(bag::Count(p), "count"); });
  Time("filter(repo.name) cold", records, mb, [](const Value& p) {
    Check(bag::Filter(p, "starts_with(repo.name, \"jupyter/\")"), "filter");
  });
  Time("filter(repo.name) warm", records, mb, [](const Value& p) {
    Check(bag::Filter(p, "starts_with(repo.name, \"jupyter/\")"), "filter");
  });
  Time("frequencies(actor.login) cold", records, mb,
       [](const Value& p) { Check(bag::Frequencies(p, "actor.login"), "frequencies"); });
  Time("frequencies(actor.login) warm", records, mb,
       [](const Value& p) { Check(bag::Frequencies(p, "actor.login"), "frequencies"); });
  Time("take(1)", records, mb, [](const Value& p) { Check(bag::Take(p, 1), "take"); });

  // Persisted (compressed) partitions: what a query that no cached column answers pays.
  std::vector<Value> compressed(lines.size());
  Time("parse_json_compressed", lines, mb, [&, i = size_t{0}](const Value& p) mutable {
    compressed[i++] = Check(bag::ParseJsonCompressed(p, "bench", "raise", 1), "persist");
  });
  Time("decompress (every block)", compressed, mb, [](const Value& p) {
    const weft::CompressedLines& c = p.as_compressed_lines();
    for (size_t b = 0; b < c.num_blocks(); ++b) Check(weft::DecompressBlock(c, b), "block");
  });
  Time("frequencies(type) persisted", compressed, mb,
       [](const Value& p) { Check(bag::Frequencies(p, "type"), "frequencies"); });
  Time("filter(repo.name) persisted", compressed, mb, [](const Value& p) {
    Check(bag::Filter(p, "starts_with(repo.name, \"jupyter/\")"), "filter");
  });
  const auto stats = bag::ColumnCache::Global().stats();
  std::printf("column cache: %zu entries, %.1f MB, %lld hits, %lld misses\n", stats.entries,
              stats.bytes / 1e6, static_cast<long long>(stats.hits),
              static_cast<long long>(stats.misses));
  return 0;
}
