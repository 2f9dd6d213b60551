// SourceLedger (credits, cumulative acknowledgements, replay of a lost target) and
// ReorderBuffer (order restored, duplicates dropped, the end).
#include "worker/stream/source_ledger.h"

#include <catch2/catch.hpp>

#include "worker/stream/reorder_buffer.h"

namespace weft::stream {
namespace {

std::shared_ptr<const std::string> Data(uint64_t seq) {
  return std::make_shared<const std::string>("batch " + std::to_string(seq));
}

TEST_CASE("credits: each target holds at most its limit until the sink acknowledges") {
  SourceLedger ledger({{"a:1", 2}, {"b:1", 2}});
  std::vector<std::string> picked;
  for (uint64_t seq = 0; seq < 4; ++seq) {
    std::optional<std::string> to = ledger.Pick();
    REQUIRE(to.has_value());
    picked.push_back(*to);
    ledger.Sent(seq, Data(seq), *to);
  }
  CHECK(picked == std::vector<std::string>{"a:1", "b:1", "a:1", "b:1"});
  CHECK_FALSE(ledger.Pick().has_value());  // backpressure
  ledger.Ack(1);                           // batch 0 written: a has credit again
  CHECK(ledger.Pick() == "a:1");
  CHECK(ledger.unacked() == 3);
  ledger.Ack(1);  // stale acknowledgements change nothing
  CHECK(ledger.unacked() == 3);
  ledger.Ack(4);
  CHECK(ledger.unacked() == 0);
  CHECK(ledger.load("a:1") == 0);
}

TEST_CASE("a lost target's unacknowledged batches go to the others, in order") {
  SourceLedger ledger({{"a:1", 2}, {"b:1", 2}, {"c:1", 2}});
  for (uint64_t seq = 0; seq < 6; ++seq) ledger.Sent(seq, Data(seq), *ledger.Pick());
  ledger.Ack(1);  // batch 0 (on a) is written
  std::vector<SourceLedger::Send> resend = ledger.Lose("b:1");
  REQUIRE(resend.size() == 2);
  CHECK(resend[0].seq == 1);
  CHECK(resend[1].seq == 4);
  CHECK(*resend[0].data == "batch 1");
  CHECK(resend[0].address == "a:1");  // the least loaded: a held one
  CHECK(resend[1].address == "a:1");  // a tie with c: the first listed
  CHECK(ledger.Lose("b:1").empty());  // twice: nothing more
  CHECK(ledger.load("b:1") == 0);
  CHECK(ledger.has_live_targets());
  CHECK(ledger.Lose("a:1").size() == 3);  // 1, 3 and 4 go to c
  CHECK(ledger.Lose("c:1").empty());      // nowhere to go
  CHECK_FALSE(ledger.has_live_targets());
  CHECK_FALSE(ledger.Pick().has_value());
}

TEST_CASE("ReorderBuffer restores order and drops duplicates") {
  ReorderBuffer buffer;
  CHECK(buffer.Offer(1, "b"));
  CHECK(buffer.TakeReady().empty());
  CHECK(buffer.Offer(0, "a"));
  CHECK_FALSE(buffer.Offer(1, "b again"));
  auto ready = buffer.TakeReady();
  REQUIRE(ready.size() == 2);
  CHECK(ready[0].second == "a");
  CHECK(ready[1].second == "b");
  CHECK_FALSE(buffer.Offer(0, "a again"));
  CHECK_FALSE(buffer.complete());
  buffer.SetEnd(2);
  CHECK(buffer.complete());
}

}  // namespace
}  // namespace weft::stream
