// Worker.GetData round trip: an in-process DataService and FetchValues.
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/cord.h"
#include "absl/time/clock.h"
#include "common/codec.h"
#include "common/compressed_lines.h"
#include "common/data_client.h"
#include "common/same_host.h"
#include "common/security.h"
#include "common/testing/test_certs.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "worker/data_server.h"
#include "worker/data_store.h"
#include "worker/registry_testing.h"

namespace weft {
namespace {

// SetLargeValueMemory(memory) while it lives; then the default again.
struct ScopedLargeValueMemory {
  explicit ScopedLargeValueMemory(LargeValueMemory memory) { SetLargeValueMemory(memory); }
  ~ScopedLargeValueMemory() { SetLargeValueMemory(LargeValueMemory::kOwnMapping); }
};

// FetchValues over a new (insecure) channel to `address`.
absl::StatusOr<KeyValues> FetchFrom(const std::string& address,
                                    const std::vector<std::string>& keys, absl::Time deadline,
                                    std::vector<std::string>* missing = nullptr) {
  return FetchValues(*MakeWeftChannel(address, Security()), keys, deadline, missing);
}

struct TestServer {
  DataStore store;
  // Views are answered with the functions linked into this test (bag.take, bag.count).
  DataService service{store, &testing::LinkedFunctions()};
  std::unique_ptr<grpc::Server> server;
  std::string address;

  explicit TestServer(const Security& security = Security()) {
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *MakeServerCredentials(security), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    address = "127.0.0.1:" + std::to_string(port);
  }
  ~TestServer() { server->Shutdown(); }
};

// Same-host transfers off (values through the stream) while it lives.
struct StreamOnly {
  StreamOnly() { TEST_SetSameHostTransfers(false); }
  ~StreamOnly() { TEST_SetSameHostTransfers(true); }
};

std::string Pattern(size_t size) {
  std::string pattern(size, '\0');
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<char>(i * 7 % 251);
  return pattern;
}

TEST_CASE("GetData sends small values many to a message, in order with large ones") {
  StreamOnly stream_only;
  TestServer server;
  REQUIRE(server.server != nullptr);
  // 20,000 small values (several batches of 256 KiB), with values just under and over the
  // batching size, and keys not held, among them.
  const Value under = Value::Bytes(Buffer(Pattern(16 * 1024 - 64)));
  const Value over = Value::Bytes(Buffer(Pattern(16 * 1024 + 1)));
  std::vector<std::string> keys;
  std::vector<std::string> expected_missing;
  for (int i = 0; i < 20000; ++i) {
    const std::string key = "k" + std::to_string(i);
    keys.push_back(key);
    if (i % 997 == 5) {
      expected_missing.push_back(key);
    } else if (i % 1000 == 7) {
      server.store.Put(key, i % 2000 == 7 ? under : over);
    } else {
      server.store.Put(key, Value(ValueList{int64_t{i}, "v" + std::to_string(i)}));
    }
  }
  std::vector<std::string> missing;
  auto values = FetchFrom(server.address, keys, absl::Now() + absl::Seconds(60), &missing);
  REQUIRE(values.ok());
  CHECK(missing == expected_missing);
  REQUIRE(values->size() == keys.size() - expected_missing.size());
  size_t at = 0;
  for (int i = 0; i < 20000; ++i) {
    if (i % 997 == 5) continue;
    const auto& [key, value] = (*values)[at++];
    REQUIRE(key == "k" + std::to_string(i));
    if (i % 1000 == 7) {
      CHECK(value == (i % 2000 == 7 ? under : over));
    } else {
      CHECK(value == Value(ValueList{int64_t{i}, "v" + std::to_string(i)}));
    }
  }
}

TEST_CASE("GetData answers views: a partition's head and length, computed by the holder") {
  TestServer server;
  REQUIRE(server.server != nullptr);
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "{\"i\": " + std::to_string(i) + "}\n";
  const JsonLines lines = JsonLines::FromText(Buffer(text));
  server.store.Put("raw", Value(lines));
  server.store.Put("compressed", Value(CompressLines(lines)));
  server.store.Put("list", Value(ValueList{1, 2, 3}));
  server.store.Put("number", Value(7));
  auto channel = MakeWeftChannel(server.address, Security());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);

