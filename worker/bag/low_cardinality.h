// The columns a persist keeps of its partition: top-level fields whose values are scalars
// with few distinct values ("type", "public" in the GitHub Archive), found while the lines
// are validated, so that the first query on such a field reads a dictionary column instead
// of decompressing every block (the semi-structured storage of issue 12).
//
// The candidates are the top-level scalar fields of the partition's first line
// (LineParser::TopLevelScalarFields). Each later line adds its value at each candidate's
// path, as parse_json's filter columns do (a missing field is null); a candidate is dropped
// as soon as a value is an object or a list or its distinct values exceed `max_distinct`,
// so a field like an id costs a few hundred lines and is gone. What is left at the end is
// exactly BuildColumn's column of that path over the lines added.
//
// Threading: one thread at a time (a task's).
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "worker/bag/column.h"
#include "worker/bag/json_access.h"

namespace weft::bag {

class LowCardinalityColumns {
 public:
  struct Options {
    size_t max_fields = 16;     // candidates taken from the first line, at most
    size_t max_distinct = 256;  // distinct values a kept column may have
  };

  LowCardinalityColumns() : LowCardinalityColumns(Options()) {}
  explicit LowCardinalityColumns(Options options) : options_(options) {}

  // Sets the candidates from the first line's top-level scalar field names. Call once,
  // before the first Add.
  void Start(const std::vector<std::string>& field_names, size_t expected_lines);
  // The paths whose values the next Add takes, in order (shrinks as candidates drop).
  const std::vector<Path>& paths() const { return paths_; }
  // The next line's values, one per paths().
  // REQUIRES: values.size() == paths().size().
  void Add(const std::vector<Extracted>& values);
  // The kept columns, by path.
  std::vector<std::pair<Path, std::shared_ptr<const Column>>> Finish() &&;

 private:
  void Drop(size_t candidate);

  const Options options_;
  std::vector<Path> paths_;
  std::vector<ColumnBuilder> builders_;  // builders_[k] builds paths_[k]'s column
};

}  // namespace weft::bag
