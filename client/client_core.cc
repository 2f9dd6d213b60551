#include "client/client_core.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <future>
#include <iterator>
#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/compressed_lines.h"
#include "common/data_client.h"
#include "common/status_macros.h"

namespace weft::internal {
namespace {

// Calls ask(address, positions) once for each holder of `by_holder` (ByFirstHolder), all at
// once, the first in this thread; the answers in the holders' order.
// REQUIRES: by_holder is not empty.
template <typename Ask>
auto AskEachHolder(const std::map<std::string, std::vector<size_t>>& by_holder, const Ask& ask) {
  using Answer = decltype(ask(by_holder.begin()->first, by_holder.begin()->second));
  std::vector<std::future<Answer>> others;
  for (auto it = std::next(by_holder.begin()); it != by_holder.end(); ++it) {
    others.push_back(std::async(std::launch::async, std::cref(ask), std::cref(it->first),
                                std::cref(it->second)));
  }
  std::vector<Answer> answers;
  answers.push_back(ask(by_holder.begin()->first, by_holder.begin()->second));
  for (auto& other : others) answers.push_back(other.get());
  return answers;
}

// keys[positions[0]], keys[positions[1]], ...: a holder's keys from ByFirstHolder's positions.
std::vector<std::string> KeysAt(const std::vector<std::string>& keys,
                                const std::vector<size_t>& positions) {
  std::vector<std::string> out;
  out.reserve(positions.size());
  for (size_t i : positions) out.push_back(keys[i]);
  return out;
}

FutureStatus StatusFromProto(proto::KeyStatus::State state) {
  switch (state) {
    case proto::KeyStatus::MEMORY:
      return FutureStatus::kFinished;
    case proto::KeyStatus::ERRED:
      return FutureStatus::kError;
    case proto::KeyStatus::CANCELLED:
      return FutureStatus::kCancelled;
    case proto::KeyStatus::LOST:
      return FutureStatus::kLost;
    default:
      return FutureStatus::kPending;
  }
}

bool IsDone(FutureStatus s) { return s != FutureStatus::kPending && s != FutureStatus::kLost; }

}  // namespace

ClientCore::ClientCore(std::string address, std::string name, Security security)
    : address_(std::move(address)),
      name_(std::move(name)),
      security_(std::move(security)),
      channels_(security_) {}

ClientCore::~ClientCore() { Shutdown(); }

absl::Status ClientCore::Start(absl::Duration timeout) {
  channel_ = MakeWeftChannel(address_, security_, ChannelPeer::kScheduler);
  stub_ = proto::Scheduler::NewStub(channel_);
  WEFT_RETURN_IF_ERROR(WaitForChannel(timeout));
  stream_ = stub_->ClientSession(&context_);
  writer_ = std::make_unique<BatchedWriter<proto::ClientRequestBatch>>(
      [this](const proto::ClientRequestBatch& batch) { return stream_->Write(batch); });
  writer_->Add([this](proto::ClientRequestBatch* b) {
    b->add_requests()->mutable_hello()->set_client_name(name_);
  });
  writer_->Flush();
  reader_ = std::thread([this] { ReadLoop(); });
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return connected_ || closed_; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout) || !connected_) {
    WEFT_RETURN_IF_ERROR(ExplainRefusal(close_status_, SchedulerName(), "client", security_));
    return absl::UnavailableError(absl::StrCat(
        "the scheduler at ", address_,
        " did not accept this client: ", close_reason_.empty() ? "no answer" : close_reason_));
  }
  return absl::OkStatus();
}

std::string ClientCore::SchedulerName() const {
  return absl::StrCat("the scheduler at ", address_);
}

absl::Status ClientCore::WaitForChannel(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Status last_error;
  while (true) {
    grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
    if (state == GRPC_CHANNEL_READY) return absl::OkStatus();
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE) {
      // A refusal of our credentials will not go away by waiting: say so at once.
      last_error = LastConnectError();
      absl::Status refused = ExplainRefusal(last_error, SchedulerName(), "client", security_);
      if (refused.code() == absl::StatusCode::kUnauthenticated) return refused;
    }
    if (absl::Now() >= deadline) break;
    channel_->WaitForStateChange(state, absl::ToChronoTime(deadline));
  }
  // A TLS server closes plain connections during their set-up: hint at it.
  bool maybe_tls = !security_.tls() && absl::StrContains(last_error.message(), "Socket closed");
  return absl::UnavailableError(absl::StrCat(
      "no weft scheduler answers at ", address_, " (waited ", absl::FormatDuration(timeout),
      last_error.ok() ? "" : absl::StrCat("; last error: ", last_error.message()),
      "); is weft-scheduler running there?",
      maybe_tls ? " Does it require TLS (--tls-ca-file, --tls-cert, --tls-key)?" : ""));
}