  proto::DataView length;
  length.set_kind(proto::DataView::LENGTH);
  std::vector<std::string> missing;
  auto lengths = FetchViews(*channel, {"raw", "compressed", "list", "number", "absent"}, length,
                            deadline, &missing);
  REQUIRE(lengths.ok());
  // A number has no length and "absent" is not held: both left out, named.
  CHECK(missing == std::vector<std::string>{"number", "absent"});
  REQUIRE(lengths->size() == 3);
  CHECK((*lengths)[0] == std::make_pair(std::string("raw"), Value(int64_t{5000})));
  CHECK((*lengths)[1] == std::make_pair(std::string("compressed"), Value(int64_t{5000})));
  CHECK((*lengths)[2] == std::make_pair(std::string("list"), Value(int64_t{3})));

  // The lengths summed by the holder: one value under "", after the keys.
  proto::DataView total;
  total.set_kind(proto::DataView::TOTAL_LENGTH);
  missing.clear();
  auto summed = FetchViews(*channel, {"raw", "compressed", "list"}, total, deadline, &missing);
  REQUIRE(summed.ok());
  CHECK(missing.empty());
  REQUIRE(summed->size() == 1);
  CHECK(summed->front() == std::make_pair(std::string(""), Value(int64_t{10003})));
  // A key it cannot count: its error, and no total.
  for (const char* bad : {"number", "absent"}) {
    missing.clear();
    auto refused_total = FetchViews(*channel, {"raw", bad, "list"}, total, deadline, &missing);
    REQUIRE(refused_total.ok());
    CHECK(refused_total->empty());
    CHECK(missing == std::vector<std::string>{bad});
  }

  proto::DataView head;
  head.set_kind(proto::DataView::HEAD);
  head.set_n(2);
  auto heads = FetchViews(*channel, {"compressed", "raw", "list"}, head, deadline);
  REQUIRE(heads.ok());
  REQUIRE(heads->size() == 3);
  // The same records a bag.take task returns, from either form of the partition.
  const Value expected = *testing::CallLinked("bag.take", {Value(lines), Value(int64_t{2})});
  REQUIRE(expected.is_list());
  REQUIRE(expected.as_list().size() == 2);
  CHECK((*heads)[0].second == expected);
  CHECK((*heads)[1].second == expected);
  CHECK((*heads)[2].second == Value(ValueList{1, 2}));
  const Value* i = (*heads)[0].second.as_list()[1].Find("i");
  REQUIRE(i != nullptr);
  CHECK(*i == Value(int64_t{1}));

  // A service without a registry answers no views; whole values as ever.
  DataStore bare_store;
  bare_store.Put("raw", Value(lines));
  DataService bare(bare_store);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&bare);
  auto bare_server = builder.BuildAndStart();
  auto bare_channel = MakeWeftChannel("127.0.0.1:" + std::to_string(port), Security());
  missing.clear();
  auto refused = FetchViews(*bare_channel, {"raw"}, length, deadline, &missing);
  REQUIRE(refused.ok());
  CHECK(refused->empty());
  CHECK(missing == std::vector<std::string>{"raw"});
  auto whole = FetchValues(*bare_channel, {"raw"}, deadline);
  REQUIRE(whole.ok());
  REQUIRE(whole->size() == 1);
  CHECK((*whole)[0].second == Value(lines));
  bare_server->Shutdown();
}

