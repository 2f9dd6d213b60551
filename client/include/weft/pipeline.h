// Streaming pipelines (issue 13): a framed TCP source, a stateful batching stage, a
// parallel step on every thread of every worker, and an ordered framed TCP sink.
//
//   auto handle = client->run_pipeline(
//       weft::Pipeline("classifier")
//           .source(weft::TcpSource{"127.0.0.1", 7000})
//           .to_stateful(weft::BatchRows{100, /*header=*/true})
//           .to_parallel("example.classify_csv", {{"threshold", weft::Value(0)}})
//           .to_sink(weft::TcpSink{"127.0.0.1", 7001}));
//   if (!handle.ok()) ...;
//   absl::Status done = handle->wait();   // OK once the sink wrote EOT
//
// Framing (as the Wallaroo write-up's): each record is a 4-byte big-endian length and
// that many bytes; a record holding the single byte 0x04 (EOT) ends the input. The source
// LISTENS on its address (on the first worker) and reads one connection; the sink
// CONNECTS to its address (from one worker) and must find a listener within 5 s.
//
// What runs: each input record is a row. A StatefulFunction (below) turns rows into
// batches as it likes; BatchRows collects `rows` data rows per batch
// (with `header`, the first row received is the header, kept and prepended to every
// batch: the function sees "header\nrow\n...\n"); each batch, numbered in input order,
// goes to a worker with credit (at most 2 × its threads batches in flight: a slow step or
// sink slows the source, which stops reading its connection); the function
// `function(batch string, args record)` runs there and returns the output rows, each
// followed by '\n'; the sink writes them in batch order, one frame per row (without the
// '\n'), then EOT when the input's EOT has gone through. Records never pass through the
// scheduler or this client.
//
// Bad records: by default the first one fails the pipeline (below). With
// skip_bad_records(), a frame longer than the maximum is dropped at the source, and a
// batch the function fails on is run again row by row (each row alone, after the header)
// so that only the rows it fails on are dropped: both are counted in the status
// (records_skipped, first_skipped naming the stage, batch and row) and logged by the
// worker; the output is what the serial run gives for the input without those records.
//
// Failures: a parallel-only worker that dies has its unacknowledged batches replayed to
// the others (the sink drops duplicates): the output is complete and ordered all the
// same. A dead source or sink worker, a frame longer than the maximum, a connection that
// drops inside a frame, a function that fails on a batch, a sink nobody listens on: the
// pipeline fails, and its status' error names the pipeline, the stage and the batch.
//
// Threading: Pipeline is a value (build it on one thread). PipelineHandle may be copied
// and used from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "weft/value.h"

namespace weft {

namespace internal {
class ClientCore;
}  // namespace internal

// Listens on host:port for one framed connection.
struct TcpSource {
  std::string host;
  int port = 0;
};

// Connects to host:port and writes frames.
struct TcpSink {
  std::string host;
  int port = 0;
};

// The built-in stateful stage: batches of `rows` data rows, with the CSV header (the first
// row) prepended to each when `header`.
struct BatchRows {
  int rows = 100;
  bool header = false;
};

// A stateful stage of your own (Wallaroo's state computation): a registered or plugin
// function called once per input row as
//   function(row string, state) -> [new state, [batch string, ...]]
// and once at the end of input with a null row to flush; each batch it returns goes to the
// parallel step in order. `initial_state` is the state of the first call (null unless
// given). It runs where the source does (that worker needs its plugin: --preload).
struct StatefulFunction {
  std::string function;
  Value initial_state;
};

class Pipeline {
 public:
  explicit Pipeline(std::string name) : name_(std::move(name)) {}

