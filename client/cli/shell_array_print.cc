// A computed array printed as NumPy prints it (shell_builtins.h: FormatLocalArray).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/shell_builtins.h"
#include "client/cli/shell_scalar.h"

namespace weft::cli::shell {
namespace {

constexpr size_t kLineWidth = 75;            // numpy's linewidth
constexpr int64_t kSummaryThreshold = 1000;  // numpy's threshold
constexpr int64_t kEdgeItems = 3;            // numpy's edgeitems
constexpr int kPrecision = 8;                // numpy's precision

// The indices shown along an axis of `n`: all, or the first and last kEdgeItems with -1
// for the "..." between them.
std::vector<int64_t> Shown(int64_t n, bool summarize) {
  std::vector<int64_t> out;
  if (!summarize || n <= 2 * kEdgeItems) {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  for (int64_t i = 0; i < kEdgeItems; ++i) out.push_back(i);
  out.push_back(-1);
  for (int64_t i = n - kEdgeItems; i < n; ++i) out.push_back(i);
  return out;
}

// The fewest fractional digits (at most kPrecision) that read back as `d`, in `%f` or
// `%e` form.
std::string Shortest(double d, bool scientific) {
  char text[64];
  for (int digits = 0; digits <= kPrecision; ++digits) {
    std::snprintf(text, sizeof(text), scientific ? "%.*e" : "%.*f", digits, d);
    if (std::strtod(text, nullptr) == d) break;
  }
  return text;
}

// Float elements as numpy's default (floatmode "maxprec"): a common number of fractional
// digits, padded with spaces; scientific when the magnitudes call for it.
std::vector<std::string> FloatTexts(const std::vector<double>& values) {
  double max_abs = 0, min_abs = INFINITY;
  for (double v : values) {
    if (!std::isfinite(v) || v == 0) continue;
    max_abs = std::max(max_abs, std::abs(v));
    min_abs = std::min(min_abs, std::abs(v));
  }
  const bool scientific =
      max_abs >= 1e8 || (std::isfinite(min_abs) && (min_abs < 1e-4 || max_abs / min_abs > 1e3));
  std::vector<std::string> texts;
  size_t frac = 0;  // the longest fractional part (after the '.', before any 'e')
  for (double v : values) {
    if (std::isnan(v)) {
      texts.push_back("nan");
      continue;
    }
    if (std::isinf(v)) {
      texts.push_back(v < 0 ? "-inf" : "inf");
      continue;
    }
    std::string t = Shortest(v, scientific);
    size_t e = t.find('e');
    std::string mantissa = t.substr(0, e), exponent = e == std::string::npos ? "" : t.substr(e);
    if (mantissa.find('.') == std::string::npos)
      mantissa += ".";
    else
      while (mantissa.back() == '0') mantissa.pop_back();
    frac = std::max(frac, mantissa.size() - mantissa.find('.') - 1);
    texts.push_back(mantissa + exponent);
  }
  for (std::string& t : texts) {
    const size_t dot = t.find('.');
    if (dot == std::string::npos) continue;
    const size_t e = std::min(t.find('e'), t.size());
    const size_t have = e - dot - 1;
    if (scientific) {
      t.insert(e, std::string(frac - have, '0'));  // numpy pads the mantissa with zeros
    } else {
      t.append(frac - have, ' ');
    }
  }
  return texts;
}

// Every element of `a` as text, row-major (only those shown when summarised: the rest
// stay empty).
std::vector<std::string> Texts(const LocalArray& a, const std::vector<bool>& shown) {
  const int64_t n = a.size();
  std::vector<std::string> texts(n);
  if (a.dtype == DType::kFloat64) {
    std::vector<double> values;
    std::vector<int64_t> where;
    for (int64_t i = 0; i < n; ++i) {
      if (!shown[i]) continue;
      values.push_back(a.at(i).as_double());
      where.push_back(i);
    }
    std::vector<std::string> floats = FloatTexts(values);
    for (size_t k = 0; k < where.size(); ++k) texts[where[k]] = std::move(floats[k]);
    return texts;
  }
  for (int64_t i = 0; i < n; ++i) {
    if (!shown[i]) continue;
    const Value v = a.at(i);
    texts[i] = v.is_bool() ? (v.as_bool() ? "True" : "False") : absl::StrCat(v.as_int());
  }
  return texts;
}

// "[a b c]" from aligned items, wrapped at kLineWidth with `indent` before continuations.
std::string Row(const std::vector<std::string>& items, const std::string& indent) {
  std::string out = "[", line = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    std::string piece = (i == 0 ? "" : " ") + items[i];
    if (i > 0 && line.size() + piece.size() + 1 > kLineWidth) {
      out += "\n" + indent;
      line = indent;
      piece = items[i];
    }
    out += piece;
    line += piece;
  }
  return out + "]";
}

}  // namespace

std::string FormatLocalArray(const LocalArray& a) {
  if (a.shape.empty()) {
    const Value v = a.item();
    return v.is_double() ? PythonFloat(v.as_double()) : PythonRepr(v);
  }
  const bool summarize = a.size() > kSummaryThreshold;
  const int64_t rows = a.shape.size() == 2 ? a.shape[0] : 1;
  const int64_t cols = a.shape.back();
  const std::vector<int64_t> shown_rows = Shown(rows, summarize && a.shape.size() == 2);
  const std::vector<int64_t> shown_cols = Shown(cols, summarize);
  std::vector<bool> shown(a.size(), false);
  for (int64_t r : shown_rows) {
    for (int64_t c : shown_cols) {
      if (r >= 0 && c >= 0) shown[r * cols + c] = true;
    }
  }
  std::vector<std::string> texts = Texts(a, shown);
  // numpy leaves room for False in any bool array: [ True  True].
  size_t width = a.dtype == DType::kBool ? 5 : 0;
  for (const std::string& t : texts) width = std::max(width, t.size());
  auto aligned = [&](int64_t r) {
    std::vector<std::string> items;
    for (int64_t c : shown_cols) {
      if (c < 0) {
        items.push_back("...");
        continue;
      }
      const std::string& t = texts[r * cols + c];
      items.push_back(std::string(width - t.size(), ' ') + t);
    }
    return items;
  };
  if (a.shape.size() == 1) return Row(aligned(0), " ");
  std::vector<std::string> lines;
  for (int64_t r : shown_rows) lines.push_back(r < 0 ? "..." : Row(aligned(r), "  "));
  return absl::StrCat("[", absl::StrJoin(lines, "\n "), "]");
}

}  // namespace weft::cli::shell
