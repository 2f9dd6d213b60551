#include "client/cli/shell_scalar.h"

#include <catch2/catch.hpp>
#include <cmath>

using weft::Value;
using weft::cli::shell::PythonFloat;
using weft::cli::shell::ScalarBinary;
using weft::cli::shell::ScalarUnary;

namespace {

Value Eval(const std::string& op, const Value& a, const Value& b) {
  auto v = ScalarBinary(op, a, b);
  REQUIRE(v.ok());
  return *v;
}

std::string ErrorOf(const std::string& op, const Value& a, const Value& b) {
  auto v = ScalarBinary(op, a, b);
  REQUIRE_FALSE(v.ok());
  return std::string(v.status().message());
}

}  // namespace

TEST_CASE("Python's arithmetic: true division, floor division and modulo, powers") {
  CHECK(Eval("/", 7, 2) == Value(3.5));
  CHECK(Eval("/", 6, 3) == Value(2.0));
  CHECK(Eval("//", 7, 2) == Value(3));
  CHECK(Eval("//", -7, 2) == Value(-4));
  CHECK(Eval("%", -7, 2) == Value(1));
  CHECK(Eval("%", 7, -2) == Value(-1));
  CHECK(Eval("%", -7.5, 2) == Value(0.5));
  CHECK(Eval("//", -7.5, 2) == Value(-4.0));
  CHECK(Eval("**", 2, 10) == Value(1024));
  CHECK(Eval("**", 2, -1) == Value(0.5));
  CHECK(Eval("**", -2, 2) == Value(4));
  CHECK(Eval("**", 2.0, 0.5) == Value(std::sqrt(2.0)));
  CHECK(Eval("+", 1, 2.5) == Value(3.5));
  CHECK(Eval("*", true, 3) == Value(3));  // bools count as 0 and 1
  CHECK(Eval("&", true, false) == Value(false));
  CHECK(Eval("|", 6, 3) == Value(7));
  CHECK(Eval("^", 6, 3) == Value(5));
  CHECK(Eval("-", 1, 3) == Value(-2));
  CHECK(Eval("+", "ab", "c") == Value("abc"));
  // 4 * count / n, the π estimate's last step.
  CHECK(Eval("/", Eval("*", 4, 785398), 1000000) == Value(3.141592));
}

TEST_CASE("comparisons, and numbers of different kinds compared by value") {
  CHECK(Eval("<", 1, 2.5) == Value(true));
  CHECK(Eval("==", 1, 1.0) == Value(true));
  CHECK(Eval("!=", 1, 1.0) == Value(false));
  CHECK(Eval(">=", 2, 3) == Value(false));
  CHECK(Eval("==", "a", "a") == Value(true));
  CHECK(Eval("<", "a", "b") == Value(true));
  CHECK(Eval("==", "a", 1) == Value(false));
  CHECK(Eval("<", std::nan(""), 1) == Value(false));
  CHECK(Eval("!=", std::nan(""), 1) == Value(true));
}

TEST_CASE("errors: division by zero, overflow, operators a type lacks") {
  CHECK(ErrorOf("/", 1, 0) == "division by zero");
  CHECK(ErrorOf("//", 1, 0) == "division by zero");
  CHECK(ErrorOf("%", 1.5, 0.0) == "division by zero");
  CHECK(ErrorOf("**", 0, -1) == "0 cannot be raised to a negative power");
  CHECK(ErrorOf("**", 10, 19) == "integer overflow in ** (the shell's ints are 64-bit)");
  CHECK(ErrorOf("*", INT64_MAX, 2) == "integer overflow in * (the shell's ints are 64-bit)");
  CHECK(ErrorOf("&", 1.5, 1) == "unsupported operand types for &: double and int");
  CHECK(ErrorOf("@", 1, 2) == "unsupported operand types for @: int and int");
  CHECK(ErrorOf("-", "a", "b") == "unsupported operand types for -: string and string");
  CHECK(ErrorOf("<", "a", 1) == "unsupported operand types for <: string and int");
  CHECK(ErrorOf("**", -8.0, 1.0 / 3) == "a negative number to a fractional power is complex");
}

TEST_CASE("unary operators") {
  CHECK(*ScalarUnary("-", 2) == Value(-2));
  CHECK(*ScalarUnary("-", 2.5) == Value(-2.5));
  CHECK(*ScalarUnary("~", 5) == Value(-6));
  CHECK(*ScalarUnary("~", true) == Value(-2));
  CHECK(*ScalarUnary("+", true) == Value(1));
  CHECK(ScalarUnary("~", 1.5).status().message() == "bad operand type for unary ~: double");
  CHECK(ScalarUnary("-", "a").status().message() == "bad operand type for unary -: string");
}

TEST_CASE("doubles print as Python's repr") {
  CHECK(PythonFloat(3.0) == "3.0");
  CHECK(PythonFloat(0.1) == "0.1");
  CHECK(PythonFloat(1.0 / 3) == "0.3333333333333333");
  CHECK(PythonFloat(3.14159) == "3.14159");
  CHECK(PythonFloat(-2.5) == "-2.5");
  CHECK(PythonFloat(1e16) == "1e+16");
  CHECK(PythonFloat(1e15) == "1000000000000000.0");
  CHECK(PythonFloat(0.0001) == "0.0001");
  CHECK(PythonFloat(1e-5) == "1e-05");
  CHECK(PythonFloat(123456789.0) == "123456789.0");
  CHECK(PythonFloat(0.0) == "0.0");
  CHECK(PythonFloat(std::nan("")) == "nan");
  CHECK(PythonFloat(-INFINITY) == "-inf");
}

TEST_CASE("values as Python prints them: tuples for shapes and chunks") {
  using weft::ValueList;
  using weft::cli::shell::PythonRepr;
  CHECK(PythonRepr(Value(ValueList{15})) == "(15,)");
  CHECK(PythonRepr(Value(ValueList{3, 4})) == "(3, 4)");
  CHECK(PythonRepr(Value(ValueList{Value(ValueList{5, 5, 5})})) == "((5, 5, 5),)");
  CHECK(PythonRepr(Value(ValueList{})) == "()");
  CHECK(PythonRepr(Value(true)) == "True");
  CHECK(PythonRepr(Value()) == "None");
  CHECK(PythonRepr(Value(3.5)) == "3.5");
  CHECK(PythonRepr(Value("it's")) == "'it\\'s'");
}
