// Futures and task arguments: what weft::Client hands back and takes in.
//
// The names follow dask.distributed (`result()`, `status()`, `wait()`, `done()`) rather
// than Google style, so that people who know dask read weft code without a dictionary.
//
// A Future is a cheap, copyable handle on one key of the cluster. While any Future (or an
// Arg made from one) for a key is alive in this process, the cluster keeps that key's
// result; when the last one is dropped, the client tells the scheduler, which releases it
// and the workers free its memory.
//
// Threading: Futures may be copied, waited on and read from any thread. result() and
// wait() block the calling thread only.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "weft/convert.h"
#include "weft/value.h"

namespace weft {

enum class FutureStatus { kPending, kFinished, kError, kCancelled, kLost };
// "pending", "finished", "error", "cancelled", "lost" — as dask's Future.status.
const char* FutureStatusName(FutureStatus status);

// Thrown by Future::result() when the task (or one it depends on) failed, or the key was
// cancelled. what() is the full message; the parts are available separately.
class TaskError : public std::runtime_error {
 public:
  TaskError(std::string key, std::string function, std::string message, std::string erred_key);
  const std::string& key() const { return key_; }
  // The function that failed and the key it failed for (a dependency of key() when the
  // failure came from upstream).
  const std::string& function() const { return function_; }
  const std::string& erred_key() const { return erred_key_; }
  const std::string& message() const { return message_; }

 private:
  std::string key_, function_, message_, erred_key_;
};

namespace internal {
class ClientCore;

// One reference to a key held by this process. Shared by every copy of a Future; its
// destruction is what releases the key on the cluster.
class KeyHandle {
 public:
  KeyHandle(std::shared_ptr<ClientCore> core, std::string key);
  ~KeyHandle();
  KeyHandle(const KeyHandle&) = delete;
  KeyHandle& operator=(const KeyHandle&) = delete;

  const std::string& key() const { return key_; }
  ClientCore& core() const { return *core_; }

  FutureStatus status() const;
  absl::Status Wait(absl::Duration timeout) const;
  void OnDone(std::function<void()> callback) const;
  absl::StatusOr<Value> Fetch() const;  // waits, then gathers from a worker

 private:
  std::shared_ptr<ClientCore> core_;
  const std::string key_;
};

// The index of the first of `handles` (all of one client) that is done, waiting up to
// `timeout` (kDeadlineExceeded).
absl::StatusOr<size_t> WaitAny(const std::vector<const KeyHandle*>& handles,
                               absl::Duration timeout);
[[noreturn]] void ThrowForStatus(const absl::Status& status, const std::string& key);
}  // namespace internal

template <typename T = Value>
class Future {
 public:
  Future() = default;  // an empty future; valid() is false
  explicit Future(std::shared_ptr<internal::KeyHandle> handle) : handle_(std::move(handle)) {}

  bool valid() const { return handle_ != nullptr; }
  // REQUIRES for everything below: valid().
  const std::string& key() const { return handle_->key(); }
  FutureStatus status() const { return handle_->status(); }
  bool done() const { return status() != FutureStatus::kPending; }

  // Blocks until the key is finished, erred or cancelled, or `timeout` passes
  // (kDeadlineExceeded). The task's own failure is not an error of wait().
  absl::Status wait(absl::Duration timeout = absl::InfiniteDuration()) const {
    return handle_->Wait(timeout);
  }

  // The result, as a status: the task's failure comes back as an error naming the function
  // and the key; a result of the wrong type as kInvalidArgument.
  absl::StatusOr<T> get() const {
    absl::StatusOr<Value> value = handle_->Fetch();
    if (!value.ok()) return value.status();
    return ConvertValue<T>(*value);
  }

  // The result; throws TaskError when the task failed or was cancelled, and
  // std::runtime_error for anything else (a type mismatch, a lost connection).
  T result() const {
    absl::StatusOr<T> value = get();
    if (!value.ok()) internal::ThrowForStatus(value.status(), key());
    return *std::move(value);
  }

  // The same key, seen as another type.
  template <typename U>
  Future<U> as() const {
    return Future<U>(handle_);
  }

  // Calls `callback(future)` once this future is done — finished, erred or cancelled — or
  // its client's connection closed (as dask's add_done_callback). It runs on the client's
  // callback thread, one callback at a time, at once if the future is done already; it
  // may call result() and anything else on the client. The callback holds a copy of the
  // future (so the key stays on the cluster) until it has run.
  void add_done_callback(std::function<void(const Future<T>&)> callback) const {
    handle_->OnDone([future = *this, callback = std::move(callback)] { callback(future); });
  }

  const std::shared_ptr<internal::KeyHandle>& handle() const { return handle_; }

 private:
  std::shared_ptr<internal::KeyHandle> handle_;
};

// One argument of a task: a literal Value, the result of a Future (or of a key by name),
// or a list of arguments (which the worker turns into a Value list).
class Arg {
 public:
  template <typename T, typename = std::enable_if_t<std::is_constructible_v<Value, T>>>
  Arg(T&& literal) : kind_(Kind::kLiteral), literal_(std::forward<T>(literal)) {}
  template <typename T>
  Arg(const Future<T>& future) : kind_(Kind::kKey), key_(future.key()), ref_(future.handle()) {}
  Arg(std::vector<Arg> items) : kind_(Kind::kList), items_(std::move(items)) {}

  // A reference to a key by name (for hand-built graphs).
  static Arg Key(std::string key) {
    Arg a(Value{});
    a.kind_ = Kind::kKey;
    a.key_ = std::move(key);
    return a;
  }

  enum class Kind { kLiteral, kKey, kList };
  Kind kind() const { return kind_; }
  const Value& literal() const { return literal_; }
  const std::string& key() const { return key_; }
  const std::vector<Arg>& items() const { return items_; }

 private:
  Kind kind_;
  Value literal_;
  std::string key_;
  std::shared_ptr<internal::KeyHandle> ref_;  // keeps a referenced key alive until sent
  std::vector<Arg> items_;
};

}  // namespace weft