absl::Status ClientCore::LastConnectError() {
  // A call on a channel in TRANSIENT_FAILURE fails at once with the last connection error,
  // which is the only place gRPC tells why (a TLS handshake failure, for one).
  grpc::ClientContext probe;
  probe.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  auto stream = stub_->ClientSession(&probe);
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

void ClientCore::Shutdown() {
  std::call_once(shutdown_once_, [this] { ShutdownOnce(); });
}

void ClientCore::ShutdownOnce() {
  if (stream_ == nullptr) return;
  if (writer_) writer_->Close();
  if (stream_) stream_->WritesDone();
  context_.TryCancel();
  if (reader_.joinable()) reader_.join();
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    if (close_reason_.empty()) close_reason_ = "the client was shut down";
    callbacks_stopping_ = true;
  }
  if (callback_thread_.joinable()) {
    // A callback that drops the last reference to the client ends up here, on the
    // callback thread itself: it cannot join itself.
    if (callback_thread_.get_id() == std::this_thread::get_id()) {
      callback_thread_.detach();
    } else {
      callback_thread_.join();
    }
  }
}

void ClientCore::CallbackLoop() {
  while (true) {
    std::function<void()> callback;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !due_callbacks_.empty() || callbacks_stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (due_callbacks_.empty()) return;
      callback = std::move(due_callbacks_.front());
      due_callbacks_.pop_front();
    }
    callback();
  }
}

void ClientCore::SetNoticeHandler(std::function<void(const std::string&)> handler) {
  absl::MutexLock lock(&mu_);
  notice_handler_ = std::move(handler);
}

void ClientCore::OnDone(const std::string& key, std::function<void()> callback) {
  absl::MutexLock lock(&mu_);
  if (callbacks_stopping_) return;
  if (!callback_thread_.joinable()) callback_thread_ = std::thread([this] { CallbackLoop(); });
  auto it = keys_.find(key);
  if (closed_ || it == keys_.end() || IsDone(it->second.status)) {
    due_callbacks_.push_back(std::move(callback));
  } else {
    done_callbacks_[key].push_back(std::move(callback));
  }
}

absl::StatusOr<proto::CommandReply> ClientCore::Command(proto::ClusterCommand command,
                                                        absl::Duration timeout) {
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    id = next_info_id_++;
  }
  command.set_request_id(id);
  writer_->Add([&command](proto::ClientRequestBatch* b) {
    *b->add_requests()->mutable_command() = std::move(command);
  });
  writer_->Flush();
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || command_replies_.contains(id);
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("the workers did not all answer within ", absl::FormatDuration(timeout)));
  }
  auto it = command_replies_.find(id);
  if (it == command_replies_.end()) return absl::UnavailableError(close_reason_);
  proto::CommandReply reply = std::move(it->second);
  command_replies_.erase(it);
  return reply;
}

void ClientCore::ReadLoop() {
  proto::ClientUpdateBatch batch;
  while (stream_->Read(&batch)) {
    absl::MutexLock lock(&mu_);
    for (const auto& update : batch.updates()) Apply(update);
  }
  grpc::Status status = stream_->Finish();
  absl::MutexLock lock(&mu_);
  closed_ = true;
  // Nothing will finish now: the waiting callbacks run (their futures say why).
  for (auto& [key, callbacks] : done_callbacks_) {
    for (auto& callback : callbacks) due_callbacks_.push_back(std::move(callback));
  }
  done_callbacks_.clear();
  close_status_ =
      absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  if (close_reason_.empty()) {
    close_reason_ = absl::StrCat("connection to the scheduler at ", address_, " closed",
                                 status.ok() ? "" : ": " + status.error_message());
  }
}

