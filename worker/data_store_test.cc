#include "worker/data_store.h"

#include <stdlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/codec.h"
#include "worker/spill_file.h"

namespace weft {
namespace {

TEST_CASE("the data store keeps values and counts their bytes") {
  DataStore store;
  CHECK(store.memory_bytes() == 0);
  CHECK(absl::IsNotFound(store.Get("a").status()));
  CHECK(store.NBytes("a") == -1);

  Value big = Value::Bytes(Buffer(std::string(10000, 'x')));
  int64_t n = store.Put("a", big);
  CHECK(n >= 10000);
  CHECK(store.NBytes("a") == n);
  CHECK(store.memory_bytes() == n);
  CHECK(*store.Get("a") == big);
  int64_t m = store.Put("b", Value(1));
  CHECK(store.memory_bytes() == n + m);
  CHECK(store.size() == 2);

  // Replacing a key replaces its bytes.
  store.Put("a", Value(2));
  CHECK(store.memory_bytes() == store.NBytes("a") + m);

  // A value handed out stays valid after the key is erased.
  store.Put("c", big);
  Value held = *store.Get("c");
  CHECK(store.Erase("c"));
  CHECK_FALSE(store.Erase("c"));
  CHECK(held.as_bytes().size() == 10000);

  CHECK(store.Erase("a"));
  CHECK(store.Erase("b"));
  CHECK(store.memory_bytes() == 0);
  CHECK(store.Keys().empty());
}

TEST_CASE("the data store is safe to use from several threads") {
  DataStore store;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 1000; ++i) {
        std::string key = std::to_string(t) + "-" + std::to_string(i);
        store.Put(key, Value(int64_t{i}));
        CHECK(store.Get(key)->as_int() == i);
        if (i % 2 == 0) store.Erase(key);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(store.size() == 2000);
  CHECK(store.memory_bytes() == 2000 * store.NBytes("0-1"));
}

// A fresh directory under the test's temporary directory.
std::string TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/store-XXXXXX";
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  return dir;
}

// A store that spills above `target` bytes.
std::unique_ptr<DataStore> SpillingStore(int64_t target, const std::string& dir) {
  DataStoreOptions options;
  options.memory_limit = target * 2;
  options.target_fraction = 0.5;
  options.local_directory = dir;
  auto store = DataStore::Open(options);
  REQUIRE(store.ok());
  REQUIRE((*store)->target_bytes() == target);
  return *std::move(store);
}

Value Blob(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 13 % 97);
  return Value::Bytes(Buffer(std::move(s)));
}

size_t FilesIn(const std::string& dir) {
  size_t n = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) ++n;
  }
  return n;
}

TEST_CASE("values above the memory target are spilled least recently used first") {
  std::string dir = TempDir();
  auto store = SpillingStore(250000, dir);
  store->Put("a", Blob(100000, 'a'));
  store->Put("b", Blob(100000, 'b'));
  CHECK(store->spilled_bytes() == 0);
  CHECK(FilesIn(dir) == 0);
  REQUIRE(store->Get("a").ok());       // a is now more recent than b
  store->Put("c", Blob(100000, 'c'));  // 300000 > 250000: the oldest (b) goes
  CHECK(store->TEST_IsSpilled("b"));
  CHECK_FALSE(store->TEST_IsSpilled("a"));
  CHECK_FALSE(store->TEST_IsSpilled("c"));
  CHECK(store->memory_bytes() == store->NBytes("a") + store->NBytes("c"));
  CHECK(store->spilled_bytes() == store->NBytes("b"));
  CHECK(store->memory_bytes() <= store->target_bytes());
  CHECK(FilesIn(dir) == 1);
  CHECK(store->size() == 3);

  // Reading b back brings it to memory and pushes out the least recently used (a).
  std::string b_file = store->TEST_SpillPath("b");
  REQUIRE(std::filesystem::exists(b_file));
  auto b = store->Get("b");
  REQUIRE(b.ok());
  CHECK(*b == Blob(100000, 'b'));
  CHECK_FALSE(std::filesystem::exists(b_file));
  CHECK_FALSE(store->TEST_IsSpilled("b"));
  CHECK(store->TEST_IsSpilled("a"));
  CHECK(*store->Get("a") == Blob(100000, 'a'));
  CHECK(store->memory_bytes() + store->spilled_bytes() ==
        store->NBytes("a") + store->NBytes("b") + store->NBytes("c"));

  // Freeing a spilled key deletes its file; the directory goes with the store.
  std::string spilled_key = store->TEST_IsSpilled("c")   ? "c"
                            : store->TEST_IsSpilled("b") ? "b"
                                                         : "a";
  std::string file = store->TEST_SpillPath(spilled_key);
  REQUIRE(std::filesystem::exists(file));
  CHECK(store->Erase(spilled_key));
  CHECK_FALSE(std::filesystem::exists(file));
  CHECK(store->spilled_bytes() == 0);
  std::string spill_dir = store->TEST_spill_directory();
  store->Put("d", Blob(400000, 'd'));  // bigger than the whole target: stored, on disk
  CHECK(store->TEST_IsSpilled("d"));
  CHECK(*store->Get("d") == Blob(400000, 'd'));
  CHECK(store->TEST_IsSpilled("d"));  // read from disk, not brought back
  store.reset();
  CHECK_FALSE(std::filesystem::exists(spill_dir));
  CHECK(FilesIn(dir) == 0);
}

