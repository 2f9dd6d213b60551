#include "batched_writer.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/poll.h"
#include "common/testing/fake_clock.h"
#include "proto/weft.pb.h"

namespace weft {
namespace {

using proto::ClientRequestBatch;
using testing::FakeClock;
using Writer = BatchedWriter<ClientRequestBatch>;

// Records every batch written, as the keys of its items, for inspection after Close().
class Sink {
 public:
  bool Write(const ClientRequestBatch& batch) {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> keys;
    for (const auto& request : batch.requests()) keys.push_back(request.release_keys().keys(0));
    batches_.push_back(std::move(keys));
    return true;
  }
  std::vector<std::vector<std::string>> batches() {
    absl::MutexLock lock(&mu_);
    return batches_;
  }
  size_t items() {
    size_t n = 0;
    for (const auto& b : batches()) n += b.size();
    return n;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::vector<std::string>> batches_ ABSL_GUARDED_BY(mu_);
};

bool AddKey(Writer& writer, std::string key) {
  return writer.Add([&key](ClientRequestBatch* batch) {
    batch->add_requests()->mutable_release_keys()->add_keys(std::move(key));
  });
}

TEST_CASE("items from several threads arrive once each, in per-thread order") {
  Sink sink;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  {
    Writer writer([&sink](const ClientRequestBatch& b) { return sink.Write(b); },
                  absl::Milliseconds(1), /*max_items=*/64);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&writer, t] {
        for (int i = 0; i < kPerThread; ++i) REQUIRE(AddKey(writer, absl::StrCat(t, ":", i)));
      });
    }
    for (auto& thread : threads) thread.join();
  }                         // the destructor closes, flushing the rest
  std::map<int, int> next;  // thread -> next expected index
  size_t total = 0;
  for (const auto& batch : sink.batches()) {
    CHECK(!batch.empty());
    for (const std::string& key : batch) {
      std::vector<std::string> parts = absl::StrSplit(key, ':');
      int t = 0, i = 0;
      REQUIRE(absl::SimpleAtoi(parts[0], &t));
      REQUIRE(absl::SimpleAtoi(parts[1], &i));
      CHECK(i == next[t]);
      next[t] = i + 1;
      ++total;
    }
  }
  CHECK(total == kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) CHECK(next[t] == kPerThread);
}

TEST_CASE("with no interval, items that arrive during a write go together in the next") {
  Sink sink;
  absl::Notification writing, release;
  std::atomic<int> writes{0};
  Writer writer([&](const ClientRequestBatch& b) {
    if (writes++ == 0) {  // the first write stays in flight, as on a busy stream
      writing.Notify();
      release.WaitForNotification();
    }
    return sink.Write(b);
  });
  REQUIRE(AddKey(writer, "0"));
  writing.WaitForNotification();
  for (int i = 1; i < 2000; ++i) REQUIRE(AddKey(writer, std::to_string(i)));
  release.Notify();
  writer.Close();
  REQUIRE(sink.batches().size() == 2);
  CHECK(sink.batches()[0].size() == 1);
  CHECK(sink.batches()[1].size() == 1999);
}

TEST_CASE("a tight loop of items makes a write per full batch, not one per item") {
  Sink sink;
  FakeClock clock;  // never advanced: only full batches (and Close) are sent
  Writer writer([&sink](const ClientRequestBatch& b) { return sink.Write(b); },
                absl::Milliseconds(2), /*max_items=*/1024, &clock);
  for (int i = 0; i < 20000; ++i) REQUIRE(AddKey(writer, std::to_string(i)));
  writer.Close();
  CHECK(sink.items() == 20000);
  // Every batch but the last holds at least max_items items.
  CHECK(sink.batches().size() <= (20000 + 1023) / 1024);
}

TEST_CASE("a batch is sent when full, without waiting for the interval") {
  Sink sink;
  FakeClock clock;
  Writer writer([&sink](const ClientRequestBatch& b) { return sink.Write(b); }, absl::Hours(1),
                /*max_items=*/10, &clock);
  for (int i = 0; i < 10; ++i) AddKey(writer, std::to_string(i));
  CHECK(PollUntil([&] { return sink.items() == 10; }, absl::Now() + absl::Seconds(30)));
  CHECK(sink.batches().size() == 1);
}

TEST_CASE("a lone item goes out after the flush interval, and Flush sends at once") {
  Sink sink;
  FakeClock clock;
  std::vector<absl::Time> written_at;  // clock time of each write (writer thread only)
  Writer writer(
      [&](const ClientRequestBatch& b) {
        written_at.push_back(clock.Now());
        return sink.Write(b);
      },
      absl::Milliseconds(200), /*max_items=*/1024, &clock);
  const absl::Time start = clock.Now();
  auto waits_until = [&clock](absl::Time deadline) {
    return PollUntil([&] { return clock.Deadlines() == std::vector<absl::Time>{deadline}; },
                     absl::Now() + absl::Seconds(30));
  };
  AddKey(writer, "a");
  REQUIRE(waits_until(start + absl::Milliseconds(200)));  // the writer waits for the interval
  clock.Advance(absl::Milliseconds(199));
  CHECK(sink.items() == 0);
  clock.Advance(absl::Milliseconds(1));
  REQUIRE(PollUntil([&] { return sink.items() == 1; }, absl::Now() + absl::Seconds(30)));

  // Flush with nothing pending must not leave a request behind: the next item still
  // waits for its interval.
  writer.Flush();
  AddKey(writer, "c");
  CHECK(waits_until(start + absl::Milliseconds(400)));
  CHECK(sink.items() == 1);
  writer.Close();  // sends "c" at once
  CHECK(sink.items() == 2);
  CHECK(written_at ==
        std::vector<absl::Time>{start + absl::Milliseconds(200), start + absl::Milliseconds(200)});

  Writer slow([&sink](const ClientRequestBatch& b) { return sink.Write(b); }, absl::Hours(1),
              /*max_items=*/1024, &clock);
  AddKey(slow, "b");
  slow.Flush();  // the clock stands still: only the flush can send it
  CHECK(PollUntil([&] { return sink.items() == 3; }, absl::Now() + absl::Seconds(30)));
}

TEST_CASE("a failed write breaks the writer: later Add returns false") {
  std::atomic<int> writes{0};
  Writer writer([&writes](const ClientRequestBatch&) {
    ++writes;
    return false;
  });
  CHECK(AddKey(writer, "a"));
  writer.Flush();
  CHECK(PollUntil([&] { return writer.broken(); }, absl::Now() + absl::Seconds(30)));
  CHECK_FALSE(AddKey(writer, "b"));
  writer.Close();
  CHECK(writes == 1);
}

TEST_CASE("Close flushes what is pending, then refuses items; closing twice is fine") {
  Sink sink;
  Writer writer([&sink](const ClientRequestBatch& b) { return sink.Write(b); }, absl::Hours(1));
  for (int i = 0; i < 5; ++i) AddKey(writer, std::to_string(i));
  std::thread other([&writer] { writer.Close(); });
  writer.Close();
  other.join();
  CHECK(sink.items() == 5);
  CHECK_FALSE(AddKey(writer, "late"));
  writer.Close();
  CHECK(sink.items() == 5);
}

}  // namespace
}  // namespace weft
