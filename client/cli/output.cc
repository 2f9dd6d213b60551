#include "client/cli/output.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/format_bytes.h"
#include "weft/progress.h"

namespace weft::cli {
namespace {

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// The shortest of 15 to 17 significant digits that reads back as the same double (a mean
// of 1/3 keeps its digits). NaN and infinities, which JSON lacks, print as "nan", "inf".
void AppendDouble(std::string* out, double d) {
  char text[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, d);
    if (!std::isfinite(d) || std::strtod(text, nullptr) == d) break;
  }
  out->append(text);
}

// A packed array (Int64Array, DoubleArray, BoolArray) as a JSON array.
template <typename Array, typename AppendItem>
void AppendJsonArray(std::string* out, const Array& array, AppendItem append_item) {
  out->push_back('[');
  for (size_t i = 0; i < array.size(); ++i) {
    if (i) out->push_back(',');
    append_item(array[i]);
  }
  out->push_back(']');
}

void AppendJson(std::string* out, const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull:
      out->append("null");
      break;
    case ValueKind::kBool:
      out->append(v.as_bool() ? "true" : "false");
      break;
    case ValueKind::kInt:
      absl::StrAppend(out, v.as_int());
      break;
    case ValueKind::kDouble:
      AppendDouble(out, v.as_double());
      break;
    case ValueKind::kString:
      AppendJsonString(out, v.as_string());
      break;
    case ValueKind::kList: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : v.as_list()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(out, item);
      }
      out->push_back(']');
      break;
    }
    case ValueKind::kRecord: {
      out->push_back('{');
      bool first = true;
      for (const auto& [name, item] : v.as_record()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(out, name);
        out->push_back(':');
        AppendJson(out, item);
      }
      out->push_back('}');
      break;
    }
    case ValueKind::kJsonLines: {
      const JsonLines& lines = v.as_json_lines();
      out->push_back('[');
      for (size_t i = 0; i < lines.num_lines(); ++i) {
        if (i) out->push_back(',');
        out->append(lines.line(i));
      }
      out->push_back(']');
      break;
    }
    case ValueKind::kInt64Array:
      AppendJsonArray(out, v.as_int64_array(), [out](int64_t x) { absl::StrAppend(out, x); });
      break;
    case ValueKind::kDoubleArray:
      AppendJsonArray(out, v.as_double_array(), [out](double x) { AppendDouble(out, x); });
      break;
    case ValueKind::kBoolArray:
      AppendJsonArray(out, v.as_bool_array(), [out](bool x) { out->append(x ? "true" : "false"); });
      break;
    default:
      AppendJsonString(out, v.DebugString());
  }
}

std::string Cell(const Value& v) { return v.is_string() ? v.as_string() : ToJson(v); }

}  // namespace

std::string ToJson(const Value& value) {
  std::string out;
  AppendJson(&out, value);
  return out;
}

void PrintTable(std::ostream& out, const Value& value, const std::vector<std::string>& headers) {
  if (!value.is_list()) {
    out << ToJson(value) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Value& item : value.as_list()) {
    std::vector<std::string> row;
    if (item.is_list()) {
      for (const Value& cell : item.as_list()) row.push_back(Cell(cell));
    } else {
      row.push_back(Cell(item));
    }
    rows.push_back(std::move(row));
  }
  size_t ncols = headers.size();
  for (const auto& r : rows) ncols = std::max(ncols, r.size());
  std::vector<size_t> width(ncols, 0);
  auto widen = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < r.size(); ++i)
      width[i] = std::max(width[i], std::min<size_t>(r[i].size(), 60));
  };
  widen(headers);
  for (const auto& r : rows) widen(r);
  auto print_row = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < ncols; ++i) {
      std::string cell = i < r.size() ? r[i] : "";
      if (cell.size() > 60) cell = cell.substr(0, 57) + "...";
      out << (i ? "  " : "  ") << cell
          << std::string(width[i] - std::min(width[i], cell.size()), ' ');
    }
    out << "\n";
  };
  if (!headers.empty()) {
    print_row(headers);
    std::vector<std::string> rule;
    for (size_t w : width) rule.push_back(std::string(w, '-'));
    print_row(rule);
  }
  for (const auto& r : rows) print_row(r);
}

std::string FormatSeconds(absl::Duration d) {
  double s = absl::ToDoubleSeconds(d);
  if (s < 1) return absl::StrFormat("%.1f ms", s * 1000);
  return absl::StrFormat("%.2f s", s);
}

std::string FormatClusterInfo(const ClusterInfo& info, bool verbose) {
  std::string out = info.ToString() + "\n";
  if (!info.dashboard_address.empty())
    absl::StrAppend(&out, "dashboard: ", info.dashboard_address, "\n");
  if (!verbose) return out;
  ValueList rows;
  std::string notes;  // a line per stuck worker or worker with refused transitions
  for (const WorkerInfo& w : info.worker_details) {
    const std::string limit = w.memory_limit > 0 ? FormatBytes(w.memory_limit) : "no limit";
    const char* status = !w.stuck.empty() ? "stuck" : w.paused ? "paused" : "running";
    rows.push_back(
        Value(ValueList{Value(w.name), Value(w.address), Value(int64_t{w.threads}),
                        Value(absl::StrCat(FormatBytes(w.memory_bytes), " / ", limit)),
                        Value(FormatBytes(w.process_bytes)), Value(int64_t{w.processing}),
                        Value(w.keys_in_memory), Value(status)}));
    if (!w.stuck.empty()) absl::StrAppend(&notes, w.name, " is stuck: ", w.stuck, "\n");
    if (w.illegal_transitions > 0) {
      absl::StrAppend(&notes, w.name, " refused ", w.illegal_transitions,
                      " illegal state transition(s): a bug in weft, described in its log\n");
    }
  }
  std::ostringstream table;
  PrintTable(table, Value(std::move(rows)),
             {"name", "address", "threads", "memory", "process", "processing", "keys", "status"});
  std::istringstream lines(table.str());
  for (std::string line; std::getline(lines, line);) {
    line.erase(line.find_last_not_of(' ') + 1);  // the last column's padding
    absl::StrAppend(&out, line, "\n");
  }
  return out + notes;
}

absl::Status WithProgress(Client& client, const std::function<absl::Status()>& work,
                          std::string* summary) {
  if (::isatty(2) == 1) return progress_during(client, work, std::cerr);
  std::ostringstream out;
  absl::Status status = progress_during(client, work, out);
  summary->append(out.str());
  return status;
}

}  // namespace weft::cli
