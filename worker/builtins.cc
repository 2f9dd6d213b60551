// The functions every weft worker knows: small arithmetic and test helpers. Bag, I/O and
// reduction functions live in their own files and register the same way.
//
// Numeric built-ins (add, mul, neg, sum) take ints or doubles: ints stay ints (overflow is
// an error, not a wrap), and any double makes the result a double.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "weft/function.h"

namespace weft {
namespace {

bool IsNumber(const Value& v) { return v.is_int() || v.is_double(); }
double AsDouble(const Value& v) {
  return v.is_int() ? static_cast<double>(v.as_int()) : v.as_double();
}

absl::Status NotANumber(const char* function, size_t index, const Value& v) {
  return absl::InvalidArgumentError(absl::StrCat(function, "(): argument ", index,
                                                 " must be int or double, got ", v.kind_name()));
}

absl::Status Overflow(const char* function) {
  return absl::OutOfRangeError(absl::StrCat(function, "(): integer overflow"));
}

absl::StatusOr<int64_t> Inc(int64_t x) {
  if (x == INT64_MAX) return Overflow("inc");
  return x + 1;
}

absl::StatusOr<int64_t> Dec(int64_t x) {
  if (x == INT64_MIN) return Overflow("dec");
  return x - 1;
}

absl::StatusOr<Value> Add(const Value& a, const Value& b) {
  if (!IsNumber(a)) return NotANumber("add", 1, a);
  if (!IsNumber(b)) return NotANumber("add", 2, b);
  if (a.is_int() && b.is_int()) {
    int64_t out;
    if (__builtin_add_overflow(a.as_int(), b.as_int(), &out)) return Overflow("add");
    return Value(out);
  }
  return Value(AsDouble(a) + AsDouble(b));
}

absl::StatusOr<Value> Mul(const Value& a, const Value& b) {
  if (!IsNumber(a)) return NotANumber("mul", 1, a);
  if (!IsNumber(b)) return NotANumber("mul", 2, b);
  if (a.is_int() && b.is_int()) {
    int64_t out;
    if (__builtin_mul_overflow(a.as_int(), b.as_int(), &out)) return Overflow("mul");
    return Value(out);
  }
  return Value(AsDouble(a) * AsDouble(b));
}

absl::StatusOr<Value> Neg(const Value& a) {
  if (!IsNumber(a)) return NotANumber("neg", 1, a);
  if (a.is_double()) return Value(-a.as_double());
  if (a.as_int() == INT64_MIN) return Overflow("neg");
  return Value(-a.as_int());
}

// sum([numbers]); packed int64/double/bool arrays count too.
absl::StatusOr<Value> Sum(const Value& items) {
  if (items.kind() == ValueKind::kInt64Array) {
    const Int64Array& a = items.as_int64_array();
    int64_t total = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      if (__builtin_add_overflow(total, a[i], &total)) return Overflow("sum");
    }
    return Value(total);
  }
  if (items.kind() == ValueKind::kDoubleArray) {
    const DoubleArray& a = items.as_double_array();
    double total = 0;
    for (size_t i = 0; i < a.size(); ++i) total += a[i];
    return Value(total);
  }
  if (items.kind() == ValueKind::kBoolArray) {  // the number of trues, as NumPy
    const BoolArray& a = items.as_bool_array();
    int64_t total = 0;
    for (size_t i = 0; i < a.size(); ++i) total += a[i] ? 1 : 0;
    return Value(total);
  }
  if (!items.is_list()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sum(): argument 1 must be a list of numbers, got ", items.kind_name()));
  }
  int64_t int_total = 0;
  double double_total = 0;
  bool any_double = false;
  size_t index = 0;
  for (const Value& item : items.as_list()) {
    ++index;
    if (item.is_int()) {
      if (__builtin_add_overflow(int_total, item.as_int(), &int_total)) return Overflow("sum");
    } else if (item.is_double()) {
      any_double = true;
      double_total += item.as_double();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "sum(): item ", index, " of the list must be int or double, got ", item.kind_name()));
    }
  }
  if (any_double) return Value(double_total + static_cast<double>(int_total));
  return Value(int_total);
}

Value Identity(const Value& v) { return v; }

// Sleeps `seconds` (returns early, with the same result, if the task is cancelled).
absl::StatusOr<double> Sleep(const TaskContext& context, double seconds) {
  if (seconds < 0) return absl::InvalidArgumentError("sleep(): seconds must be >= 0");
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(seconds));
  while (!context.cancelled()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        deadline - now, std::chrono::milliseconds(10)));
  }
  return seconds;
}

// x + 1 after sleeping `seconds` (dask's slowinc): for tests and demos of scheduling.
absl::StatusOr<int64_t> SlowInc(const TaskContext& context, int64_t x, double seconds) {
  absl::StatusOr<double> slept = Sleep(context, seconds);
  if (!slept.ok()) return slept.status();
  if (x == INT64_MAX) return Overflow("slowinc");
  return x + 1;
}

Value Raise(const std::string& message) { throw std::runtime_error(message); }

// n bytes (a repeating pattern), for transfer tests.
absl::StatusOr<Buffer> MakeBytes(int64_t n) {
  if (n < 0) return absl::InvalidArgumentError("make_bytes(): n must be >= 0");
  std::string bytes(static_cast<size_t>(n), '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>('a' + i % 26);
  return Buffer(std::move(bytes));
}

// The worker's process id: what dask users ask every worker with client.run(os.getpid).
int64_t GetPid() { return static_cast<int64_t>(::getpid()); }

// The last `n` lines of this process's log (common/logging.h), oldest first: a worker's
// log tail for Client::get_worker_logs and the dashboard.
absl::StatusOr<Value> WorkerLog(int64_t n) {
  if (n < 0) return absl::InvalidArgumentError("worker_log(): n must be >= 0");
  ValueList lines;
  for (std::string& line : RecentLogLines(static_cast<size_t>(n))) {
    lines.emplace_back(std::move(line));
  }
  return Value(std::move(lines));
}

absl::StatusOr<int64_t> Len(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kList:
      return static_cast<int64_t>(v.as_list().size());
    case ValueKind::kString:
      return static_cast<int64_t>(v.as_string().size());
    case ValueKind::kBytes:
      return static_cast<int64_t>(v.as_bytes().size());
    case ValueKind::kRecord:
      return static_cast<int64_t>(v.as_record().size());
    case ValueKind::kJsonLines:
      return static_cast<int64_t>(v.as_json_lines().num_lines());
    case ValueKind::kInt64Array:
      return static_cast<int64_t>(v.as_int64_array().size());
    case ValueKind::kDoubleArray:
      return static_cast<int64_t>(v.as_double_array().size());
    case ValueKind::kBoolArray:
      return static_cast<int64_t>(v.as_bool_array().size());
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("len(): argument 1 must be list, string or bytes, got ", v.kind_name()));
  }
}

}  // namespace

WEFT_FUNCTION("inc", Inc);
WEFT_FUNCTION("dec", Dec);
WEFT_FUNCTION("add", Add);
WEFT_FUNCTION("mul", Mul);
WEFT_FUNCTION("neg", Neg);
WEFT_FUNCTION("sum", Sum);
WEFT_FUNCTION("identity", Identity);
WEFT_FUNCTION("sleep", Sleep);
WEFT_FUNCTION("slowinc", SlowInc);
WEFT_FUNCTION("raise", Raise);
WEFT_FUNCTION("make_bytes", MakeBytes);
WEFT_FUNCTION("len", Len);
WEFT_FUNCTION("getpid", GetPid);
WEFT_FUNCTION("worker_log", WorkerLog);

}  // namespace weft
