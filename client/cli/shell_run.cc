// Running the shell's queries: waiting on the cluster with progress bars, and giving the
// wait up on an interrupt (Ctrl-C), cancelling what can be cancelled (shell.h, Session).
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "client/cli/shell.h"
#include "common/status_macros.h"
#include "weft/progress.h"

namespace weft::cli::shell {
namespace {

// The calling thread no longer takes SIGINT: the REPL's thread must, so that a Ctrl-C at
// the prompt interrupts its read.
void BlockInterrupts() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// How often a wait looks at the interrupt check.
constexpr absl::Duration kInterruptPoll = absl::Milliseconds(20);

}  // namespace

absl::Status Session::WithProgress(const std::function<absl::Status()>& work) {
  if (progress_out_ == nullptr) return work();
  ProgressOptions options;
  options.clear_when_done = true;
  // progress_during returns what the work returned.
  return progress_during(client_, work, *progress_out_, options);
}

absl::Status Session::Interrupted(const std::string& what) {
  stopped_by_interrupt_ = true;
  return absl::CancelledError(absl::StrCat("interrupted: ", what));
}

// The work runs on a thread of its own so that the wait can be given up: the library
// offers no way to cancel these calls (take, first, to_textfiles, read_text's listing),
// so an interrupted one is left to finish and its result dropped.
template <typename T>
absl::StatusOr<T> Session::Run(std::function<absl::StatusOr<T>()> compute) {
  if (interrupted_ == nullptr) {
    std::optional<absl::StatusOr<T>> result;
    WithProgress([&] {
      result = compute();
      return result->status();
    }).IgnoreError();
    return *std::move(result);
  }
  struct Shared {
    absl::Notification done;
    std::optional<absl::StatusOr<T>> result;
  };
  auto shared = std::make_shared<Shared>();
  std::thread worker([shared, compute = std::move(compute)] {
    BlockInterrupts();
    shared->result = compute();
    shared->done.Notify();
  });
  bool interrupted = false;
  WithProgress([&] {
    while (!shared->done.WaitForNotificationWithTimeout(kInterruptPoll)) {
      if (interrupt_requested()) {
        interrupted = true;
        break;
      }
    }
    return absl::OkStatus();
  }).IgnoreError();
  if (interrupted) {
    background_.push_back(std::move(worker));
    return Interrupted("stopped waiting; the work already started finishes in the background");
  }
  worker.join();
  return *std::move(shared->result);
}

// Persisted first, so that the query's partitions are futures this call holds: dropping
// them on an interrupt releases what they need, and the scheduler stops the tasks that
// nobody else wants (a persisted bag the query reads from stays).
absl::StatusOr<ValueList> Session::ComputeBag(const Bag& bag) {
  if (interrupted_ == nullptr) {
    return Run<ValueList>([&bag] { return bag.compute(); });
  }
  absl::StatusOr<ValueList> result;
  absl::Status status = WithProgress([&] {
    Bag persisted = bag.persist();
    WEFT_RETURN_IF_ERROR(AwaitPartitions(persisted));
    result = persisted.compute();  // in memory already: the items are taken out
    return result.status();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<Value> Session::ComputeItem(const Item& item) {
  if (interrupted_ == nullptr) {
    return Run<Value>([&item] { return item.compute(); });
  }
  absl::StatusOr<Value> result;
  absl::Status status = WithProgress([&] {
    const std::vector<Future<Value>> futures = {item.persist()};
    while (true) {
      absl::Status waited = futures[0].wait(kInterruptPoll);
      if (waited.ok()) break;                                // done: finished, erred or cancelled
      if (!absl::IsDeadlineExceeded(waited)) return waited;  // the connection is gone
      if (interrupt_requested()) {
        client_.cancel(futures);
        return Interrupted("the query was cancelled");
      }
    }
    result = futures[0].get();
    return result.status();
  });
  if (!status.ok()) return status;
  return result;
}

// Persisted first, as a Bag query (ComputeBag): dropping the chunks on an interrupt
// releases them, and the scheduler stops the tasks nobody else wants.
absl::StatusOr<LocalArray> Session::ComputeArray(const Array& array) {
  if (interrupted_ == nullptr) return Run<LocalArray>([array] { return array.compute(); });
  absl::StatusOr<LocalArray> result;
  absl::Status status = WithProgress([&] {
    Array persisted = array.persist();
    while (true) {
      absl::Status waited = persisted.wait(kInterruptPoll);
      if (!absl::IsDeadlineExceeded(waited)) {
        WEFT_RETURN_IF_ERROR(waited);
        break;
      }
      if (interrupt_requested()) return Interrupted("the query was cancelled");
    }
    result = persisted.compute();  // in memory already: the chunks are gathered
    return result.status();
  });
  if (!status.ok()) return status;
  return result;
}

// Polled: a Bag offers no wait with a timeout. The interval grows from 0.1 ms, so that a
// query on persisted data is not made slower than it is. A partition's status says
// nothing of a lost connection: the scheduler is asked, once a second, whether it is there.
absl::Status Session::AwaitPartitions(const Bag& persisted) {
  absl::Duration pause = absl::Microseconds(100);
  absl::Time next_check = absl::Now() + absl::Seconds(1);
  while (persisted.npartitions_done() < persisted.npartitions()) {
    if (interrupt_requested()) return Interrupted("the query was cancelled");
    if (absl::Now() >= next_check) {
      WEFT_RETURN_IF_ERROR(client_.info(/*timeout=*/absl::Seconds(10)).status());
      next_check = absl::Now() + absl::Seconds(1);
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, kInterruptPoll);
  }
  return absl::OkStatus();
}

absl::Status Session::Wait(const Object& bag) {
  if (interrupted_ != nullptr) {
    absl::Status status = WithProgress([&] { return AwaitPartitions(*bag.bag); });
    if (stopped_by_interrupt_) {
      return Interrupted("stopped waiting; the persisted bag goes on computing");
    }
    WEFT_RETURN_IF_ERROR(status);
    return bag.bag->wait();  // done: the first failure, if any
  }
  if (progress_out_ == nullptr) return bag.bag->wait();
  ProgressOptions options;
  options.clear_when_done = true;
  return progress(client_, *bag.bag, *progress_out_, options);
}

// The types the evaluator runs (shell.cc).
template absl::StatusOr<Value> Session::Run<Value>(std::function<absl::StatusOr<Value>()>);
template absl::StatusOr<Bag> Session::Run<Bag>(std::function<absl::StatusOr<Bag>()>);
template absl::StatusOr<Array> Session::Run<Array>(std::function<absl::StatusOr<Array>()>);
template absl::StatusOr<LocalArray> Session::Run<LocalArray>(
    std::function<absl::StatusOr<LocalArray>()>);

}  // namespace weft::cli::shell
