#include "batched_writer.h"

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "proto/weft.pb.h"

namespace weft {
namespace {

using proto::ClientRequestBatch;
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
  }  // the destructor closes, flushing the rest
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
  Writer writer([&sink](const ClientRequestBatch& b) {
    absl::SleepFor(absl::Milliseconds(1));  // a write in flight, as on a busy stream
    return sink.Write(b);
  });
  for (int i = 0; i < 2000; ++i) REQUIRE(AddKey(writer, std::to_string(i)));
  writer.Close();
  CHECK(sink.items() == 2000);
  INFO(sink.batches().size() << " writes");
  CHECK(sink.batches().size() < 2000 / 10);
}

TEST_CASE("a tight loop of items makes far fewer writes than items") {
  Sink sink;
  Writer writer([&sink](const ClientRequestBatch& b) { return sink.Write(b); },
                absl::Milliseconds(2));
  for (int i = 0; i < 20000; ++i) REQUIRE(AddKey(writer, std::to_string(i)));
  writer.Close();
  CHECK(sink.items() == 20000);
  const size_t writes = sink.batches().size();
  INFO(writes << " writes");
  CHECK(writes < 20000 / 10);
}

TEST_CASE("a batch is sent when full, without waiting for the interval") {
  Sink sink;
  Writer writer([&sink](const ClientRequestBatch& b) { return sink.Write(b); },
                absl::Hours(1), /*max_items=*/10);
  for (int i = 0; i < 10; ++i) AddKey(writer, std::to_string(i));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (sink.items() < 10 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  CHECK(sink.items() == 10);
  CHECK(sink.batches().size() == 1);
}

TEST_CASE("a lone item goes out after the flush interval, and Flush sends at once") {
  Sink sink;
  Writer writer([&sink](const ClientRequestBatch& b) { return sink.Write(b); },
                absl::Milliseconds(200));
  absl::Time start = absl::Now();
  AddKey(writer, "a");
  while (sink.items() < 1 && absl::Now() - start < absl::Seconds(10)) {
    absl::SleepFor(absl::Microseconds(200));
  }
  const absl::Duration took = absl::Now() - start;
  CHECK(sink.items() == 1);
  CHECK(took >= absl::Milliseconds(199));
  CHECK(took < absl::Seconds(2));

  // Flush with nothing pending must not leave a request behind (nor spin): the next
  // item still waits for its interval.
  writer.Flush();
  absl::SleepFor(absl::Milliseconds(5));
  AddKey(writer, "c");
  absl::SleepFor(absl::Milliseconds(5));
  CHECK(sink.batches().size() == 1);
  writer.Close();
  CHECK(sink.items() == 2);

  Writer slow([&sink](const ClientRequestBatch& b) { return sink.Write(b); }, absl::Hours(1));
  AddKey(slow, "b");
  slow.Flush();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (sink.items() < 3 && absl::Now() < deadline) absl::SleepFor(absl::Microseconds(200));
  CHECK(sink.items() == 3);
}

TEST_CASE("a failed write breaks the writer: later Add returns false") {
  std::atomic<int> writes{0};
  Writer writer([&writes](const ClientRequestBatch&) {
    ++writes;
    return false;
  });
  CHECK(AddKey(writer, "a"));
  writer.Flush();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!writer.broken() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  CHECK(writer.broken());
  CHECK_FALSE(AddKey(writer, "b"));
  writer.Close();
  CHECK(writes == 1);
}

TEST_CASE("Close flushes what is pending, then refuses items; closing twice is fine") {
  Sink sink;
  Writer writer([&sink](const ClientRequestBatch& b) { return sink.Write(b); },
                absl::Hours(1));
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