void ClientCore::Apply(const proto::ClientUpdate& update) {
  switch (update.kind_case()) {
    case proto::ClientUpdate::kWelcome:
      connected_ = true;
      break;
    case proto::ClientUpdate::kKeyStatus: {
      auto it = keys_.find(update.key_status().key());
      if (it == keys_.end()) break;  // released meanwhile
      it->second.status = StatusFromProto(update.key_status().state());
      it->second.last = update.key_status();
      // A worker first heard of: connect now, so the first gather or view from it does
      // not wait for the connection.
      for (const std::string& address : update.key_status().location().addresses()) {
        channels_.Connect(address);
      }
      if (IsDone(it->second.status)) {
        auto callbacks = done_callbacks_.find(it->first);
        if (callbacks != done_callbacks_.end()) {
          for (auto& callback : callbacks->second) due_callbacks_.push_back(std::move(callback));
          done_callbacks_.erase(callbacks);
        }
      }
      break;
    }
    case proto::ClientUpdate::kInfo:
      info_replies_[update.info().request_id()] = update.info();
      break;
    case proto::ClientUpdate::kCommandReply:
      command_replies_[update.command_reply().request_id()] = update.command_reply();
      break;
    case proto::ClientUpdate::kPipelineStatus:
      pipelines_[update.pipeline_status().pipeline_id()] = update.pipeline_status();
      break;
    case proto::ClientUpdate::kWorkNotice:
      if (notice_handler_ && !callbacks_stopping_) {
        if (!callback_thread_.joinable()) {
          callback_thread_ = std::thread([this] { CallbackLoop(); });
        }
        due_callbacks_.push_back([handler = notice_handler_,
                                  message = update.work_notice().message()] { handler(message); });
      }
      break;
    default:
      break;
  }
}

std::shared_ptr<KeyHandle> ClientCore::Submit(proto::TaskSpec task) {
  std::vector<proto::TaskSpec> tasks;
  tasks.push_back(std::move(task));
  return SubmitMany(std::move(tasks)).front();
}

std::vector<std::shared_ptr<KeyHandle>> ClientCore::SubmitMany(std::vector<proto::TaskSpec> tasks) {
  std::vector<std::string> keys;
  keys.reserve(tasks.size());
  for (const auto& task : tasks) keys.push_back(task.key());
  return SubmitGraph(std::move(tasks), keys, /*skip_held=*/true);
}

std::vector<std::shared_ptr<KeyHandle>> ClientCore::SubmitGraph(
    std::vector<proto::TaskSpec> tasks, const std::vector<std::string>& wanted, bool skip_held) {
  proto::UpdateGraph update;
  {
    absl::MutexLock lock(&mu_);
    absl::flat_hash_set<std::string> newly_wanted;
    for (const std::string& key : wanted) {
      KeyEntry& entry = keys_[key];
      if (entry.refs++ == 0 || entry.refused) {
        if (entry.refused) entry = KeyEntry{entry.refs};  // pending again, to be sent
        update.add_wanted_keys(key);
        newly_wanted.insert(key);
      }
    }
    for (auto& task : tasks) {
      // With skip_held, a task goes out only the first time this process wants its key.
      if (skip_held && newly_wanted.erase(task.key()) == 0) continue;
      *update.add_tasks() = std::move(task);
    }
  }
  // Handles are made after the lock is dropped: a handle's destructor takes it.
  std::vector<std::shared_ptr<KeyHandle>> handles;
  handles.reserve(wanted.size());
  for (const std::string& key : wanted) {
    handles.push_back(std::make_shared<KeyHandle>(shared_from_this(), key));
  }
  if (writer_ != nullptr && (update.tasks_size() > 0 || update.wanted_keys_size() > 0)) {
    writer_->Add([&update](proto::ClientRequestBatch* b) {
      *b->add_requests()->mutable_update_graph() = std::move(update);
    });
  }
  return handles;
}

std::vector<std::shared_ptr<KeyHandle>> ClientCore::Refuse(const std::vector<std::string>& wanted,
                                                           const absl::Status& why) {
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& key : wanted) {
      KeyEntry& entry = keys_[key];
      if (entry.refs++ > 0) continue;
      entry.status = FutureStatus::kError;
      entry.last.set_key(key);
      entry.last.set_state(proto::KeyStatus::ERRED);
      entry.last.set_erred_key(key);
      entry.last.set_error(std::string(why.message()));
      entry.refused = true;
    }
  }
  std::vector<std::shared_ptr<KeyHandle>> handles;  // made unlocked: ~KeyHandle locks
  handles.reserve(wanted.size());
  for (const std::string& key : wanted) {
    handles.push_back(std::make_shared<KeyHandle>(shared_from_this(), key));
  }
  return handles;
}