TEST_CASE("GetData streams values in chunks and FetchValues reassembles them") {
  // Large values received into mappings of their own (the default) or malloc'd (a worker).
  ScopedLargeValueMemory memory(GENERATE(LargeValueMemory::kOwnMapping, LargeValueMemory::kMalloc));
  StreamOnly stream_only;
  TestServer server;
  REQUIRE(server.server != nullptr);
  std::string pattern(5 * 1024 * 1024 + 123, '\0');
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<char>(i * 7 % 251);
  Value big = Value::Bytes(Buffer(pattern));
  Value nested(
      ValueList{1, "two", ValueList{3.5, nullptr}, Value::Bytes(Buffer(pattern.substr(0, 9000)))});
  server.store.Put("big", big);
  server.store.Put("small", Value(42));
  server.store.Put("nested", nested);
  REQUIRE(EncodeValue(big).size() > 5 * DataService::kChunkBytes);

  auto channel = MakeWeftChannel(server.address, Security());
  std::vector<std::string> missing;
  auto values = FetchValues(*channel, {"small", "big", "absent", "nested"},
                            absl::Now() + absl::Seconds(30), &missing);
  REQUIRE(values.ok());
  REQUIRE(values->size() == 3);
  CHECK((*values)[0].first == "small");
  CHECK((*values)[0].second == Value(42));
  CHECK((*values)[1].first == "big");
  CHECK((*values)[1].second == big);
  CHECK((*values)[2].first == "nested");
  CHECK((*values)[2].second == nested);
  CHECK(missing == std::vector<std::string>{"absent"});

  // By address, and an exact multiple of the chunk size.
  Value exact = Value::Bytes(Buffer(std::string(2 * DataService::kChunkBytes, 'q')));
  server.store.Put("exact", exact);
  auto again = FetchFrom(server.address, {"exact"}, absl::Now() + absl::Seconds(30));
  REQUIRE(again.ok());
  REQUIRE(again->size() == 1);
  CHECK((*again)[0].second == exact);

  auto none = FetchFrom(server.address, {"absent"}, absl::Now() + absl::Seconds(30));
  REQUIRE(none.ok());
  CHECK(none->empty());
}

// A GetData server that writes plain protobuf DataChunks (fields in protobuf's order:
// total_bytes after data), as another implementation of the wire contract might.
class ProtoDataService final : public proto::Worker::Service {
 public:
  grpc::Status GetData(grpc::ServerContext*, const proto::GetDataRequest* request,
                       grpc::ServerWriter<proto::DataChunk>* writer) override {
    for (const std::string& key : request->keys()) {
      proto::DataChunk chunk;
      chunk.set_key(key);
      if (key == "absent") {
        chunk.set_error("not here");
        chunk.set_last(true);
        writer->Write(chunk);
        continue;
      }
      std::string bytes = EncodeValueToString(Value(ValueList{key, Value(int64_t{7})}));
      chunk.set_total_bytes(static_cast<int64_t>(bytes.size()));
      chunk.set_data(bytes.substr(0, 3));
      writer->Write(chunk);
      chunk.Clear();
      chunk.set_key(key);
      chunk.set_data(bytes.substr(3));
      chunk.set_last(true);
      writer->Write(chunk);
    }
    return grpc::Status::OK;
  }
};

TEST_CASE("FetchValues reads chunks written by a plain protobuf server too") {
  ProtoDataService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  std::vector<std::string> missing;
  auto values = FetchFrom("127.0.0.1:" + std::to_string(port), {"a", "absent", "b"},
                          absl::Now() + absl::Seconds(30), &missing);
  server->Shutdown();
  REQUIRE(values.ok());
  REQUIRE(values->size() == 2);
  CHECK((*values)[0].second == Value(ValueList{"a", Value(int64_t{7})}));
  CHECK((*values)[1].second == Value(ValueList{"b", Value(int64_t{7})}));
  CHECK(missing == std::vector<std::string>{"absent"});
}

TEST_CASE("a worker that knows no views refuses them rather than sending whole values") {
  ProtoDataService service;  // GetData only, as a worker from before views
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  proto::DataView length;
  length.set_kind(proto::DataView::LENGTH);
  auto views = FetchViews(*MakeWeftChannel("127.0.0.1:" + std::to_string(port), Security()), {"a"},
                          length, absl::Now() + absl::Seconds(30));
  server->Shutdown();
  REQUIRE(!views.ok());
  CHECK(absl::IsUnimplemented(views.status()));
}

TEST_CASE("a spilled value is served by GetData, and a broken spill file is a keyed error") {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/transfer-XXXXXX";
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  DataStoreOptions options;
  options.memory_limit = 2 << 20;
  options.local_directory = dir;
  auto store = DataStore::Open(options);
  REQUIRE(store.ok());
  DataService service(**store);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  Value big = Value::Bytes(Buffer(std::string(3 << 20, 's')));
  (*store)->Put("big", big);
  (*store)->Put("other", Value::Bytes(Buffer(std::string(1 << 20, 'o'))));
  REQUIRE((*store)->TEST_IsSpilled("big"));
  auto values =
      FetchFrom("127.0.0.1:" + std::to_string(port), {"big"}, absl::Now() + absl::Seconds(30));
  REQUIRE(values.ok());
  REQUIRE(values->size() == 1);
  CHECK((*values)[0].second == big);

  std::filesystem::resize_file((*store)->TEST_SpillPath("big"), 5);
  std::vector<std::string> missing;
  values = FetchFrom("127.0.0.1:" + std::to_string(port), {"big", "other"},
                     absl::Now() + absl::Seconds(30), &missing);
  server->Shutdown();
  REQUIRE(values.ok());
  CHECK(missing == std::vector<std::string>{"big"});
  REQUIRE(values->size() == 1);
  CHECK((*values)[0].first == "other");
}

