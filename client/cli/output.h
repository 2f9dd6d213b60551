// Printing results for people: values as aligned tables or JSON, durations, and a
// progress bar on stderr. Used by the `weft` command line.
//
// Threading: free functions; ProgressBar is used from one thread.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "weft/value.h"

namespace weft::cli {

// JSON text of a value (records as objects, lists as arrays, bytes as base64-less
// placeholder "<N bytes>").
std::string ToJson(const Value& value);

// A list of [key, count]-like pairs, or a list of scalars, as an aligned table with the
// given column headers; anything else as JSON.
void PrintTable(std::ostream& out, const Value& value, const std::vector<std::string>& headers);

// "12.3 ms", "1.52 s".
std::string FormatSeconds(absl::Duration d);

// A one-line progress bar on stderr, redrawn in place when stderr is a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label) : label_(std::move(label)) {}
  void Update(int done, int total);
  void Finish();

 private:
  std::string label_;
  absl::Time start_ = absl::Now();
  int last_done_ = -1;
};

}  // namespace weft::cli