TEST_CASE("SpillOldest spills below the target, oldest first, while there is anything") {
  auto store = SpillingStore(1 << 20, TempDir());
  store->Put("old", Blob(1000, 'o'));
  store->Put("new", Blob(1000, 'n'));
  CHECK(store->spilled_bytes() == 0);
  CHECK(store->SpillOldest());
  CHECK(store->TEST_IsSpilled("old"));
  CHECK_FALSE(store->TEST_IsSpilled("new"));
  CHECK(store->SpillOldest());
  CHECK(store->TEST_IsSpilled("new"));
  CHECK_FALSE(store->SpillOldest());
  CHECK(store->memory_bytes() == 0);
  DataStore plain;  // never spills
  plain.Put("x", Value(1));
  CHECK_FALSE(plain.SpillOldest());
}

TEST_CASE("Peek reads a spilled value for others and leaves it on disk") {
  auto store = SpillingStore(1 << 20, TempDir());
  store->Put("spilled", Blob(1000, 's'));
  store->Put("kept", Blob(1000, 'k'));
  REQUIRE(store->SpillOldest());
  REQUIRE(store->TEST_IsSpilled("spilled"));
  const int64_t in_memory = store->memory_bytes();
  bool from_disk = false;
  auto value = store->Peek("spilled", &from_disk);
  REQUIRE(value.ok());
  CHECK(*value == Blob(1000, 's'));
  CHECK(from_disk);
  CHECK(store->TEST_IsSpilled("spilled"));  // not brought back: memory unchanged
  CHECK(store->memory_bytes() == in_memory);
  value = store->Peek("kept", &from_disk);
  REQUIRE(value.ok());
  CHECK(*value == Blob(1000, 'k'));
  CHECK_FALSE(from_disk);
  CHECK(absl::IsNotFound(store->Peek("nothing").status()));
  // Get brings it back, as always.
  REQUIRE(store->Get("spilled").ok());
  CHECK_FALSE(store->TEST_IsSpilled("spilled"));
}

