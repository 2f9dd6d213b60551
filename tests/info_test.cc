// `weft info` as a user runs it against a real cluster: where the dashboard is, and with
// --verbose one aligned line per worker (name, address, threads, memory, tasks, keys).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/test_cluster.h"

using weft::testing::RunCommand;
using weft::testing::Runfile;
using weft::testing::TestCluster;

namespace {

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

}  // namespace

TEST_CASE("weft info prints the dashboard's address; --verbose a line per worker") {
  TestCluster cluster(2, {"--nthreads", "2", "--memory-limit", "2GiB"});  // named w0, w1
  auto client = cluster.Connect();
  auto info = client->info();
  REQUIRE(info.ok());
  REQUIRE(info->worker_details.size() == 2);

  auto brief = RunCommand({Runfile("client/weft"), "info", cluster.address()});
  REQUIRE(brief.exit_code == 0);
  const std::vector<std::string> lines = Lines(brief.output);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "<Client: scheduler=" + cluster.address() + " workers=2 threads=4>");
  // The URL the scheduler announced when its dashboard started.
  REQUIRE(absl::StartsWith(lines[1], "dashboard: http://127.0.0.1:"));
  const std::string url = lines[1].substr(std::string("dashboard: ").size());
  CHECK(absl::StrContains(cluster.Logs(), "Dashboard at: " + url));

  auto verbose = RunCommand({Runfile("client/weft"), "info", cluster.address(), "--verbose"});
  REQUIRE(verbose.exit_code == 0);
  const std::vector<std::string> rows = Lines(verbose.output);
  INFO(verbose.output);
  REQUIRE(rows.size() == 2 + 2 + 2);  // client, dashboard, header, rule, two workers
  CHECK(rows[0] == lines[0]);
  CHECK(rows[1] == lines[1]);
  for (const char* column : {"name", "address", "threads", "memory", "processing", "keys"}) {
    CHECK(absl::StrContains(rows[2], column));
  }
  // Aligned: every column starts where its header does.
  const size_t address_column = rows[2].find("address");
  const size_t threads_column = rows[2].find("threads");
  for (const auto& w : info->worker_details) {
    int matching = 0;
    for (size_t i = 4; i < rows.size(); ++i) {
      const std::vector<std::string> cells = absl::StrSplit(rows[i], ' ', absl::SkipEmpty());
      if (cells.empty() || cells[0] != w.name) continue;
      ++matching;
      CHECK(rows[i].find(w.address) == address_column);
      CHECK(rows[i].substr(threads_column, 1) == absl::StrCat(w.threads));
      CHECK(absl::StrContains(rows[i], " / 2.00 GiB"));
    }
    CHECK(matching == 1);
  }
}
