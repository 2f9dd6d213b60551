#include "client/cli/gharchive.h"

#include <functional>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/cli/output.h"
#include "weft/bag.h"
#include "weft/client.h"

namespace weft::cli {
namespace {

// Runs one step — `run` works on the cluster, with progress bars on stderr meanwhile, and
// returns the text to show — printing its title, result and time; false if it failed.
bool Step(Client& client, const std::string& title,
          const std::function<absl::StatusOr<std::string>()>& run) {
  std::cout << "\n>>> " << title << std::endl;  // flushed: the bars come below it
  absl::Time start = absl::Now();
  absl::StatusOr<std::string> text;
  std::string summary;
  absl::Status status = WithProgress(
      client,
      [&] {
        text = run();
        return text.status();
      },
      &summary);
  std::cerr << summary;
  if (!status.ok()) {
    std::cout << "    failed: " << status.message() << "\n";
    return false;
  }
  std::cout << *text << "    (" << FormatSeconds(absl::Now() - start) << ")\n";
  return true;
}

absl::StatusOr<std::string> Show(const absl::StatusOr<ValueList>& result,
                                 const std::vector<std::string>& headers) {
  if (!result.ok()) return result.status();
  std::ostringstream out;
  PrintTable(out, Value(*result), headers);
  return out.str();
}

}  // namespace

int RunGharchive(const GharchiveFlags& flags) {
  ClientOptions options;
  options.address = flags.scheduler;
  options.n_workers = flags.n_workers;
  options.threads_per_worker = flags.threads_per_worker;
  options.worker_args = flags.worker_args;
  absl::Time start = absl::Now();
  auto client = Client::Connect(options);
  if (!client.ok()) {
    std::cerr << "weft: " << client.status().message() << "\n";
    return 1;
  }
  auto info = (*client)->info();
  if (info.ok()) {
    std::cout << info->ToString() << "  (" << FormatSeconds(absl::Now() - start) << " to start)\n";
  }

  auto bag = Bag::read_text(**client, flags.pattern);
  if (!bag.ok()) {
    std::cerr << "weft: " << bag.status().message() << "\n";
    return 1;
  }
  std::cout << "records = read_text(\"" << flags.pattern << "\").parse_json()   # "
            << bag->npartitions() << " partitions\n";
  Bag records = bag->parse_json();
  absl::StatusOr<Bag::Compression> compression = Bag::ParseCompression(flags.persist_compression);
  if (!compression.ok()) {
    std::cerr << "weft: " << compression.status().message() << "\n";
    return 1;
  }
  bool ok = true;

  const std::string persist_call =
      flags.persist_compression == "zstd"
          ? "persist(records)"
          : absl::StrCat("persist(records, \"", flags.persist_compression, "\")");
  ok &= Step(**client, "records = " + persist_call, [&]() -> absl::StatusOr<std::string> {
    records = records.persist(*compression);
    absl::Status s = records.wait();
    if (!s.ok()) return s;
    return std::string();
  });
  if (!ok) return 1;

  ok &= Step(**client, "records.take(1)", [&]() -> absl::StatusOr<std::string> {
    auto first = records.take(1);
    if (!first.ok()) return first.status();
    std::string out;
    for (const Value& record : *first) out += "  " + record.ToJson() + "\n";
    return out;
  });
  ok &= Step(**client, "records.pluck(\"type\").frequencies()", [&] {
    return Show(records.pluck("type").frequencies().compute(), {"type", "count"});
  });
  ok &= Step(**client, "records.count()", [&]() -> absl::StatusOr<std::string> {
    auto n = records.count().compute();
    if (!n.ok()) return n.status();
    return absl::StrCat("  ", n->ToJson(), "\n");
  });
  std::string expr = absl::StrCat("starts_with(repo.name, \"", flags.repo_prefix, "\")");
  Bag subset = records;
  ok &= Step(**client, absl::StrCat("subset = persist(records.filter(", expr, ").repartition(10))"),
             [&]() -> absl::StatusOr<std::string> {
               subset = records.filter(expr).repartition(10).persist(*compression);
               absl::Status s = subset.wait();
               if (!s.ok()) return s;
               return std::string();
             });
  ok &= Step(**client, "subset.pluck(\"repo.name\").distinct()",
             [&] { return Show(subset.pluck("repo.name").distinct().compute(), {"repo.name"}); });
  ok &= Step(**client, "subset.pluck(\"actor.login\").frequencies().topk(10, key=1)", [&] {
    return Show(subset.pluck("actor.login").frequencies().topk(10, "1").compute(),
                {"actor.login", "events"});
  });
  std::cout << "\ntotal " << FormatSeconds(absl::Now() - start) << "\n";
  return ok ? 0 : 1;
}

}  // namespace weft::cli
