#include "worker/bag/expr_lexer.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/utf8.h"

namespace weft::bag::internal {
namespace {

bool IsWordChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.'; }

}  // namespace

bool NumberValue(const std::string& text, Value* out) {
  int64_t i;
  double d;
  if (text.find_first_of(".eE") == std::string::npos && absl::SimpleAtoi(text, &i)) {
    *out = Value(i);
  } else if (absl::SimpleAtod(text, &d)) {
    *out = Value(d);
  } else {
    return false;
  }
  return true;
}

absl::Status Lexer::Error(absl::string_view what) const {
  if (syntax_.errors == ErrorStyle::kFilter) return ErrorAt(what, token_.column);
  const std::string got =
      token_.type == TokenType::kEnd ? "the end" : absl::StrCat("'", token_.text, "'");
  return ErrorAt(absl::StrCat(what, ", got ", got), token_.column);
}

absl::Status Lexer::ErrorAt(absl::string_view what, size_t column) const {
  if (syntax_.errors == ErrorStyle::kFilter) {
    const std::string got =
        token_.type == TokenType::kEnd ? "the end" : absl::StrCat("'", token_.text, "'");
    return absl::InvalidArgumentError(absl::StrCat("bad filter expression \"", std::string(text_),
                                                   "\": ", what, ", got ", got, " at column ",
                                                   column));
  }
  std::string shown(text_);
  for (char& c : shown) c = c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
  return absl::InvalidArgumentError(absl::StrCat("bad expression: ", what, " at column ", column,
                                                 "\n  ", shown, "\n  ",
                                                 std::string(column - 1, ' '), "^"));
}

bool Lexer::NextIsLParen() const {
  size_t p = pos_;
  while (p < text_.size() && absl::ascii_isspace(text_[p])) ++p;
  return p < text_.size() && text_[p] == '(';
}

absl::Status Lexer::Advance() {
  while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
  token_ = Token();
  token_.column = pos_ + 1;
  if (pos_ >= text_.size()) return absl::OkStatus();
  const char c = text_[pos_];
  const bool next_starts_number =
      pos_ + 1 < text_.size() && (absl::ascii_isdigit(text_[pos_ + 1]) || text_[pos_ + 1] == '.');
  if (c == '"') return LexString();
  if (absl::ascii_isdigit(c) || (syntax_.signed_numbers && c == '-' && next_starts_number)) {
    return LexNumber();
  }
  if (absl::ascii_isalpha(c) || c == '_') return LexWord(TokenType::kWord);
  if (syntax_.member_tokens && c == '.' && pos_ + 1 < text_.size() && IsWordChar(text_[pos_ + 1])) {
    return LexWord(TokenType::kMember);
  }
  for (std::string_view symbol : syntax_.symbols) {
    if (text_.substr(pos_, symbol.size()) == symbol) {
      pos_ += symbol.size();
      token_.type = TokenType::kSymbol;
      token_.text = std::string(symbol);
      return absl::OkStatus();
    }
  }
  token_.type = TokenType::kSymbol;  // for the message only
  token_.text = std::string(1, c);
  return Error(c == '=' ? "expected '==' (not '=')" : "unexpected character");
}

absl::Status Lexer::LexWord(TokenType type) {
  const size_t start = pos_;
  if (type == TokenType::kMember) ++pos_;
  while (pos_ < text_.size() && IsWordChar(text_[pos_])) ++pos_;
  token_.type = type;
  token_.text = std::string(text_.substr(start, pos_ - start));
  const std::string& t = token_.text;
  if (t == "and" || t == "or" || t == "not") {
    token_.type = TokenType::kSymbol;
  } else if (t == "true" || t == "false" || t == "null") {
    token_.type = TokenType::kLiteral;
    if (t != "null") token_.literal = Value(t == "true");
  } else if (t.back() == '.' || absl::StrContains(t, "..")) {
    return Error("empty part in path");
  }
  return absl::OkStatus();
}

absl::Status Lexer::LexNumber() {
  const size_t start = pos_;
  if (text_[pos_] == '-') ++pos_;
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    const bool exponent_sign =
        (c == '+' || c == '-') && (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E');
    if (!absl::ascii_isdigit(c) && c != '.' && c != 'e' && c != 'E' && !exponent_sign) break;
    ++pos_;
  }
  token_.type = TokenType::kLiteral;
  token_.is_number = true;
  token_.text = std::string(text_.substr(start, pos_ - start));
  if (!NumberValue(token_.text, &token_.literal)) return Error("malformed number");
  return absl::OkStatus();
}

bool Lexer::LexHex4(uint32_t* cp) {
  if (pos_ + 4 > text_.size() || !absl::SimpleHexAtoi(std::string(text_.substr(pos_, 4)), cp)) {
    return false;
  }
  pos_ += 4;
  return true;
}

// The escape after a backslash (JSON's; a surrogate pair of \u escapes is one code point).
absl::Status Lexer::LexEscape(std::string* out) {
  static constexpr std::string_view kSimple = "\"\"\\\\//b\bf\fn\nr\rt\t";
  const size_t column = pos_;  // of the backslash
  const char c = text_[pos_++];
  for (size_t k = 0; k < kSimple.size(); k += 2) {
    if (kSimple[k] == c) {
      out->push_back(kSimple[k + 1]);
      return absl::OkStatus();
    }
  }
  if (c != 'u') {
    return ErrorAt(absl::StrCat("unknown escape '\\", std::string(1, c), "' in string"), column);
  }
  uint32_t cp = 0, low = 0;
  if (!LexHex4(&cp)) return ErrorAt("bad \\u escape in string", column);
  const size_t saved = pos_;
  if (cp >= 0xD800 && cp < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
    pos_ += 2;
    if (LexHex4(&low) && low >= 0xDC00 && low < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else {
      pos_ = saved;
    }
  }
  AppendUtf8(cp, out);
  return absl::OkStatus();
}

// While a string is read the current token is still the empty one, so that kFilter's
// messages about it say "got the end".
absl::Status Lexer::LexString() {
  const size_t start = pos_++;
  std::string out;
  while (pos_ < text_.size() && text_[pos_] != '"') {
    const char c = text_[pos_++];
    if (c != '\\') {
      out.push_back(c);
    } else if (pos_ < text_.size()) {
      WEFT_RETURN_IF_ERROR(LexEscape(&out));
    }
  }
  if (pos_ >= text_.size()) return ErrorAt("unterminated string", start + 1);
  ++pos_;  // the closing quote
  token_.type = TokenType::kLiteral;
  token_.text = std::string(text_.substr(start, pos_ - start));
  token_.literal = Value(std::move(out));
  return absl::OkStatus();
}

}  // namespace weft::bag::internal
