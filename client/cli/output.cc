#include "client/cli/output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/format_bytes.h"
#include "weft/progress.h"

namespace weft::cli {
namespace {

std::string Cell(const Value& v) { return v.is_string() ? v.as_string() : v.ToJson(); }

}  // namespace

void PrintTable(std::ostream& out, const Value& value, const std::vector<std::string>& headers) {
  if (!value.is_list()) {
    out << value.ToJson() << "\n";
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