  Pipeline& source(TcpSource source) {
    source_ = std::move(source);
    return *this;
  }
  Pipeline& to_stateful(BatchRows batch) {
    batch_ = batch;
    stateful_.reset();
    return *this;
  }
  // The stateful stage as a function (above); the parallel function's `header` is false.
  Pipeline& to_stateful(StatefulFunction step) {
    batch_ = BatchRows{};
    stateful_ = std::move(step);
    return *this;
  }
  // `function`: a registered (or plugin) function of (batch string, args record) that
  // returns its output rows as a string, each row followed by '\n'. `args` gets a field
  // `header` (the batching's: does each batch start with the header row?) unless it has one.
  Pipeline& to_parallel(std::string function, Record args = {}) {
    function_ = std::move(function);
    args_ = std::move(args);
    return *this;
  }
  Pipeline& to_sink(TcpSink sink) {
    sink_ = std::move(sink);
    return *this;
  }
  // The longest record the source accepts (default 64 MiB); a longer one fails the
  // pipeline.
  Pipeline& max_frame(int64_t bytes) {
    max_frame_ = bytes;
    return *this;
  }

  // Skip and count bad records instead of failing (see above); off by default.
  Pipeline& skip_bad_records(bool skip = true) {
    skip_bad_records_ = skip;
    return *this;
  }

  const std::string& name() const { return name_; }
  const TcpSource& source() const { return source_; }
  const BatchRows& batching() const { return batch_; }
  // Set when the stateful stage is a function rather than BatchRows.
  const std::optional<StatefulFunction>& stateful_function() const { return stateful_; }
  const std::string& function() const { return function_; }
  const Record& args() const { return args_; }
  const TcpSink& sink() const { return sink_; }
  int64_t max_frame() const { return max_frame_; }
  bool skip_bad_records() const { return skip_bad_records_; }

  // kInvalidArgument naming what is missing or out of range.
  absl::Status Validate() const;

 private:
  std::string name_;
  TcpSource source_;
  BatchRows batch_;
  std::optional<StatefulFunction> stateful_;
  std::string function_;
  Record args_;
  TcpSink sink_;
  int64_t max_frame_ = 0;
  bool skip_bad_records_ = false;
};

enum class PipelineState { kSubmitted, kRunning, kDone, kFailed, kStopped };
// "submitted", "running", "done", "failed", "stopped".
const char* PipelineStateName(PipelineState state);

struct PipelineStatus {
  PipelineState state = PipelineState::kSubmitted;
  std::string error;            // kFailed: names the pipeline, the stage and the batch
  int64_t batches_in = 0;       // batches the source made
  int64_t batches_out = 0;      // batches the sink wrote
  int64_t rows_out = 0;         // records the sink wrote
  int64_t records_skipped = 0;  // skip_bad_records: input records dropped
  std::string first_skipped;    // the first of them: stage, batch, row and why
  // Done, failed or stopped: nothing changes any more.
  bool finished() const {
    return state == PipelineState::kDone || state == PipelineState::kFailed ||
           state == PipelineState::kStopped;
  }
};

// A running pipeline. Cheap to copy; keeps the client's session alive.
class PipelineHandle {
 public:
  const std::string& id() const { return id_; }  // "<name>-<random hex>"
  // The scheduler's latest word on it.
  PipelineStatus status() const;
  // Blocks until the pipeline finishes: OK when done; kAborted with its error when it
  // failed; kCancelled when stopped; kDeadlineExceeded after `timeout`; kUnavailable
  // when the connection to the scheduler closed.
  absl::Status wait(absl::Duration timeout = absl::InfiniteDuration()) const;
  // Blocks until the status differs from `seen` (state or counters) or `timeout` passes;
  // returns the status then.
  PipelineStatus next_status(const PipelineStatus& seen, absl::Duration timeout) const;
  // Asks the scheduler to stop it on every worker (it ends kStopped). Returns at once.
  void stop() const;

 private:
  friend class Client;
  PipelineHandle(std::shared_ptr<internal::ClientCore> core, std::string id)
      : core_(std::move(core)), id_(std::move(id)) {}

  std::shared_ptr<internal::ClientCore> core_;
  std::string id_;
};

}  // namespace weft