void ClientCore::Release(const std::string& key) {
  {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(key);
    if (it == keys_.end() || --it->second.refs > 0) return;
    const bool refused = it->second.refused;  // the scheduler does not know it from us
    keys_.erase(it);
    if (closed_ || refused) return;
  }
  writer_->Add([&key](proto::ClientRequestBatch* b) {
    b->add_requests()->mutable_release_keys()->add_keys(key);
  });
}

FutureStatus ClientCore::Status(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(key);
  return it == keys_.end() ? FutureStatus::kPending : it->second.status;
}

std::map<std::string, std::vector<std::string>> ClientCore::WhoHas(
    const std::vector<std::string>& keys) const {
  std::map<std::string, std::vector<std::string>> out;
  for (const proto::KeyLocation& location : Locations(keys)) {
    out[location.key()].assign(location.addresses().begin(), location.addresses().end());
  }
  return out;
}

std::vector<proto::KeyLocation> ClientCore::Locations(const std::vector<std::string>& keys) const {
  std::vector<proto::KeyLocation> out(keys.size());
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < keys.size(); ++i) {
    auto it = keys_.find(keys[i]);
    if (it != keys_.end() && it->second.status == FutureStatus::kFinished) {
      out[i] = it->second.last.location();
    }
    out[i].set_key(keys[i]);
  }
  return out;
}

absl::Status ClientCore::KeyError(const std::string& key, const KeyEntry& entry) {
  const proto::KeyStatus& s = entry.last;
  if (entry.status == FutureStatus::kCancelled) {
    return absl::CancelledError(
        absl::StrCat("key ", key, " was cancelled", s.error().empty() ? "" : ": " + s.error()));
  }
  // The scheduler's message already names the function and the failing key; add the
  // waited-on key when the failure happened upstream of it.
  std::string message = s.error();
  if (!s.erred_key().empty() && s.erred_key() != key) {
    absl::StrAppend(&message, " (needed by ", key, ")");
  }
  absl::Status status = absl::AbortedError(message);
  status.SetPayload(kFunctionPayload, absl::Cord(s.function()));
  status.SetPayload(kErredKeyPayload, absl::Cord(s.erred_key().empty() ? key : s.erred_key()));
  return status;
}

absl::Status ClientCore::WaitAll(const std::vector<std::string>& keys,
                                 absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&mu_);
  for (const std::string& key : keys) {
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      auto it = keys_.find(key);
      return closed_ || it == keys_.end() || IsDone(it->second.status);
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&done), deadline)) {
      return absl::DeadlineExceededError(
          absl::StrCat("key ", key, " not done after ", absl::FormatDuration(timeout)));
    }
    auto it = keys_.find(key);
    if (it == keys_.end()) {
      return absl::FailedPreconditionError(absl::StrCat("key ", key, " is not held"));
    }
    if (!IsDone(it->second.status)) {
      return absl::UnavailableError(absl::StrCat(close_reason_, "; key ", key, " unfinished"));
    }
  }
  return absl::OkStatus();
}

absl::Status ClientCore::Wait(const std::string& key, absl::Duration timeout) const {
  return WaitAll({key}, timeout);
}

absl::StatusOr<size_t> ClientCore::WaitAny(const std::vector<std::string>& keys,
                                           absl::Duration timeout) const {
  size_t found = keys.size();
  auto any_done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (size_t i = 0; i < keys.size(); ++i) {
      auto it = keys_.find(keys[i]);
      if (it == keys_.end() || IsDone(it->second.status)) {
        found = i;
        return true;
      }
    }
    return closed_;
  };
  absl::MutexLock lock(&mu_);
  if (!mu_.AwaitWithTimeout(absl::Condition(&any_done), timeout)) {
    return absl::DeadlineExceededError("no future finished in time");
  }
  if (found == keys.size()) return absl::UnavailableError(close_reason_);
  return found;
}

absl::StatusOr<size_t> WaitAny(const std::vector<const KeyHandle*>& handles,
                               absl::Duration timeout) {
  if (handles.empty()) return absl::InvalidArgumentError("no futures to wait for");
  std::vector<std::string> keys;
  for (const KeyHandle* h : handles) keys.push_back(h->key());
  return handles.front()->core().WaitAny(keys, timeout);
}

