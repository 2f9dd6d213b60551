// BatchRows: the built-in stateful stage of a pipeline — collects rows into batches of
// `rows` data rows. With `header`, the first row it is given is the CSV header: kept as
// state and prepended to every batch, so that the parallel function sees
// "header\nrow\nrow\n...". Every row in a batch ends with '\n'.
//
// Pure: no I/O. Threading: not thread-safe; the source stage's thread owns it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::stream {

class BatchRows {
 public:
  // REQUIRES: rows > 0.
  BatchRows(int rows, bool header) : rows_(rows), header_(header) {}

  // Adds one row (a frame's bytes, without a trailing '\n'); returns a full batch when
  // this row completes one.
  std::optional<std::string> Add(std::string_view row);
  // The last, partial batch at the end of input; nullopt when no data row is pending.
  std::optional<std::string> Flush();

  int64_t rows_seen() const { return rows_seen_; }  // data rows, the header not counted

 private:
  void StartBatch();

  // Constant after construction.
  const int rows_;
  const bool header_;

  std::optional<std::string> header_row_;  // once seen (header_ only)
  std::string batch_;
  int in_batch_ = 0;
  int64_t rows_seen_ = 0;
};

}  // namespace weft::stream
