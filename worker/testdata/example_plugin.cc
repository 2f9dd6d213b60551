// An example user plugin: a shared library that weft-worker loads with
// `--preload libexample_plugin.so`. It links //worker:function_api and registers typed
// C++ functions with WEFT_FUNCTION, exactly as code compiled into the worker does.
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "weft/function.h"

namespace example {

int64_t Square(int64_t x) { return x * x; }

std::string Greet(const std::string& name) { return "hello, " + name; }

absl::StatusOr<int64_t> CheckedDiv(int64_t a, int64_t b) {
  if (b == 0) return absl::InvalidArgumentError("division by zero");
  return a / b;
}

// A partition function for Bag::map_partitions: the length in bytes of each record of a
// JSON-lines partition (or of each string of a list partition).
absl::StatusOr<weft::Value> LineLengths(const weft::Value& partition) {
  weft::ValueList out;
  if (partition.is_json_lines()) {
    const weft::JsonLines& lines = partition.as_json_lines();
    for (size_t i = 0; i < lines.num_lines(); ++i) {
      out.emplace_back(static_cast<int64_t>(lines.line(i).size()));
    }
  } else if (partition.is_list()) {
    for (const weft::Value& v : partition.as_list()) {
      if (!v.is_string()) return absl::InvalidArgumentError("line_lengths: expected strings");
      out.emplace_back(static_cast<int64_t>(v.as_string().size()));
    }
  } else {
    return absl::InvalidArgumentError(std::string("line_lengths: expected a partition, got ") +
                                      partition.kind_name());
  }
  return weft::Value(std::move(out));
}

}  // namespace example

WEFT_FUNCTION("square", example::Square);
WEFT_FUNCTION("greet", example::Greet);
WEFT_FUNCTION("checked_div", example::CheckedDiv);
WEFT_FUNCTION("line_lengths", example::LineLengths);

namespace example {

// A stateful step for a streaming pipeline (weft::StatefulFunction): pairs rows into
// batches of two, "a\nb\n", the state holding the unpaired row (null when none); the end
// of input (row null) flushes it alone. A row "bad" fails, naming itself.
absl::StatusOr<weft::Value> PairRows(const weft::Value& row, const weft::Value& pending) {
  weft::ValueList batches;
  if (row.is_null()) {
    if (pending.is_string()) batches.emplace_back(pending.as_string() + "\n");
    return weft::Value(weft::ValueList{weft::Value(), weft::Value(std::move(batches))});
  }
  if (!row.is_string()) return absl::InvalidArgumentError("pair_rows: a row must be a string");
  if (row.as_string() == "bad") return absl::InvalidArgumentError("pair_rows: row 'bad'");
  if (!pending.is_string()) {
    return weft::Value(weft::ValueList{row, weft::Value(std::move(batches))});
  }
  batches.emplace_back(pending.as_string() + "\n" + row.as_string() + "\n");
  return weft::Value(weft::ValueList{weft::Value(), weft::Value(std::move(batches))});
}

}  // namespace example

WEFT_FUNCTION("pair_rows", example::PairRows);

namespace example {

// A parallel step for a streaming pipeline (weft::Pipeline::to_parallel): each row of the
// batch names a JSON-lines file (a path, or an http(s):// or s3:// URL; gzip'd or not), and
// its output row is "NAME\tRECORDS". The file is read by the worker's own bag.read_text,
// so with the worker's I/O options (weft-worker --s3-endpoint, --io-retries, ...), as a
// task's reads are.
absl::StatusOr<std::string> RecordsIn(const weft::TaskContext& context, const std::string& batch,
                                      const weft::Value& /*args*/) {
  std::string out;
  size_t start = 0;
  while (start < batch.size()) {
    size_t end = batch.find('\n', start);
    if (end == std::string::npos) end = batch.size();
    const std::string name = batch.substr(start, end - start);
    start = end + 1;
    if (name.empty()) continue;
    absl::StatusOr<weft::Value> lines =
        context.CallFunction("bag.read_text", {weft::Value(name), weft::Value("infer")});
    if (!lines.ok()) return lines.status();
    if (!lines->is_json_lines()) {
      return absl::InternalError(std::string("bag.read_text returned ") + lines->kind_name());
    }
    out += name + "\t" + std::to_string(lines->as_json_lines().num_lines()) + "\n";
  }
  return out;
}

}  // namespace example

WEFT_FUNCTION("records_in", example::RecordsIn);