TEST_CASE("one item of a spilled list is read alone; the list stays on disk") {
  auto store = SpillingStore(1 << 20, TempDir());
  ValueList buckets = {Blob(3000, 'a'), Value(ValueList{Value(1), Value("two")}), Blob(5, 'c')};
  store->Put("split", Value(buckets));
  store->Put("plain", Value(7));
  REQUIRE(store->SpillOldest());
  REQUIRE(store->TEST_IsSpilled("split"));
  for (int64_t i = 0; i < 3; ++i) {
    auto item = store->GetItem("split", i);
    REQUIRE(item.ok());
    CHECK(*item == buckets[i]);
  }
  CHECK(store->TEST_IsSpilled("split"));  // not brought back by GetItem
  CHECK(store->GetItem("split", 3).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(store->GetItem("plain", 0).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::IsNotFound(store->GetItem("nothing", 0).status()));
  // The whole list still comes back equal, and then items come from memory.
  auto whole = store->Get("split");
  REQUIRE(whole.ok());
  CHECK(*whole == Value(buckets));
  CHECK_FALSE(store->TEST_IsSpilled("split"));
  CHECK(*store->GetItem("split", 1) == buckets[1]);
}

TEST_CASE("dropped items of a list are freed; the list is no longer whole") {
  auto store = SpillingStore(1 << 20, TempDir());
  ValueList buckets = {Blob(3000, 'a'), Blob(2000, 'b'), Blob(1000, 'c')};
  const int64_t whole_bytes = store->Put("split", Value(buckets));
  store->Put("plain", Value(7));
  const int64_t plain_bytes = store->NBytes("plain");
  const int64_t item_bytes = static_cast<int64_t>(buckets[1].nbytes() - sizeof(Value));

  SECTION("in memory") {
    CHECK(store->DropItems("split", {1, 1, 7, -1}) == item_bytes);  // repeats and strays ignored
    CHECK(store->NBytes("split") == whole_bytes - item_bytes);
    CHECK(store->memory_bytes() == whole_bytes - item_bytes + plain_bytes);
  }
  SECTION("spilled") {
    REQUIRE(store->SpillOldest());
    REQUIRE(store->TEST_IsSpilled("split"));
    CHECK(store->DropItems("split", {1}) == item_bytes);
    CHECK(store->spilled_bytes() == whole_bytes - item_bytes);
    CHECK(store->TEST_IsSpilled("split"));
  }
  absl::StatusOr<Value> dropped = store->GetItem("split", 1);
  CHECK(absl::IsNotFound(dropped.status()));
  CHECK_THAT(std::string(dropped.status().message()),
             Catch::Contains("item 1 of split was freed here"));
  CHECK(*store->GetItem("split", 0) == buckets[0]);
  CHECK(*store->GetItem("split", 2) == buckets[2]);
  // The whole list is missing to a reader (which reports it, and the split is recomputed).
  for (absl::StatusOr<Value> whole : {store->Get("split"), store->Peek("split")}) {
    CHECK(absl::IsNotFound(whole.status()));
    CHECK_THAT(std::string(whole.status().message()),
               Catch::Contains("split is not whole on this worker: items 1 were freed"));
  }
  CHECK(store->DropItems("split", {1}) == 0);  // already dropped
  CHECK(store->DropItems("plain", {0}) == 0);  // not a list
  CHECK(store->DropItems("nothing", {0}) == 0);
  // A new value under the key is whole again.
  store->Put("split", Value(buckets));
  CHECK(*store->Get("split") == Value(buckets));
  CHECK(store->Erase("split"));
  CHECK(store->memory_bytes() == plain_bytes);
  CHECK(store->spilled_bytes() == 0);
}

TEST_CASE("spilled lists, records and JsonLines come back equal") {
  auto store = SpillingStore(1000, TempDir());
  Value list(ValueList{1, "two", 3.5, nullptr, true, Blob(5000, 'x'),
                       ValueList{Record{{"k", Value(7)}, {"s", Value("v")}}}});
  Value lines(
      JsonLines::FromText(Buffer(std::string("{\"type\":\"PushEvent\",\"id\":1}\n{\"type\":"
                                             "\"WatchEvent\",\"id\":2}\n\n{\"a\":[1,2]}\n"))));
  std::string big_text;
  for (int i = 0; i < 2000; ++i) big_text += "{\"i\":" + std::to_string(i) + "}\n";
  Value big_lines(JsonLines::FromText(Buffer(big_text)));
  Value bytes = Blob(3000, 'q');
  store->Put("list", list);
  store->Put("lines", lines);
  store->Put("big_lines", big_lines);
  store->Put("bytes", bytes);
  store->Put("int", Value(42));
  CHECK(store->TEST_IsSpilled("list"));
  CHECK(store->TEST_IsSpilled("big_lines"));
  CHECK(*store->Get("list") == list);
  CHECK(*store->Get("lines") == lines);
  CHECK(*store->Get("big_lines") == big_lines);
  CHECK(*store->Get("bytes") == bytes);
  CHECK(*store->Get("int") == Value(42));
  CHECK(store->Get("big_lines")->as_json_lines().line(1999) == "{\"i\":1999}");
}

TEST_CASE("a corrupt or missing spill file is a clear error naming the file and key") {
  auto store = SpillingStore(1000, TempDir());
  store->Put("victim", Blob(5000, 'v'));
  REQUIRE(store->TEST_IsSpilled("victim"));
  std::string file = store->TEST_SpillPath("victim");
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.write("garbage!garbage!", 16);
  }
  auto value = store->Get("victim");
  REQUIRE_FALSE(value.ok());
  CHECK(value.status().code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(value.status().message()), Catch::Contains(file));
  CHECK_THAT(std::string(value.status().message()), Catch::Contains("victim"));

  std::filesystem::remove(file);
  value = store->Get("victim");
  REQUIRE_FALSE(value.ok());
  CHECK(value.status().code() == absl::StatusCode::kInternal);
  CHECK_THAT(std::string(value.status().message()), Catch::Contains(file));
  CHECK(store->Erase("victim"));
}

