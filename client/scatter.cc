// ClientCore::Scatter: local values put straight into the workers' data stores.
//
// The order of things: choose the workers (from the scheduler's InfoReply), key each
// value by its encoding, take this process's references, put each worker's share with
// one PutData stream (all workers at once, one thread each), then tell the scheduler
// what landed where (ScatterData) and wait for its word. The scheduler hears of a value
// only after a worker acknowledged it, so it never points at data that is not there;
// a put that fails on one worker leaves the rest announced and then released with the
// handles (their data is freed like any released key).
#include <algorithm>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/client_core.h"
#include "common/codec.h"
#include "common/key.h"
#include "common/status_macros.h"

namespace weft::internal {
namespace {

// Bytes of encoding per PutDataChunk, as GetData's chunks.
constexpr size_t kPutChunkBytes = size_t{1} << 20;

// Round robin weighted by threads: worker i appears nthreads[i] times per round, spread
// out (one pass per thread level), so consecutive slots are different workers whenever
// there are several.
std::vector<size_t> WeightedSlots(const std::vector<int>& nthreads) {
  std::vector<size_t> slots;
  const int most = *std::max_element(nthreads.begin(), nthreads.end());
  for (int level = 0; level < most; ++level) {
    for (size_t i = 0; i < nthreads.size(); ++i) {
      if (nthreads[i] > level) slots.push_back(i);
    }
  }
  return slots;
}

// What one value needs: its key and encoding, and the workers it goes to.
struct Placed {
  std::string key;
  absl::Cord encoding;
  std::vector<size_t> targets;  // indexes into the ScatterTarget list
};

}  // namespace

absl::StatusOr<std::vector<ClientCore::ScatterTarget>> ClientCore::ScatterTargets(
    const std::vector<std::string>& wanted) {
  WEFT_ASSIGN_OR_RETURN(proto::InfoReply info, Info(absl::Seconds(30)));
  if (info.workers().empty()) {
    return absl::UnavailableError("cannot scatter: no worker is connected to the scheduler");
  }
  std::vector<ScatterTarget> targets;
  std::vector<std::string> unknown;
  absl::flat_hash_set<std::string> chosen;  // addresses, so a worker named twice counts once
  for (const proto::WorkerSummary& w : info.workers()) {
    const bool named = wanted.empty() || std::find_if(wanted.begin(), wanted.end(), [&](auto& n) {
                                           return n == w.name() || n == w.address();
                                         }) != wanted.end();
    if (named && chosen.insert(w.address()).second) {
      targets.push_back({w.name(), w.address(), std::max(1, w.nthreads())});
    }
  }
  for (const std::string& name : wanted) {
    const bool known = std::any_of(info.workers().begin(), info.workers().end(), [&](auto& w) {
      return name == w.name() || name == w.address();
    });
    if (!known) unknown.push_back(name);
  }
  if (!unknown.empty()) {
    std::vector<std::string> known;
    for (const auto& w : info.workers())
      known.push_back(absl::StrCat(w.name(), " (", w.address(), ")"));
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot scatter to unknown worker", unknown.size() > 1 ? "s " : " ",
        absl::StrJoin(unknown, ", "), "; the workers are: ", absl::StrJoin(known, ", ")));
  }
  return targets;
}

absl::StatusOr<std::vector<proto::KeyLocation>> ClientCore::PutValues(
    const std::string& address,
    const std::vector<std::pair<std::string, const absl::Cord*>>& items) {
  std::unique_ptr<proto::Worker::Stub> stub = proto::Worker::NewStub(channels_.Get(address));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(10)));
  proto::PutDataReply reply;
  std::unique_ptr<grpc::ClientWriter<proto::PutDataChunk>> writer = stub->PutData(&context, &reply);
  bool open = true;
  proto::PutDataChunk chunk;
  for (size_t i = 0; i < items.size() && open; ++i) {
    const absl::Cord& encoding = *items[i].second;
    size_t offset = 0;
    do {  // an empty encoding still makes one chunk
      const size_t take = std::min(kPutChunkBytes, encoding.size() - offset);
      chunk.Clear();
      chunk.set_key(items[i].first);
      if (i == 0 && offset == 0) chunk.set_requester(name_);
      if (offset == 0) chunk.set_total_bytes(static_cast<int64_t>(encoding.size()));
      absl::CopyCordToString(encoding.Subcord(offset, take), chunk.mutable_data());
      offset += take;
      chunk.set_last(offset == encoding.size());
      open = writer->Write(chunk);
    } while (open && offset < encoding.size());
  }
  if (open) writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) {
    absl::Status error(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
    const std::string peer = absl::StrCat("the worker at ", address);
    absl::Status refused = ExplainRefusal(error, peer, "client", security_);
    if (refused.code() == absl::StatusCode::kUnauthenticated) return refused;
    return absl::Status(error.code(), absl::StrCat("scattering to ", peer, ": ", error.message()));
  }
  return std::vector<proto::KeyLocation>(reply.stored().begin(), reply.stored().end());
}

