#include "client/cli/gharchive.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/cli/output.h"
#include "weft/bag.h"
#include "weft/client.h"

namespace weft::cli {
namespace {

// Runs one step, printing its title, result and time; false if it failed.
template <typename F>
bool Step(const std::string& title, F&& run) {
  std::cout << "\n>>> " << title << "\n";
  absl::Time start = absl::Now();
  absl::Status status = run();
  if (!status.ok()) {
    std::cout << "    failed: " << status.message() << "\n";
    return false;
  }
  std::cout << "    (" << FormatSeconds(absl::Now() - start) << ")\n";
  return true;
}

absl::Status Show(const absl::StatusOr<ValueList>& result, const std::vector<std::string>& headers) {
  if (!result.ok()) return result.status();
  PrintTable(std::cout, Value(*result), headers);
  return absl::OkStatus();
}

}  // namespace

int RunGharchive(const GharchiveFlags& flags) {
  ClientOptions options;
  options.address = flags.scheduler;
  options.n_workers = flags.n_workers;
  options.threads_per_worker = flags.threads_per_worker;
  absl::Time start = absl::Now();
  auto client = Client::Connect(options);
  if (!client.ok()) {
    std::cerr << "weft: " << client.status().message() << "\n";
    return 1;
  }
  auto info = (*client)->info();
  if (info.ok()) {
    std::cout << info->ToString() << "  (" << FormatSeconds(absl::Now() - start)
              << " to start)\n";
  }

  auto bag = Bag::read_text(**client, flags.pattern);
  if (!bag.ok()) {
    std::cerr << "weft: " << bag.status().message() << "\n";
    return 1;
  }
  std::cout << "records = read_text(\"" << flags.pattern << "\").parse_json()   # "
            << bag->npartitions() << " partitions\n";
  Bag records = bag->parse_json();
  bool ok = true;

  ok &= Step("records = persist(records)", [&] {
    records = records.persist();
    ProgressBar bar("partitions in memory");
    while (records.npartitions_done() < records.npartitions()) {
      bar.Update(records.npartitions_done(), records.npartitions());
      absl::SleepFor(absl::Milliseconds(20));
    }
    bar.Finish();
    return records.wait();
  });
  if (!ok) return 1;

  ok &= Step("records.take(1)", [&] { return Show(records.take(1), {}); });
  ok &= Step("records.pluck(\"type\").frequencies()",
             [&] { return Show(records.pluck("type").frequencies().compute(), {"type", "count"}); });
  ok &= Step("records.count()", [&] {
    auto n = records.count().compute();
    if (!n.ok()) return n.status();
    std::cout << "  " << ToJson(*n) << "\n";
    return absl::OkStatus();
  });
  std::string expr = absl::StrCat("starts_with(repo.name, \"", flags.repo_prefix, "\")");
  Bag subset = records;
  ok &= Step(absl::StrCat("subset = persist(records.filter(", expr, ").repartition(10))"), [&] {
    subset = records.filter(expr).repartition(10).persist();
    return subset.wait();
  });
  ok &= Step("subset.pluck(\"repo.name\").distinct()",
             [&] { return Show(subset.pluck("repo.name").distinct().compute(), {"repo.name"}); });
  ok &= Step("subset.pluck(\"actor.login\").frequencies().topk(10, key=1)", [&] {
    return Show(subset.pluck("actor.login").frequencies().topk(10, "1").compute(),
                {"actor.login", "events"});
  });
  std::cout << "\ntotal " << FormatSeconds(absl::Now() - start) << "\n";
  return ok ? 0 : 1;
}

}  // namespace weft::cli
