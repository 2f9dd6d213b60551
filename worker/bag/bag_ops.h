// The partition functions of weft's Bag, as pure functions: Values in, Values out. The
// workers run them by name ("bag.count", ...; see bag_functions.cc); the client's Bag
// (client/bag.cc) builds the graphs that call them.
//
// A partition is a Value that is either
//   - JsonLines: records kept as raw JSON text with a line index, parsed on demand with
//     simdjson; the fields a query touches are cached as dictionary-encoded columns
//     (column.h), so a second query on a persisted partition parses nothing;
//   - CompressedLines: JsonLines in zstd blocks, a persisted partition's form (Compress).
//     count, take, pluck, filter, frequencies, topk, distinct, foldby, concat and split
//     read it as it is (decompressing only the blocks they touch, once per cached column);
//     every other function gets it decompressed from the worker's registry; or
//   - a list: plain values (after pluck) or records as Values.
// Paths are dotted ("actor.login"); "" is the item itself; a missing field is null.
//
// Orders, chosen so that tree reductions give the same answer however the data are
// partitioned:
//   frequencies: [value, count] pairs, count descending, then value ascending
//                (value_order.h);
//   distinct:    first appearance first;
//   topk:        key descending; ties keep input order (partials keep it, merges
//                concatenate partials in order);
//   foldby:      [key, accumulator] pairs, key ascending.
// Errors are kInvalidArgument naming the function, unless said otherwise.
//
// Threading: every function is thread-safe (the column cache is shared and locked).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/io/io.h"
#include "weft/value.h"
#include "worker/bag/json_access.h"