TEST_CASE("a same-host requester copies large values out of the holder's memory") {
  // Large values received into mappings of their own (the default) or malloc'd (a worker).
  ScopedLargeValueMemory memory(GENERATE(LargeValueMemory::kOwnMapping, LargeValueMemory::kMalloc));
  REQUIRE(SameHostTransfersEnabled());
  Security security;
  security.token = "s3cret";
  TestServer server(security);
  std::string pattern = Pattern((3 << 20) + 5);
  Value big = Value::Bytes(Buffer(pattern));
  // Big buffers (read from the holder) between small pieces (inline in the descriptor).
  Value nested(ValueList{"a", Value::Bytes(Buffer(pattern.substr(1))), int64_t{7},
                         Value::Bytes(Buffer(pattern.substr(0, 100))),
                         Value::Bytes(Buffer(pattern.substr(2, 70000)))});
  server.store.Put("big", big);
  server.store.Put("nested", nested);
  server.store.Put("small", Value(42));

  auto channel = MakeWeftChannel(server.address, security);
  std::vector<std::string> missing;
  auto values = FetchValues(*channel, {"small", "big", "absent", "nested"},
                            absl::Now() + absl::Seconds(30), &missing);
  REQUIRE(values.ok());
  REQUIRE(values->size() == 3);
  CHECK((*values)[0].second == Value(42));
  CHECK((*values)[1].second == big);
  CHECK((*values)[2].second == nested);
  CHECK(missing == std::vector<std::string>{"absent"});

  // On the wire: the big value is lent, not streamed, and only for as long as the call.
  auto stub = proto::Worker::NewStub(channel);
  grpc::ClientContext context;
  proto::GetDataRequest request;
  request.add_keys("big");
  request.add_keys("small");
  request.set_same_host(SameHostIdentity());
  request.set_same_host_lease(NewLease());
  auto reader = stub->GetData(&context, request);
  proto::DataChunk chunk;
  REQUIRE(reader->Read(&chunk));
  CHECK(chunk.data().empty());
  REQUIRE(chunk.has_memory());
  CHECK(chunk.last());
  CHECK(chunk.memory().pid() == getpid());
  std::string copy(static_cast<size_t>(chunk.total_bytes()), '\0');
  const uint64_t lease = request.same_host_lease();
  REQUIRE(CopyHolderMemory(chunk.memory(), lease, copy.data(), copy.size()).ok());
  CHECK(copy == EncodeValueToString(big));
  CHECK(absl::IsAborted(CopyHolderMemory(chunk.memory(), lease + 1, copy.data(), copy.size())));
  proto::DataChunk small;
  REQUIRE(reader->Read(&small));
  CHECK(!small.has_memory());  // streamed
  context.TryCancel();
  reader->Finish();
  // Shutdown returns once every call's handler has returned, so the lease is revoked.
  server.server->Shutdown();
  CHECK(absl::IsAborted(CopyHolderMemory(chunk.memory(), lease, copy.data(), copy.size())));
}

// A raw same-host GetData of a large value by `caller`: the holder must refuse it
// before lending anything.
void CheckLendsNothingTo(const Security& holder, const Security& caller) {
  TestServer server(holder);
  server.store.Put("big", Value::Bytes(Buffer(Pattern(2 << 20))));
  auto stub = proto::Worker::NewStub(MakeWeftChannel(server.address, caller));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  proto::GetDataRequest request;
  request.add_keys("big");
  request.set_same_host(SameHostIdentity());
  request.set_same_host_lease(NewLease());
  auto reader = stub->GetData(&context, request);
  proto::DataChunk chunk;
  CHECK_FALSE(reader->Read(&chunk));
  grpc::Status status = reader->Finish();
  INFO(status.error_message());
  CHECK(IsCredentialsError(
      absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message()),
      caller));
}