TEST_CASE("spill files round-trip and reject truncation") {
  std::string dir = TempDir();
  Value v(ValueList{Blob(300000, 'z'), "tail"});
  absl::Cord encoded = EncodeValue(v);
  auto written = WriteSpillFile(dir + "/f", encoded);
  REQUIRE(written.ok());
  CHECK(*written < static_cast<int64_t>(encoded.size()));  // compressed
  CHECK(*ReadSpillFile(dir + "/f", encoded.size()) == v);
  CHECK(ReadSpillFile(dir + "/f", encoded.size() + 1).status().code() ==
        absl::StatusCode::kDataLoss);
  CHECK(ReadSpillFile(dir + "/f", encoded.size() - 1).status().code() ==
        absl::StatusCode::kDataLoss);
  std::filesystem::resize_file(dir + "/f", *written / 2);
  auto truncated = ReadSpillFile(dir + "/f", encoded.size());
  CHECK(truncated.status().code() == absl::StatusCode::kDataLoss);
  auto unwritable = WriteSpillFile(dir + "/no/such/dir/f", encoded);
  REQUIRE_FALSE(unwritable.ok());
  CHECK_THAT(std::string(unwritable.status().message()), Catch::Contains("/no/such/dir/f"));
}

TEST_CASE("a value that cannot be spilled stays in memory and the error names the file") {
  std::string dir = TempDir();
  auto store = SpillingStore(1000, dir);
  std::filesystem::remove_all(store->TEST_spill_directory());  // writes will fail
  store->Put("kept", Blob(5000, 'k'));
  CHECK_FALSE(store->TEST_IsSpilled("kept"));
  CHECK(store->memory_bytes() == store->NBytes("kept"));
  CHECK_THAT(std::string(store->last_spill_error().message()),
             Catch::Contains(store->TEST_spill_directory()));
  CHECK(*store->Get("kept") == Blob(5000, 'k'));
  // Tried once: it is no longer a candidate, and nothing else is.
  CHECK_FALSE(store->can_spill());
  CHECK_FALSE(store->SpillOldest());
}

TEST_CASE("can_spill: a spilling store holding a value in memory that has not failed") {
  DataStore never;
  never.Put("a", Blob(5000, 'a'));
  CHECK_FALSE(never.can_spill());  // does not spill at all
  std::string dir = TempDir();
  auto store = SpillingStore(100000, dir);
  CHECK_FALSE(store->can_spill());  // empty
  store->Put("a", Blob(5000, 'a'));
  CHECK(store->can_spill());
  REQUIRE(store->SpillOldest());
  CHECK(store->TEST_IsSpilled("a"));
  CHECK_FALSE(store->can_spill());  // all on disk
  REQUIRE(store->Get("a").ok());    // brought back: in memory again
  CHECK(store->can_spill());
  std::filesystem::remove_all(dir);
}

TEST_CASE("spill and unspill are safe under concurrent readers, writers and frees") {
  std::string dir = TempDir();
  auto store = SpillingStore(200000, dir);
  constexpr int kThreads = 6;
  constexpr int kKeys = 40;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, &errors, t] {
      for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < kKeys; ++i) {
          // Shared keys (readers race with spills of others' writes) and private ones.
          std::string key = "k" + std::to_string(i);
          store->Put(key, Blob(20000, static_cast<char>('a' + i % 20)));
          auto value = store->Get("k" + std::to_string((i * 7 + t) % kKeys));
          if (value.ok() && value->as_bytes().size() != 20000) ++errors;
          if (!value.ok() && !absl::IsNotFound(value.status())) ++errors;
          if (value.ok()) {
            int j = (i * 7 + t) % kKeys;
            if (!(*value == Blob(20000, static_cast<char>('a' + j % 20)))) ++errors;
          }
          if ((i + t) % 5 == 0) store->Erase("k" + std::to_string((i + 3) % kKeys));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(errors == 0);
  CHECK(store->memory_bytes() <= store->target_bytes());
  int64_t total = 0;
  for (const std::string& key : store->Keys()) {
    auto value = store->Get(key);
    REQUIRE(value.ok());
    total += store->NBytes(key);
  }
  CHECK(store->memory_bytes() + store->spilled_bytes() == total);
  size_t spilled = 0;
  for (const std::string& key : store->Keys()) spilled += store->TEST_IsSpilled(key);
  CHECK(FilesIn(dir) == spilled);  // no file left behind by a race
  for (const std::string& key : store->Keys()) store->Erase(key);
  CHECK(FilesIn(dir) == 0);
  CHECK(store->memory_bytes() == 0);
  CHECK(store->spilled_bytes() == 0);
}

}  // namespace
}  // namespace weft