absl::StatusOr<std::vector<Value>> ClientCore::Gather(const std::vector<std::string>& keys) {
  // A holder can die between the scheduler's word and our fetch; the scheduler then
  // reports the key LOST and later in memory elsewhere, so wait and try again.
  constexpr int kAttempts = 5;
  absl::Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    WEFT_RETURN_IF_ERROR(WaitAll(keys, absl::InfiniteDuration()));
    {
      absl::MutexLock lock(&mu_);
      for (const std::string& key : keys) {
        const KeyEntry& entry = keys_.at(key);
        if (entry.status != FutureStatus::kFinished) return KeyError(key, entry);
      }
    }
    absl::StatusOr<std::vector<Value>> values = FetchOnce(keys);
    if (values.ok() || values.status().code() != absl::StatusCode::kUnavailable) return values;
    last = values.status();
    absl::SleepFor(absl::Milliseconds(200) * (attempt + 1));
  }
  return last;
}

absl::StatusOr<std::map<std::string, std::vector<size_t>>> ClientCore::ByFirstHolder(
    const std::vector<std::string>& keys) const {
  std::map<std::string, std::vector<size_t>> by_holder;
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < keys.size(); ++i) {
    auto it = keys_.find(keys[i]);
    if (it == keys_.end() || it->second.status != FutureStatus::kFinished ||
        it->second.last.location().addresses().empty()) {
      return absl::UnavailableError(absl::StrCat("no worker is known to hold key ", keys[i]));
    }
    by_holder[it->second.last.location().addresses(0)].push_back(i);
  }
  return by_holder;
}

absl::StatusOr<std::vector<Value>> ClientCore::FetchOnce(const std::vector<std::string>& keys) {
  // One GetData stream per first holder.
  WEFT_ASSIGN_OR_RETURN(auto by_holder, ByFirstHolder(keys));
  absl::flat_hash_map<std::string, Value> fetched;
  for (const auto& [address, positions] : by_holder) {
    absl::StatusOr<std::vector<std::pair<std::string, Value>>> got = FetchValues(
        *channels_.Get(address), KeysAt(keys, positions), absl::Now() + absl::Minutes(10));
    if (!got.ok()) {
      absl::Status refused = ExplainRefusal(got.status(), absl::StrCat("the worker at ", address),
                                            "client", security_);
      if (refused.code() == absl::StatusCode::kUnauthenticated) return refused;
      return absl::Status(got.status().code(), absl::StrCat("fetching results from worker ",
                                                            address, ": ", got.status().message()));
    }
    for (auto& [key, value] : *got) {
      // A persisted partition is kept compressed on its worker; users get its lines.
      WEFT_ASSIGN_OR_RETURN(Value opened, DecompressValue(value));
      fetched.emplace(std::move(key), std::move(opened));
    }
  }
  std::vector<Value> out;
  out.reserve(keys.size());
  for (const std::string& key : keys) {
    auto it = fetched.find(key);
    if (it == fetched.end()) {
      return absl::UnavailableError(absl::StrCat("worker did not return key ", key));
    }
    out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<KeyValues> ClientCore::ViewsFrom(const std::string& address,
                                                const std::vector<std::string>& keys,
                                                const std::vector<size_t>& positions,
                                                const proto::DataView& view,
                                                std::vector<std::string>* missing) {
  absl::StatusOr<KeyValues> got = FetchViews(*channels_.Get(address), KeysAt(keys, positions), view,
                                             absl::Now() + absl::Seconds(30), missing);
  if (!got.ok()) {
    return absl::UnavailableError(
        absl::StrCat("views from worker ", address, ": ", got.status().message()));
  }
  return got;
}

absl::StatusOr<std::vector<Value>> ClientCore::View(const std::vector<std::string>& keys,
                                                    const proto::DataView& view) {
  if (keys.empty()) return std::vector<Value>();
  // One GetView call per first holder, in the order of its keys.
  WEFT_ASSIGN_OR_RETURN(auto by_address, ByFirstHolder(keys));
  // One call per holder, all at once (the first in this thread).
  auto ask = [&](const std::string& address,
                 const std::vector<size_t>& positions) -> absl::StatusOr<KeyValues> {
    std::vector<std::string> missing;
    WEFT_ASSIGN_OR_RETURN(KeyValues got, ViewsFrom(address, keys, positions, view, &missing));
    if (!missing.empty() || got.size() != positions.size()) {
      return absl::UnavailableError(absl::StrCat("worker ", address, " gave no view of ",
                                                 missing.empty() ? "some keys" : missing[0]));
    }
    for (size_t j = 0; j < positions.size(); ++j) {  // answered in the order asked
      if (got[j].first != keys[positions[j]]) {
        return absl::UnavailableError(
            absl::StrCat("worker ", address, " answered views out of order"));
      }
    }
    return got;
  };
  std::vector<absl::StatusOr<KeyValues>> answers = AskEachHolder(by_address, ask);
  std::vector<Value> out(keys.size());
  size_t a = 0;
  for (const auto& [address, positions] : by_address) {
    absl::StatusOr<KeyValues>& got = answers[a++];
    if (!got.ok()) return got.status();
    for (size_t j = 0; j < positions.size(); ++j) out[positions[j]] = std::move((*got)[j].second);
  }
  return out;
}

absl::StatusOr<int64_t> ClientCore::TotalLength(const std::vector<std::string>& keys) {
  if (keys.empty()) return 0;
  WEFT_ASSIGN_OR_RETURN(auto by_address, ByFirstHolder(keys));
  proto::DataView view;
  view.set_kind(proto::DataView::TOTAL_LENGTH);
  auto ask = [&](const std::string& address,
                 const std::vector<size_t>& positions) -> absl::StatusOr<int64_t> {
    std::vector<std::string> missing;
    WEFT_ASSIGN_OR_RETURN(KeyValues got, ViewsFrom(address, keys, positions, view, &missing));
    if (!missing.empty() || got.size() != 1 || !got.front().first.empty() ||
        !got.front().second.is_int()) {
      return absl::UnavailableError(absl::StrCat("worker ", address, " gave no total length",
                                                 missing.empty() ? "" : " of " + missing[0]));
    }
    return got.front().second.as_int();
  };
  int64_t total = 0;
  for (absl::StatusOr<int64_t>& answer : AskEachHolder(by_address, ask)) {
    if (!answer.ok()) return answer.status();
    total += *answer;
  }
  return total;
}

void ClientCore::Cancel(const std::vector<std::string>& keys) {
  writer_->Add([&keys](proto::ClientRequestBatch* b) {
    auto* cancel = b->add_requests()->mutable_cancel_keys();
    for (const auto& key : keys) cancel->add_keys(key);
  });
  writer_->Flush();
}

absl::StatusOr<proto::InfoReply> ClientCore::Info(absl::Duration timeout, bool own_prefixes) {
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    id = next_info_id_++;
  }
  writer_->Add([id, own_prefixes](proto::ClientRequestBatch* b) {
    proto::InfoRequest* info = b->add_requests()->mutable_info();
    info->set_request_id(id);
    info->set_own_prefixes(own_prefixes);
  });
  writer_->Flush();
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || info_replies_.contains(id);
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) {
    return absl::DeadlineExceededError("the scheduler did not answer an info request");
  }
  auto it = info_replies_.find(id);
  if (it == info_replies_.end()) return absl::UnavailableError(close_reason_);
  proto::InfoReply reply = std::move(it->second);
  info_replies_.erase(it);
  for (const proto::WorkerSummary& w : reply.workers()) {
    worker_shapes_[w.address()] = WorkerShape{std::max(1, w.nthreads()), w.memory_limit()};
  }
  return reply;
}