TEST_CASE("a holder lends nothing to a caller without the token") {
  Security holder;
  holder.token = "s3cret";
  Security guess;
  guess.token = "guess";
  CheckLendsNothingTo(holder, guess);
}

TEST_CASE("same-host transfers behind mutual TLS: the trusted peer only") {
  REQUIRE(SameHostTransfersEnabled());
  testing::TestCerts certs = testing::MakeTestCerts();
  auto holder = LoadSecurity({certs.ca, certs.server_cert, certs.server_key, "s3cret"});
  auto peer = LoadSecurity({certs.ca, certs.client_cert, certs.client_key, "s3cret"});
  auto stranger = LoadSecurity({certs.ca, certs.other_cert, certs.other_key, "s3cret"});
  REQUIRE(holder.ok());
  REQUIRE(peer.ok());
  REQUIRE(stranger.ok());
  TestServer server(*holder);
  Value big = Value::Bytes(Buffer(Pattern(4 << 20)));
  server.store.Put("big", big);
  auto values = FetchValues(*MakeWeftChannel(server.address, *peer), {"big"},
                            absl::Now() + absl::Seconds(30));
  REQUIRE(values.ok());
  REQUIRE(values->size() == 1);
  CHECK((*values)[0].second == big);
  CheckLendsNothingTo(*holder, *stranger);
}

// When same_host is offered, lends values at an address that does not hold the
// requester's lease (as a holder that released them, or a peer naming a process other
// than the one that answered); streams them otherwise.
class StaleLeaseService final : public proto::Worker::Service {
 public:
  grpc::Status GetData(grpc::ServerContext*, const proto::GetDataRequest* request,
                       grpc::ServerWriter<proto::DataChunk>* writer) override {
    offers_.push_back(request->same_host());
    for (const std::string& key : request->keys()) {
      std::string bytes = EncodeValueToString(Value(key));
      proto::DataChunk chunk;
      chunk.set_key(key);
      chunk.set_total_bytes(static_cast<int64_t>(bytes.size()));
      chunk.set_last(true);
      if (request->same_host().empty()) {
        chunk.set_data(bytes);
      } else {
        chunk.mutable_memory()->set_pid(getpid());
        chunk.mutable_memory()->set_lease_address(reinterpret_cast<uintptr_t>(&word_));
        chunk.mutable_memory()->add_pieces()->set_inline_bytes(bytes);
      }
      writer->Write(chunk);
    }
    return grpc::Status::OK;
  }
  const std::vector<std::string>& offers() const { return offers_; }

 private:
  uint64_t word_ = 12345;
  std::vector<std::string> offers_;
};

TEST_CASE("values whose lease is gone are fetched again through the stream") {
  REQUIRE(SameHostTransfersEnabled());
  StaleLeaseService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  auto values =
      FetchFrom("127.0.0.1:" + std::to_string(port), {"a", "b"}, absl::Now() + absl::Seconds(30));
  server->Shutdown();
  REQUIRE(values.ok());
  REQUIRE(values->size() == 2);
  CHECK((*values)[0].second == Value("a"));
  CHECK((*values)[1].second == Value("b"));
  CHECK(service.offers() == std::vector<std::string>{SameHostIdentity(), ""});
  CHECK(SameHostTransfersEnabled());  // a stale lease is no reason to stop offering
}

TEST_CASE("CopyHolderMemory checks the pieces against the value's size") {
  std::string source = Pattern(10000);
  MemoryLease lease(42);
  proto::HolderMemory memory = lease.Lend(absl::Cord(source));
  std::string copy(source.size(), '\0');
  REQUIRE(CopyHolderMemory(memory, 42, copy.data(), copy.size()).ok());
  CHECK(copy == source);
  std::string small(source.size() - 1, '\0');
  CHECK(absl::IsDataLoss(CopyHolderMemory(memory, 42, small.data(), small.size())));
  std::string large(source.size() + 1, '\0');
  CHECK(absl::IsDataLoss(CopyHolderMemory(memory, 42, large.data(), large.size())));
}

TEST_CASE("FetchValues from an address where nothing listens is kUnavailable") {
  auto values = FetchFrom("127.0.0.1:1", {"x"}, absl::Now() + absl::Seconds(5));
  REQUIRE_FALSE(values.ok());
  CHECK(values.status().code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace weft
