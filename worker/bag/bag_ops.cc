// Element-wise partition functions: pluck, filter, count, take, concat, split, and the
// compression of persisted partitions.
#include "worker/bag/bag_ops.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/compressed_lines.h"
#include "common/status_macros.h"
#include "worker/bag/column.h"
#include "worker/bag/expr.h"
#include "worker/bag/filter_expr.h"
#include "worker/bag/partition.h"

namespace weft::bag {

absl::StatusOr<Value> Pluck(const Value& part, const std::string& path_text) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, "bag.pluck"));
  const Path path = Path::Parse(path_text);
  ValueList out;
  out.reserve(NumItems(part));
  if (part.is_list()) {
    for (const Value& item : part.as_list()) out.push_back(ValueAtPath(item, path));
    return Value(std::move(out));
  }
  WEFT_ASSIGN_OR_RETURN(std::shared_ptr<const Column> column, ColumnOf(part, path));
  for (size_t i = 0; i < column->size(); ++i) out.push_back(column->at(i));
  return Value(std::move(out));
}

namespace {

// Which lines of a JsonLines or CompressedLines partition pass `expr`: each leaf is
// evaluated once per distinct value of its (cached) column.
// REQUIRES: part is JsonLines or CompressedLines.
absl::StatusOr<std::vector<uint8_t>> SelectionMask(const Value& part, const FilterExpr& expr) {
  std::vector<std::shared_ptr<const Column>> owned;
  std::vector<const Column*> columns;
  for (const Path& path : expr.paths()) {
    WEFT_ASSIGN_OR_RETURN(std::shared_ptr<const Column> column, ColumnOf(part, path));
    columns.push_back(column.get());
    owned.push_back(std::move(column));
  }
  return expr.Evaluate(columns, NumItems(part));
}

}  // namespace

namespace {

// The selection of a predicate that the filter language cannot say (`_ > 50`,
// `length(payload.commits) > 2`): the value language (expr.h) decides, true selecting.
absl::StatusOr<std::vector<uint8_t>> ValueExprMask(const Value& part, const std::string& expression,
                                                   const absl::Status& filter_error) {
  absl::StatusOr<Expr> expr = Expr::Parse(expression);
  if (!expr.ok()) {  // neither language parses it: the filter's message, if it has one
    return filter_error.ok() ? expr.status() : filter_error;
  }
  // The value language reads whole records: a compressed partition is opened for it.
  WEFT_ASSIGN_OR_RETURN(Value opened, DecompressValue(part));
  WEFT_ASSIGN_OR_RETURN(ValueList values, expr->EvaluatePartition(opened));
  std::vector<uint8_t> mask(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    mask[i] = values[i].is_bool() && values[i].as_bool();
  }
  return mask;
}

// Which items pass `expression`: the filter language on columns when it parses it, else
// the value language.
absl::StatusOr<std::vector<uint8_t>> Selection(const Value& part, const std::string& expression) {
  absl::StatusOr<FilterExpr> expr = FilterExpr::Parse(expression);
  if (!expr.ok()) return ValueExprMask(part, expression, expr.status());
  // `_` (the item) is the value language's; to the filter language it is a field name.
  for (const Path& path : expr->paths()) {
    if (!path.parts().empty() && path.parts().front() == "_") {
      return ValueExprMask(part, expression, absl::OkStatus());
    }
  }
  if (part.is_json_lines() || part.is_compressed_lines()) return SelectionMask(part, *expr);
  std::vector<uint8_t> mask;
  mask.reserve(part.as_list().size());
  for (const Value& item : part.as_list()) mask.push_back(expr->Matches(item));
  return mask;
}

}  // namespace

absl::StatusOr<Value> Filter(const Value& part, const std::string& expression) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, "bag.filter"));
  WEFT_ASSIGN_OR_RETURN(std::vector<uint8_t> mask, Selection(part, expression));
  if (std::all_of(mask.begin(), mask.end(), [](uint8_t b) { return b != 0; })) return part;
  if (part.is_json_lines()) return Value(SelectLines(part.as_json_lines(), mask));
  if (part.is_compressed_lines()) {
    WEFT_ASSIGN_OR_RETURN(JsonLines selected, SelectLines(part.as_compressed_lines(), mask));
    return Value(std::move(selected));
  }
  ValueList out;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) out.push_back(part.as_list()[i]);
  }
  return Value(std::move(out));
}

absl::StatusOr<int64_t> FilterCount(const Value& part, const std::string& expression) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, "bag.filter_count"));
  WEFT_ASSIGN_OR_RETURN(std::vector<uint8_t> mask, Selection(part, expression));
  return static_cast<int64_t>(
      std::count_if(mask.begin(), mask.end(), [](uint8_t b) { return b != 0; }));
}

