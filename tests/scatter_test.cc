// Client::scatter through a real scheduler and real workers: values put straight on the
// workers, spread by threads, gathered back, used by tasks, content-addressed, broadcast,
// restricted to named workers, freed with their futures, and lost with their worker.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <set>

#include "absl/strings/match.h"
#include "common/poll.h"
#include "tests/test_cluster.h"

namespace weft {
namespace {

using testing::TasksIn;
using testing::TestCluster;
using testing::WaitForInfo;

constexpr size_t kDoubles = 1'000'000;

Value Doubles() {
  std::string bytes(kDoubles * sizeof(double), '\0');
  for (size_t i = 0; i < kDoubles; ++i) {
    const double d = 0.5 * static_cast<double>(i);
    std::memcpy(&bytes[i * sizeof(double)], &d, sizeof(double));
  }
  return Value(DoubleArray{Buffer(std::move(bytes))});
}

// The one worker address holding each future's key.
std::vector<std::string> Holders(Client& client, const std::vector<Future<Value>>& futures) {
  std::map<std::string, std::vector<std::string>> who_has = client.who_has(futures);
  std::vector<std::string> out;
  for (const auto& f : futures) {
    const std::vector<std::string>& holders = who_has[f.key()];
    out.push_back(holders.size() == 1 ? holders[0] : "(" + std::to_string(holders.size()) + ")");
  }
  return out;
}

std::map<std::string, std::string> AddressByName(Client& client) {
  auto info = client.info();
  REQUIRE(info.ok());
  std::map<std::string, std::string> out;
  for (const WorkerInfo& w : info->worker_details) out[w.name] = w.address;
  return out;
}

TEST_CASE("scatter spreads values over the workers, gathers them back and feeds tasks") {
  TestCluster cluster(2);
  auto client = cluster.Connect();
  INFO(cluster.Logs());
  const std::map<std::string, std::string> address = AddressByName(*client);
  REQUIRE(address.size() == 2);

  ValueList values;
  for (int64_t i = 0; i < 8; ++i) values.push_back(Value(i * 10));
  values.push_back(Value(std::string("a scattered string")));
  values.push_back(Doubles());
  auto futures = client->scatter(values);
  REQUIRE(futures.ok());
  REQUIRE(futures->size() == 10);
  std::set<std::string> keys;
  for (const auto& f : *futures) {
    CHECK(absl::StartsWith(f.key(), "scatter-"));
    CHECK(f.status() == FutureStatus::kFinished);
    keys.insert(f.key());
  }
  CHECK(keys.size() == 10);

  // Round robin over two one-thread workers: alternating, five each.
  const std::vector<std::string> holders = Holders(*client, *futures);
  for (size_t i = 0; i + 1 < holders.size(); ++i) CHECK(holders[i] != holders[i + 1]);
  CHECK(std::count(holders.begin(), holders.end(), address.at("w0")) == 5);
  CHECK(std::count(holders.begin(), holders.end(), address.at("w1")) == 5);
  auto info = client->info();
  REQUIRE(info.ok());
  CHECK(TasksIn(*info, "memory") == 10);
  for (const WorkerInfo& w : info->worker_details) CHECK(w.keys_in_memory == 5);

  auto gathered = client->gather(*futures);
  REQUIRE(gathered.ok());
  CHECK(*gathered == values);

  // Tasks take scattered keys as arguments like any other key.
  CHECK(client->submit<int64_t>("inc", {Arg((*futures)[3])}).result() == 31);
  const double expected = 0.5 * (kDoubles - 1) * kDoubles / 2;
  CHECK(client->submit<double>("sum", {Arg((*futures)[9])}).result() == expected);

  // The same value again: the same key, and nothing stored twice.
  auto again = client->scatter({Value(int64_t{30}), Doubles()});
  REQUIRE(again.ok());
  CHECK((*again)[0].key() == (*futures)[3].key());
  CHECK((*again)[1].key() == (*futures)[9].key());
  CHECK(Holders(*client, *again) == std::vector<std::string>{holders[3], holders[9]});
  info = client->info();
  REQUIRE(info.ok());
  for (const WorkerInfo& w : info->worker_details) CHECK(w.keys_in_memory == 5);

  // Released: the data goes from the workers (their own heartbeat says so).
  REQUIRE(WaitForInfo(*client, [&](const ClusterInfo& i) {
    return std::any_of(i.worker_details.begin(), i.worker_details.end(),
                       [](const WorkerInfo& w) { return w.memory_bytes >= 8'000'000; });
  }));
  futures->clear();
  again->clear();
  CHECK(WaitForInfo(*client, [](const ClusterInfo& i) {
    if (i.tasks_total != 0) return false;
    return std::all_of(i.worker_details.begin(), i.worker_details.end(),
                       [](const WorkerInfo& w) { return w.memory_bytes < 1'000'000; });
  }));
}

TEST_CASE("scatter broadcasts, goes only to the workers named, and refuses unknown ones") {
  TestCluster cluster(2);
  auto client = cluster.Connect();
  INFO(cluster.Logs());
  const std::map<std::string, std::string> address = AddressByName(*client);

  ScatterOptions broadcast;
  broadcast.broadcast = true;
  auto everywhere =
      client->scatter({Value(std::string("everywhere")), Value(int64_t{7})}, broadcast);
  REQUIRE(everywhere.ok());
  for (const auto& [key, holders] : client->who_has(*everywhere)) {
    CHECK(std::set<std::string>(holders.begin(), holders.end()) ==
          std::set<std::string>{address.at("w0"), address.at("w1")});
  }
  CHECK(client->submit<int64_t>("inc", {Arg((*everywhere)[1])}).result() == 8);

  ScatterOptions only_w1;
  only_w1.workers = {"w1"};
  auto on_w1 =
      client->scatter({Value(int64_t{100}), Value(int64_t{200}), Value(int64_t{300})}, only_w1);
  REQUIRE(on_w1.ok());
  CHECK(Holders(*client, *on_w1) == std::vector<std::string>(3, address.at("w1")));
  only_w1.workers = {address.at("w1")};  // by address too
  auto by_address = client->scatter({Value(int64_t{400})}, only_w1);
  REQUIRE(by_address.ok());
  CHECK(Holders(*client, *by_address) == std::vector<std::string>{address.at("w1")});

  ScatterOptions unknown;
  unknown.workers = {"w1", "nope"};
  auto refused = client->scatter({Value(int64_t{1})}, unknown);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(refused.status().message(), "unknown worker nope"));
  CHECK(absl::StrContains(refused.status().message(), "w0 (" + address.at("w0") + ")"));

