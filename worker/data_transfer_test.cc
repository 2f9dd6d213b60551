// Worker.GetData round trip: an in-process DataService and FetchValues.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "common/codec.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "worker/data_client.h"
#include "worker/data_server.h"
#include "worker/data_store.h"

namespace weft {
namespace {

struct TestServer {
  DataStore store;
  DataService service{store};
  std::unique_ptr<grpc::Server> server;
  std::string address;

  TestServer() {
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    address = "127.0.0.1:" + std::to_string(port);
  }
  ~TestServer() { server->Shutdown(); }
};

TEST_CASE("GetData streams values in chunks and FetchValues reassembles them") {
  TestServer server;
  REQUIRE(server.server != nullptr);
  std::string pattern(5 * 1024 * 1024 + 123, '\0');
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<char>(i * 7 % 251);
  Value big = Value::Bytes(Buffer(pattern));
  Value nested(ValueList{1, "two", ValueList{3.5, nullptr}, Value::Bytes(Buffer(pattern.substr(0, 9000)))});
  server.store.Put("big", big);
  server.store.Put("small", Value(42));
  server.store.Put("nested", nested);
  REQUIRE(EncodeValue(big).size() > 5 * DataService::kChunkBytes);

  auto channel = MakeWeftChannel(server.address);
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
  auto again = FetchValues(server.address, {"exact"}, absl::Now() + absl::Seconds(30));
  REQUIRE(again.ok());
  REQUIRE(again->size() == 1);
  CHECK((*again)[0].second == exact);

  auto none = FetchValues(server.address, {"absent"}, absl::Now() + absl::Seconds(30));
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
  auto values = FetchValues("127.0.0.1:" + std::to_string(port), {"a", "absent", "b"},
                            absl::Now() + absl::Seconds(30), &missing);
  server->Shutdown();
  REQUIRE(values.ok());
  REQUIRE(values->size() == 2);
  CHECK((*values)[0].second == Value(ValueList{"a", Value(int64_t{7})}));
  CHECK((*values)[1].second == Value(ValueList{"b", Value(int64_t{7})}));
  CHECK(missing == std::vector<std::string>{"absent"});
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
  auto values = FetchValues("127.0.0.1:" + std::to_string(port), {"big"},
                            absl::Now() + absl::Seconds(30));
  REQUIRE(values.ok());
  REQUIRE(values->size() == 1);
  CHECK((*values)[0].second == big);

  std::filesystem::resize_file((*store)->TEST_SpillPath("big"), 5);
  std::vector<std::string> missing;
  values = FetchValues("127.0.0.1:" + std::to_string(port), {"big", "other"},
                       absl::Now() + absl::Seconds(30), &missing);
  server->Shutdown();
  REQUIRE(values.ok());
  CHECK(missing == std::vector<std::string>{"big"});
  REQUIRE(values->size() == 1);
  CHECK((*values)[0].first == "other");
}

TEST_CASE("FetchValues from an address where nothing listens is kUnavailable") {
  auto values = FetchValues("127.0.0.1:1", {"x"}, absl::Now() + absl::Seconds(5));
  REQUIRE_FALSE(values.ok());
  CHECK(values.status().code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace weft
