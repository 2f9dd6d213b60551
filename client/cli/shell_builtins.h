// The tables of `weft shell`'s functions and methods (internal to the evaluator): each
// entry a signature that binds positional and keyword arguments and checks their types,
// so that every mistake gets a message naming the column, the argument and what was
// expected. shell.cc binds and dispatches; shell_bag.cc and shell_array.cc hold the
// tables; shell_ops.cc the operators, attributes and subscripts.
//
// Threading: the tables are immutable; the handlers run on the Session's thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/cli/shell.h"
#include "client/cli/shell_parser.h"
#include "weft/array.h"

namespace weft::cli::shell {

inline absl::Status ErrorAt(int column, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("column ", column, ": ", message));
}

// What a parameter accepts.
enum class Type {
  kString,
  kInt,
  kBool,
  kList,
  kBag,
  kNumber,       // an int or a double
  kScalar,       // a bool, an int or a double
  kArray,        // an array, or a number (a 0-d array)
  kShape,        // an int or a list (tuple) of ints
  kOptionalInt,  // an int or null (None)
  kArrays,       // a list of arrays: concatenate([a, b])
};

const char* TypeName(Type t);
bool Matches(Type t, const Object& o);
// "a bag", "an int", "null".
std::string WithArticle(const std::string& noun);

struct Param {
  const char* name;
  Type type;
  std::optional<Value> fallback = std::nullopt;  // none: required
};

// The functions and methods. A friend of Session, so the handlers can run work through it.
struct Builtins {
  using Args = std::vector<Object>;
  using Handler = std::function<absl::StatusOr<Object>(Session&, const Object& self, Args&)>;
  struct Entry {
    const char* name;
    std::vector<Param> params;
    bool variadic;  // the last parameter repeats
    const char* help;
    Handler run;
  };

  static const std::vector<Entry>& Functions();
  static const std::vector<Entry>& ItemMethods();
  static std::string Signature(const Entry& e, const char* owner);
  static absl::StatusOr<Args> Bind(const Entry& e, const Expr& call, Args given);

  // A bag derived from `self`, keeping its column naming.
  static Object Derived(const Object& self, Bag bag) {
    Object o = Object::Of(std::move(bag));
    o.path = self.path;
    o.headers = self.headers;
    return o;
  }
  // A bag of new items, its columns named anew.
  static Object Reshaped(Bag bag, std::vector<std::string> headers) {
    Object o = Object::Of(std::move(bag));
    o.headers = std::move(headers);
    return o;
  }
  // The key column's name: the key expression ("_": "key"), or what `self` called it.
  static std::string KeyHeader(const std::string& expression) {
    return expression == "_" ? "key" : expression;
  }
  static std::string KeyHeader(const Object& self) {
    return self.headers.empty() ? "key" : self.headers.front();
  }
  static int Int(const Object& o) { return static_cast<int>(o.value.as_int()); }
  static const std::string& Str(const Object& o) { return o.value.as_string(); }

  // Every bag method: the core ones, then the element-wise maps and the by-key ones (the
  // two groups of the help text).
  static const std::vector<Entry>& BagMethods();
  static const std::vector<Entry>& CoreBagMethods();
  static const std::vector<Entry>& KeyValueMethods();

  // Arrays (shell_array.cc): the creation and elementwise functions, and the methods.
  static const std::vector<Entry>& ArrayFunctions();
  static const std::vector<Entry>& ArrayMethods();
  // x.shape, x.T, ...: kNotFound when an array has no such attribute.
  static absl::StatusOr<Object> ArrayAttribute(const Array& array, const std::string& name);
  static std::vector<std::string> ArrayAttributeNames();
  // Every elementwise result and Session::Operator's go through here: a failed array is
  // an error at `column`, before anything runs.
  static absl::StatusOr<Object> Checked(Array array, int column);
  // An array operand: an array, or a number as a 0-d array.
  static Array AsArray(const Object& o);
  // The Session's, for the handlers outside this struct.
  static Client& ClientOf(Session& s) { return s.client_; }
  static absl::StatusOr<LocalArray> Compute(Session& s, const Array& a) {
    return s.ComputeArray(a);
  }
  // Work that runs now (from_array's scatter, from_bag's lengths), given up on an interrupt.
  static absl::StatusOr<Array> RunNow(Session& s, std::function<absl::StatusOr<Array>()> f) {
    return s.Run<Array>(std::move(f));
  }
};

// A computed array as NumPy prints it: "1605", "3.14159", "True" for a 0-d array;
// "[0 1 2]", "[1.  2.5]", "[ True False]", and "[[1. 2.]\n [3. 4.]]" for 2-d, elements
// aligned, long rows wrapped at 75 characters, and more than 1000 elements summarised
// with "..." (shell_array_print.cc).
std::string FormatLocalArray(const LocalArray& array);

}  // namespace weft::cli::shell
