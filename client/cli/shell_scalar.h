// Arithmetic on the shell's plain numbers, with Python's semantics: `7 / 2` is 3.5 (an
// int over an int divides to a double), `//` floors, `%` takes the sign of the divisor,
// `**` of ints is an int (a negative exponent gives a double), bools count as 0 and 1
// (except `& | ^` of two bools, which are bools), comparisons give bools. The shell's
// ints are 64-bit: where Python would grow a big int, these report an overflow.
//
// Errors are kInvalidArgument without a column (the caller adds where the operator is):
// division by zero, overflow, an operator a type does not have.
//
// Threading: pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "weft/value.h"

namespace weft::cli::shell {

// A bool, int or double.
bool IsNumber(const Value& v);

// `a op b` for op one of + - * / // % ** & | ^ < <= > >= == != (and @, which numbers do
// not have). Also: + of two strings joins them; == and != compare any two values (numbers
// by value: 1 == 1.0); < <= > >= compare two strings bytewise.
absl::StatusOr<Value> ScalarBinary(const std::string& op, const Value& a, const Value& b);

// `op a` for op one of - + ~ (~ of an int or a bool: -a - 1, as Python).
absl::StatusOr<Value> ScalarUnary(const std::string& op, const Value& a);

// A double as Python's repr prints it: the shortest digits that read back as the same
// double, always with a '.' or an exponent ("3.0", "0.1", "1e+20", "nan", "inf", "-inf").
std::string PythonFloat(double d);

// A value as Python prints it: True, None, 3.5, 'text', lists as tuples ("(15,)",
// "((5, 5, 5),)"); other values (records, ...) as "<record>".
std::string PythonRepr(const Value& v);

}  // namespace weft::cli::shell
