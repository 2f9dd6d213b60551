// Registers the example classifier of issue 13 as a worker function:
//
//   example.classify_csv(batch string|bytes, args record) -> string|bytes
//
// `batch` is CSV text (ClassifyCsvBatch in common/classify_csv.h says what is done to it);
// the result has the same kind as `batch`. `args` fields, each optional (null = default):
//   threshold  int or double, default 0   rows whose number fields sum above it are "high"
//   burn_us    int >= 0, default 0        CPU microseconds burnt per row
//   header     bool, default true         the batch's first row is the CSV header
// Other fields are errors naming the known ones (a misspelt "treshold" must not silently
// classify against 0).
//
// Threading: reentrant (no shared state).
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/classify_csv.h"
#include "common/status_macros.h"
#include "weft/function.h"
#include "weft/value.h"

namespace weft {
namespace {

struct ClassifyArgs {
  double threshold = 0;
  int64_t burn_us = 0;
  bool header = true;
};

absl::Status FieldError(const std::string& name, const char* expected, const Value& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("args.", name, " must be ", expected, ", got ", got.kind_name()));
}

absl::StatusOr<ClassifyArgs> ParseClassifyArgs(const Record& record) {
  ClassifyArgs args;
  for (const auto& [name, value] : record) {
    if (value.is_null()) continue;
    if (name == "threshold") {
      if (value.is_int()) {
        args.threshold = static_cast<double>(value.as_int());
      } else if (value.is_double()) {
        args.threshold = value.as_double();
      } else {
        return FieldError(name, "a number", value);
      }
    } else if (name == "burn_us") {
      if (!value.is_int()) return FieldError(name, "an int", value);
      if (value.as_int() < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("args.burn_us must be 0 or more, got ", value.as_int()));
      }
      args.burn_us = value.as_int();
    } else if (name == "header") {
      if (!value.is_bool()) return FieldError(name, "a bool", value);
      args.header = value.as_bool();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown argument '", name, "': the known ones are threshold, burn_us and header"));
    }
  }
  return args;
}

absl::StatusOr<Value> ClassifyCsvFunction(const Value& batch, const Record& record) {
  if (!batch.is_string() && !batch.is_bytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 1 (batch) must be string or bytes, got ", batch.kind_name()));
  }
  WEFT_ASSIGN_OR_RETURN(ClassifyArgs args, ParseClassifyArgs(record));
  const std::string_view text =
      batch.is_string() ? std::string_view(batch.as_string()) : batch.as_bytes().view();
  WEFT_ASSIGN_OR_RETURN(std::string out,
                        ClassifyCsvBatch(text, args.header, args.threshold, args.burn_us));
  if (batch.is_string()) return Value(std::move(out));
  return Value::Bytes(Buffer(std::move(out)));
}

}  // namespace
}  // namespace weft

WEFT_FUNCTION("example.classify_csv", weft::ClassifyCsvFunction);
