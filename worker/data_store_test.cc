#include "worker/data_store.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

namespace weft {
namespace {

TEST_CASE("the data store keeps values and counts their bytes") {
  DataStore store;
  CHECK(store.memory_bytes() == 0);
  CHECK_FALSE(store.Get("a").has_value());
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

}  // namespace
}  // namespace weft