absl::StatusOr<std::vector<std::shared_ptr<KeyHandle>>> ClientCore::Scatter(
    const ValueList& values, const std::vector<std::string>& workers, bool broadcast) {
  if (values.empty()) return std::vector<std::shared_ptr<KeyHandle>>();
  WEFT_ASSIGN_OR_RETURN(std::vector<ScatterTarget> targets, ScatterTargets(workers));
  std::vector<int> nthreads;
  for (const ScatterTarget& t : targets) nthreads.push_back(t.nthreads);
  const std::vector<size_t> slots = WeightedSlots(nthreads);

  // Key every value; equal values share one key and one placement.
  std::vector<std::string> keys;
  std::vector<Placed> placed;
  absl::flat_hash_map<std::string, size_t> index;
  size_t next_slot = 0;
  for (const Value& value : values) {
    absl::Cord encoding = EncodeValue(value);
    std::string key = MakeKey("scatter", encoding);
    keys.push_back(key);
    if (!index.emplace(key, placed.size()).second) continue;
    Placed& p = placed.emplace_back(Placed{std::move(key), std::move(encoding), {}});
    if (broadcast) {
      for (size_t t = 0; t < targets.size(); ++t) p.targets.push_back(t);
    } else {
      p.targets.push_back(slots[next_slot++ % slots.size()]);
    }
  }

  // References first (a key held already cannot be released meanwhile), and what this
  // process holds in memory already is not put again.
  absl::flat_hash_map<std::string, std::vector<std::pair<std::string, const absl::Cord*>>> puts;
  {
    absl::MutexLock lock(&mu_);
    for (Placed& p : placed) {
      KeyEntry& entry = keys_[p.key];
      const bool held = entry.refs++ > 0 && entry.status == FutureStatus::kFinished;
      const auto& where = entry.last.location().addresses();
      for (size_t t : p.targets) {
        const std::string& address = targets[t].address;
        const bool there = std::find(where.begin(), where.end(), address) != where.end();
        if (held && (there || !broadcast)) continue;
        puts[address].emplace_back(p.key, &p.encoding);
      }
    }
  }
  std::vector<std::shared_ptr<KeyHandle>> handles;  // made unlocked: ~KeyHandle locks
  {
    absl::flat_hash_map<std::string, std::shared_ptr<KeyHandle>> by_key;
    for (const std::string& key : keys) {
      auto& handle = by_key[key];
      if (handle == nullptr) handle = std::make_shared<KeyHandle>(shared_from_this(), key);
      handles.push_back(handle);
    }
  }
  // One handle per distinct key, as one reference per distinct key was taken above (each
  // KeyHandle's destructor gives one back); equal values share it.

  // One PutData stream per worker, all at once.
  std::vector<std::string> addresses;
  std::vector<const std::vector<std::pair<std::string, const absl::Cord*>>*> shares;
  for (const auto& [address, items] : puts) {
    addresses.push_back(address);
    shares.push_back(&items);
  }
  std::vector<absl::StatusOr<std::vector<proto::KeyLocation>>> results(
      addresses.size(), absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < addresses.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = PutValues(addresses[i], *shares[i]); });
  }
  for (std::thread& thread : threads) thread.join();

  // Announce what landed (also on failure: so that it is freed with the handles).
  absl::Status failed;
  proto::ScatterData announce;
  absl::flat_hash_map<std::string, proto::KeyLocation*> announced;
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (!results[i].ok()) {
      if (failed.ok()) failed = results[i].status();
      continue;
    }
    for (const proto::KeyLocation& stored : *results[i]) {
      proto::KeyLocation*& location = announced[stored.key()];
      if (location == nullptr) {
        location = announce.add_keys();
        location->set_key(stored.key());
        location->set_nbytes(stored.nbytes());
      }
      location->add_addresses(addresses[i]);
    }
  }
  if (announce.keys_size() > 0) {
    {
      absl::MutexLock lock(&mu_);
      for (const auto& location : announce.keys()) {
        auto it = keys_.find(location.key());
        if (it != keys_.end()) it->second.status = FutureStatus::kPending;  // until it answers
      }
    }
    writer_->Add([&announce](proto::ClientRequestBatch* b) {
      *b->add_requests()->mutable_scatter_data() = std::move(announce);
    });
    writer_->Flush();
  }
  WEFT_RETURN_IF_ERROR(failed);
  WEFT_RETURN_IF_ERROR(WaitAll(keys, absl::Seconds(60)));
  return handles;
}

}  // namespace weft::internal