absl::flat_hash_map<std::string, ClientCore::WorkerShape> ClientCore::WorkerShapes(
    const std::vector<std::string>& addresses) {
  auto known = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return std::all_of(addresses.begin(), addresses.end(),
                       [&](const std::string& a) { return worker_shapes_.contains(a); });
  };
  bool all_known;
  {
    absl::MutexLock lock(&mu_);
    all_known = known();
  }
  if (!all_known) (void)Info(absl::Seconds(10));  // refreshes worker_shapes_
  absl::flat_hash_map<std::string, WorkerShape> out;
  absl::MutexLock lock(&mu_);
  for (const std::string& a : addresses) {
    auto it = worker_shapes_.find(a);
    if (it != worker_shapes_.end()) out[a] = it->second;
  }
  return out;
}

// ---------------------------------------------------------------------------
// KeyHandle: the shared part of Future copies.

KeyHandle::KeyHandle(std::shared_ptr<ClientCore> core, std::string key)
    : core_(std::move(core)), key_(std::move(key)) {}

KeyHandle::~KeyHandle() { core_->Release(key_); }

FutureStatus KeyHandle::status() const { return core_->Status(key_); }

absl::Status KeyHandle::Wait(absl::Duration timeout) const { return core_->Wait(key_, timeout); }

void KeyHandle::OnDone(std::function<void()> callback) const {
  core_->OnDone(key_, std::move(callback));
}

absl::StatusOr<Value> KeyHandle::Fetch() const {
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> values, core_->Gather({key_}));
  return std::move(values.front());
}

}  // namespace weft::internal