absl::StatusOr<int64_t> Count(const Value& part) {
  switch (part.kind()) {
    case ValueKind::kJsonLines:
      return static_cast<int64_t>(part.as_json_lines().num_lines());
    case ValueKind::kCompressedLines:
      return static_cast<int64_t>(part.as_compressed_lines().num_lines());
    case ValueKind::kList:
      return static_cast<int64_t>(part.as_list().size());
    case ValueKind::kInt64Array:
      return static_cast<int64_t>(part.as_int64_array().size());
    case ValueKind::kDoubleArray:
      return static_cast<int64_t>(part.as_double_array().size());
    case ValueKind::kBoolArray:
      return static_cast<int64_t>(part.as_bool_array().size());
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "bag.count(): the partition must be json_lines or a list, got ", part.kind_name()));
  }
}

absl::StatusOr<Value> Take(const Value& part, int64_t n) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, "bag.take"));
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat("bag.take(): n must be >= 0, got ", n));
  const size_t count = std::min<uint64_t>(static_cast<uint64_t>(n), NumItems(part));
  if (part.is_list() && count == part.as_list().size()) return part;
  Value head = part;  // of a compressed partition, only the blocks that hold the first items
  if (part.is_compressed_lines()) {
    WEFT_ASSIGN_OR_RETURN(JsonLines lines, DecompressRange(part.as_compressed_lines(), 0, count));
    head = Value(std::move(lines));
  }
  ValueList out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    WEFT_ASSIGN_OR_RETURN(Value item, ItemAt(head, i));
    out.push_back(std::move(item));
  }
  return Value(std::move(out));
}

absl::StatusOr<Value> Concat(const ValueList& parts) {
  // Compressed partitions: their blocks as they are when every part is one, else opened.
  std::vector<const CompressedLines*> compressed;
  for (const Value& p : parts) {
    WEFT_RETURN_IF_ERROR(ExpectPartition(p, "bag.concat"));
    if (p.is_compressed_lines()) compressed.push_back(&p.as_compressed_lines());
  }
  if (!compressed.empty() && compressed.size() == parts.size()) {
    return Value(ConcatCompressed(compressed));
  }
  if (!compressed.empty()) {
    WEFT_ASSIGN_OR_RETURN(Value opened, DecompressValue(Value(parts)));
    return Concat(opened.as_list());
  }
  bool all_lines = true;
  size_t non_empty = 0, bytes = 0, lines = 0;
  const Value* only = nullptr;
  for (const Value& p : parts) {
    if (NumItems(p) == 0) continue;
    ++non_empty;
    only = &p;
    if (!p.is_json_lines()) {
      all_lines = false;
      continue;
    }
    lines += p.as_json_lines().num_lines();
    bytes += p.as_json_lines().text.size() + p.as_json_lines().num_lines();
  }
  if (non_empty == 1) return *only;
  if (non_empty == 0) {
    return parts.empty() || !parts.front().is_json_lines() ? Value(ValueList{}) : parts.front();
  }
  if (all_lines) {
    JsonLinesBuilder builder;
    builder.Reserve(bytes, lines);
    for (const Value& p : parts) {
      if (!p.is_json_lines()) continue;
      const JsonLines& in = p.as_json_lines();
      for (size_t i = 0; i < in.num_lines(); ++i) builder.Append(LineAt(in, i));
    }
    return Value(std::move(builder).Finish());
  }
  ValueList out;
  for (const Value& p : parts) {
    for (size_t i = 0; i < NumItems(p); ++i) {
      WEFT_ASSIGN_OR_RETURN(Value item, ItemAt(p, i));
      out.push_back(std::move(item));
    }
  }
  return Value(std::move(out));
}

absl::StatusOr<Value> Split(const Value& part, int64_t i, int64_t n) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, "bag.split"));
  if (n <= 0 || i < 0 || i >= n) {
    return absl::InvalidArgumentError(
        absl::StrCat("bag.split(): need 0 <= i < n, got i=", i, " n=", n));
  }
  const uint64_t size = NumItems(part);
  if (size == 0) return part;
  // 128-bit products: size * i cannot overflow.
  const size_t begin = static_cast<size_t>((unsigned __int128)size * i / n);
  const size_t end = static_cast<size_t>((unsigned __int128)size * (i + 1) / n);
  if (part.is_json_lines()) return Value(part.as_json_lines().Slice(begin, end));
  if (part.is_compressed_lines()) {
    WEFT_ASSIGN_OR_RETURN(JsonLines slice, DecompressRange(part.as_compressed_lines(), begin, end));
    return Value(std::move(slice));
  }
  const ValueList& items = part.as_list();
  return Value(ValueList(items.begin() + begin, items.begin() + end));
}

absl::StatusOr<Value> Compress(const Value& part, int64_t level) {
  WEFT_RETURN_IF_ERROR(ExpectPartition(part, "bag.compress"));
  if (level < -7 || level > 19) {
    return absl::InvalidArgumentError(
        absl::StrCat("bag.compress(): the zstd level must be between -7 and 19, got ", level));
  }
  if (!part.is_json_lines()) return part;
  return Value(CompressLines(part.as_json_lines(), {.level = static_cast<int>(level)}));
}

}  // namespace weft::bag