namespace weft::bag {

// ---- Reading (bag_read.cc)

// The files matching `pattern` (local glob, s3://bucket/prefix*, http(s)://url) as a
// list of url strings, sorted. kNotFound when nothing matches. (The workers pass options
// whose `cancelled` is the task's cancel flag: see bag_functions.cc.)
absl::StatusOr<Value> ListFiles(const std::string& pattern,
                                const io::IoOptions& options = io::IoOptions::FromEnvironment());
// The decompressed file as JsonLines. compression: "infer" (by extension), "gzip",
// "zstd", "none". Final empty lines are dropped; a '\r' before '\n' is not part of a
// line. I/O errors keep their code (kNotFound, kDataLoss, kCancelled, ...).
absl::StatusOr<Value> ReadText(const std::string& url, const std::string& compression,
                               const io::IoOptions& options = io::IoOptions::FromEnvironment());
// A sample of the file's lines for a sort's range boundaries (client/bag_keyed.cc): the
// whole lines within `blocks` byte ranges of `block_bytes`, evenly spaced from the start
// of the file to its end (a line cut by a range's start or end is left out), as JsonLines
// in file order. Read whole (as ReadText) when the file is compressed (by `compression`,
// or its extension for "infer"), its size is unknown, it is at most 2 * blocks *
// block_bytes long, or the ranges hold fewer than `blocks` whole lines (lines longer than
// the ranges).
absl::StatusOr<Value> ReadTextSample(
    const std::string& url, const std::string& compression, int64_t blocks, int64_t block_bytes,
    const io::IoOptions& options = io::IoOptions::FromEnvironment());
// Validates every line as JSON. on_error "raise": the first malformed line is the error
// "malformed JSON in <source> line <N>: <reason>" (N 1-based, kInvalidArgument);
// "skip": only the valid lines are kept (the input itself when all are valid).
absl::StatusOr<Value> ParseJson(const Value& lines, const std::string& source,
                                const std::string& on_error);
// What ParseLines reads from each valid line, in the pass that validates it.
class ParsedLineSink {
 public:
  virtual ~ParsedLineSink() = default;
  // The paths to read from the next line (none: it is only validated).
  virtual const std::vector<Path>& paths() const = 0;
  // The next valid line's values at paths(), in order (strings view the parser's buffer
  // until the next line is parsed). A line dropped in skip mode is not handed over.
  virtual void Add(const std::vector<Extracted>& values) = 0;
};
// ParseJson (its rules, errors and result), handing each valid line's values at
// sink.paths() to `sink` from the same parse.
absl::StatusOr<Value> ParseLines(const Value& lines, const std::string& source,
                                 const std::string& on_error, ParsedLineSink& sink);
// ParseJson, reading in the same pass the columns that `filter_expression` (filter_expr.h)
// needs into the column cache, keyed by the result's buffers: a filter that follows (the
// client fuses read_text → parse_json → filter → count this way) finds them there instead
// of parsing every line a second time. An expression of the value language reads none.
absl::StatusOr<Value> ParseJsonColumns(const Value& lines, const std::string& source,
                                       const std::string& on_error,
                                       const std::string& filter_expression);
// ParseJson then Compress(level): a persist's partition. From the same parse, the columns
// of the partition's low-cardinality top-level fields (low_cardinality.h) go into the
// column cache keyed by the compressed result's buffers, so that the first frequencies or
// filter on such a field decompresses nothing.
absl::StatusOr<Value> ParseJsonCompressed(const Value& lines, const std::string& source,
                                          const std::string& on_error, int64_t level);
absl::StatusOr<int64_t> CountMalformed(const Value& lines);

// ---- Element-wise (bag_ops.cc)

// The value at `path` of every item, as a list.
absl::StatusOr<Value> Pluck(const Value& part, const std::string& path);
// The items for which `expression` holds, of the same kind as `part`: a filter-language
// predicate (filter_expr.h) runs on cached columns; any other value expression (expr.h:
// `_ > 50`, `length(payload.commits) > 2`) selects the items where it is true. A text
// neither language parses is the filter language's error.
absl::StatusOr<Value> Filter(const Value& part, const std::string& expression);
absl::StatusOr<int64_t> Count(const Value& part);
// How many items pass `expression`: count(filter(part, expression)) without building the
// filtered partition (the client fuses filter().count() into it).
absl::StatusOr<int64_t> FilterCount(const Value& part, const std::string& expression);
// The first n items as Values (records as Value records, field order kept).
absl::StatusOr<Value> Take(const Value& part, int64_t n);
// One partition: JsonLines when every non-empty part is JsonLines, else a list.
absl::StatusOr<Value> Concat(const ValueList& parts);
// Slice i of n nearly equal slices (JsonLines slices share the text, no copy).
absl::StatusOr<Value> Split(const Value& part, int64_t i, int64_t n);
// A persisted partition's storage form: JsonLines as CompressedLines (zstd at `level`,
// -7 to 19; 1 is zstd's fastest full level, negative ones are faster and larger); lists and
// compressed partitions as they are.
absl::StatusOr<Value> Compress(const Value& part, int64_t level);

// ---- Reductions (bag_reduce.cc): per-partition partials and their combines.

absl::StatusOr<Value> Frequencies(const Value& part, const std::string& path);
absl::StatusOr<Value> MergeFrequencies(const ValueList& partials);
// key: "" the items themselves, else a path into each item ("1" is item[1] of a list).
absl::StatusOr<Value> TopK(const Value& part, int64_t k, const std::string& key);
absl::StatusOr<Value> MergeTopK(const ValueList& partials, int64_t k, const std::string& key);
absl::StatusOr<Value> Distinct(const Value& part, const std::string& path);
absl::StatusOr<Value> MergeDistinct(const ValueList& partials);
// op: "count" (field_path unused), "sum", "min", "max" of field_path, ignoring nulls
// (a key whose fields are all null gets null for min/max, 0 for sum).
absl::StatusOr<Value> Foldby(const Value& part, const std::string& key_path, const std::string& op,
                             const std::string& field_path);
absl::StatusOr<Value> MergeFoldby(const ValueList& partials, const std::string& op);

}  // namespace weft::bag