  CHECK(client->scatter({}).ok());
}

TEST_CASE("scattered data whose only worker dies is lost, and says so") {
  TestCluster cluster(2);
  auto client = cluster.Connect();
  INFO(cluster.Logs());
  ScatterOptions on_w0;
  on_w0.workers = {"w0"};
  auto lost = client->scatter({Value(int64_t{41})}, on_w0);
  REQUIRE(lost.ok());
  Future<Value> f = (*lost)[0];
  Future<int64_t> dependent = client->submit<int64_t>("slowinc", {Arg(f), 5.0});
  cluster.SignalWorker(0, SIGKILL);
  REQUIRE(PollUntil([&] { return f.status() == FutureStatus::kError; },
                    absl::Now() + absl::Seconds(30), absl::Milliseconds(20)));
  auto got = f.get();
  REQUIRE_FALSE(got.ok());
  CHECK(absl::StrContains(got.status().message(),
                          "the scattered data of " + f.key() + " was lost with worker"));
  auto needed = dependent.get();
  REQUIRE_FALSE(needed.ok());
  CHECK(absl::StrContains(needed.status().message(), "scattered data"));

  // Scattered again, it is back (on the worker that is left).
  auto back = client->scatter({Value(int64_t{41})});
  REQUIRE(back.ok());
  CHECK((*back)[0].key() == f.key());
  CHECK(client->submit<int64_t>("inc", {Arg((*back)[0])}).result() == 42);
}

}  // namespace
}  // namespace weft
