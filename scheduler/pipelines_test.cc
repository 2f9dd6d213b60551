// Pipelines: placement, the transitions each event fires, and what a lost worker costs —
// fed events, compared instructions.
#include "scheduler/pipelines.h"

#include <catch2/catch.hpp>

namespace weft::scheduler {
namespace {

proto::WorkerInfo Info(int i, int nthreads = 2) {
  proto::WorkerInfo info;
  info.set_name("w" + std::to_string(i));
  info.set_address("10.0.0." + std::to_string(i) + ":900" + std::to_string(i));
  info.set_nthreads(nthreads);
  return info;
}

proto::SubmitPipeline Submit(const std::string& id) {
  proto::SubmitPipeline submit;
  submit.set_pipeline_id(id);
  proto::PipelineSpec* spec = submit.mutable_spec();
  spec->set_name("classifier");
  spec->set_source_address("127.0.0.1:7000");
  spec->set_sink_address("127.0.0.1:7001");
  spec->set_function("example.classify_csv");
  spec->set_batch_rows(100);
  spec->set_header(true);
  return submit;
}

proto::StageEvent Event(const std::string& id, proto::StageRole role, proto::StageEvent::Kind kind,
                        const std::string& error = "") {
  proto::StageEvent event;
  event.set_pipeline_id(id);
  event.set_role(role);
  event.set_kind(kind);
  event.set_error(error);
  return event;
}

// "worker:role" of each StartStage, in order.
std::vector<std::string> Starts(const Instructions& out) {
  std::vector<std::string> starts;
  for (const WorkerMessage& m : out.to_workers) {
    if (!m.instruction.has_start_stage()) continue;
    starts.push_back(m.worker_id + ":" + proto::StageRole_Name(m.instruction.start_stage().role()));
  }
  return starts;
}

std::vector<std::string> Stops(const Instructions& out) {
  std::vector<std::string> stops;
  for (const WorkerMessage& m : out.to_workers) {
    if (m.instruction.has_stop_stage()) stops.push_back(m.worker_id);
  }
  return stops;
}

// The state of the last PipelineStatus sent to `client`.
proto::PipelineStatus LastStatus(const Instructions& out, const std::string& client) {
  proto::PipelineStatus last;
  for (const ClientMessage& m : out.to_clients) {
    if (m.client_id == client && m.update.has_pipeline_status()) last = m.update.pipeline_status();
  }
  return last;
}

// Three workers, a submitted pipeline, and every stage started.
struct Running {
  Pipelines pipelines;
  Running() {
    for (int i = 1; i <= 3; ++i) pipelines.WorkerJoined("w" + std::to_string(i), Info(i));
    REQUIRE(pipelines.Submit("c1", Submit("p")).ok());
    pipelines.TakeInstructions();
    REQUIRE(pipelines.StageEvent("w2", Event("p", proto::SINK, proto::StageEvent::STARTED)).ok());
    for (const char* w : {"w1", "w2", "w3"}) {
      REQUIRE(
          pipelines.StageEvent(w, Event("p", proto::PARALLEL, proto::StageEvent::STARTED)).ok());
    }
    REQUIRE(pipelines.StageEvent("w1", Event("p", proto::SOURCE, proto::StageEvent::STARTED)).ok());
    REQUIRE(*pipelines.State("p") == PipelineState::kRunning);
  }
};

TEST_CASE("a pipeline is placed: source on the first worker, sink on the second, parallel on all") {
  Pipelines pipelines;
  for (int i = 1; i <= 3; ++i) pipelines.WorkerJoined("w" + std::to_string(i), Info(i, i));
  REQUIRE(pipelines.Submit("c1", Submit("p")).ok());
  Instructions out = pipelines.TakeInstructions();
  CHECK(Starts(out) == std::vector<std::string>{"w2:SINK", "w1:PARALLEL", "w2:PARALLEL",
                                                "w3:PARALLEL", "w1:SOURCE"});
  const proto::StartStage& source = out.to_workers.back().instruction.start_stage();
  REQUIRE(source.parallel_size() == 3);
  CHECK(source.parallel(2).address() == "10.0.0.3:9003");
  CHECK(source.parallel(2).nthreads() == 3);
  CHECK(source.sink_worker() == "10.0.0.2:9002");
  CHECK(LastStatus(out, "c1").state() == proto::PipelineStatus::SUBMITTED);
  CHECK(*pipelines.State("p") == PipelineState::kSubmitted);
}

TEST_CASE("every stage started: running; the sink done: done, and every worker told to stop") {
  Running r;
  Instructions out = r.pipelines.TakeInstructions();
  CHECK(LastStatus(out, "c1").state() == proto::PipelineStatus::RUNNING);
  proto::StageEvent done = Event("p", proto::SINK, proto::StageEvent::DONE);
  done.set_batches_out(10);
  done.set_rows_out(1000);
  REQUIRE(r.pipelines.StageEvent("w2", done).ok());
  out = r.pipelines.TakeInstructions();
  CHECK(*r.pipelines.State("p") == PipelineState::kDone);
  CHECK(LastStatus(out, "c1").state() == proto::PipelineStatus::DONE);
  CHECK(LastStatus(out, "c1").rows_out() == 1000);
  CHECK(Stops(out) == std::vector<std::string>{"w1", "w2", "w3"});
  CHECK(r.pipelines.Story("p").back() == "running -> done: the sink on w2 wrote EOT");
}

TEST_CASE("skipped records: the source's and the sink's add up; the sink's DONE has them all") {
  Running r;
  proto::StageEvent source = Event("p", proto::SOURCE, proto::StageEvent::PROGRESS);
  source.set_records_skipped(1);
  source.set_first_skipped("source stage: frame 7");
  REQUIRE(r.pipelines.StageEvent("w1", source).ok());
  proto::StageEvent sink = Event("p", proto::SINK, proto::StageEvent::PROGRESS);
  sink.set_records_skipped(2);
  sink.set_first_skipped("parallel stage: batch 3, row 4");
  REQUIRE(r.pipelines.StageEvent("w2", sink).ok());
  proto::PipelineStatus status = LastStatus(r.pipelines.TakeInstructions(), "c1");
  CHECK(status.records_skipped() == 3);
  CHECK(status.first_skipped() == "source stage: frame 7");

  // The sink's final count includes the source's (sent with END): not counted twice.
  proto::StageEvent done = Event("p", proto::SINK, proto::StageEvent::DONE);
  done.set_records_skipped(3);
  REQUIRE(r.pipelines.StageEvent("w2", done).ok());
  status = LastStatus(r.pipelines.TakeInstructions(), "c1");
  CHECK(status.state() == proto::PipelineStatus::DONE);
  CHECK(status.records_skipped() == 3);
}

TEST_CASE("a failing stage fails the pipeline with its error") {
  Running r;
  r.pipelines.TakeInstructions();
  REQUIRE(r.pipelines
              .StageEvent("w3", Event("p", proto::PARALLEL, proto::StageEvent::FAILED,
                                      "pipeline p: parallel stage: batch 7: boom"))
              .ok());
  Instructions out = r.pipelines.TakeInstructions();
  CHECK(LastStatus(out, "c1").state() == proto::PipelineStatus::FAILED);
  CHECK(LastStatus(out, "c1").error() == "pipeline p: parallel stage: batch 7: boom");
  CHECK(Stops(out).size() == 3);
  // Late events of a finished pipeline change nothing.
  REQUIRE(r.pipelines.StageEvent("w2", Event("p", proto::SINK, proto::StageEvent::DONE)).ok());
  CHECK(*r.pipelines.State("p") == PipelineState::kFailed);
  CHECK(r.pipelines.TakeInstructions().empty());
}

TEST_CASE("a parallel-only worker that dies: the source replays its batches") {
  Running r;
  r.pipelines.TakeInstructions();
  r.pipelines.WorkerLeft("w3");
  Instructions out = r.pipelines.TakeInstructions();
  REQUIRE(out.to_workers.size() == 1);
  CHECK(out.to_workers[0].worker_id == "w1");
  CHECK(out.to_workers[0].instruction.replay_batches().lost_worker() == "10.0.0.3:9003");
  CHECK(*r.pipelines.State("p") == PipelineState::kRunning);
}

TEST_CASE("the sink's worker dies: the pipeline fails naming the stage and the worker") {
  Running r;
  r.pipelines.TakeInstructions();
  r.pipelines.WorkerLeft("w2");
  Instructions out = r.pipelines.TakeInstructions();
  CHECK(*r.pipelines.State("p") == PipelineState::kFailed);
  CHECK(LastStatus(out, "c1").error() ==
        "pipeline p: the sink stage's worker w2 (10.0.0.2:9002) died");
  CHECK(Stops(out) == std::vector<std::string>{"w1", "w3"});
}

TEST_CASE("a sink that cannot connect fails the pipeline before it runs") {
  Pipelines pipelines;
  pipelines.WorkerJoined("w1", Info(1));
  REQUIRE(pipelines.Submit("c1", Submit("p")).ok());
  CHECK(Starts(pipelines.TakeInstructions()) ==
        std::vector<std::string>{"w1:SINK", "w1:PARALLEL", "w1:SOURCE"});
  REQUIRE(pipelines
              .StageEvent("w1", Event("p", proto::SINK, proto::StageEvent::FAILED,
                                      "pipeline p: sink stage: nobody listens on 127.0.0.1:7001"))
              .ok());
  CHECK(*pipelines.State("p") == PipelineState::kFailed);
  CHECK(pipelines.Story("p").back() ==
        "submitted -> failed: pipeline p: sink stage: nobody listens on 127.0.0.1:7001");
}

TEST_CASE("refusals: no worker, a duplicate id, a missing sink") {
  Pipelines pipelines;
  REQUIRE(pipelines.Submit("c1", Submit("p")).ok());
  CHECK(LastStatus(pipelines.TakeInstructions(), "c1").error() ==
        "pipeline p: no worker is connected");
  CHECK_FALSE(pipelines.Submit("c1", Submit("p")).ok());
  proto::SubmitPipeline no_sink = Submit("q");
  no_sink.mutable_spec()->clear_sink_address();
  CHECK_FALSE(pipelines.Submit("c1", no_sink).ok());
  CHECK(LastStatus(pipelines.TakeInstructions(), "c1").state() == proto::PipelineStatus::FAILED);
}

TEST_CASE("stop, and a client that leaves, stop the pipeline on every worker") {
  Running r;
  r.pipelines.TakeInstructions();
  CHECK_FALSE(r.pipelines.Stop("c2", "p").ok());  // not its pipeline
  REQUIRE(r.pipelines.Stop("c1", "p").ok());
  Instructions out = r.pipelines.TakeInstructions();
  CHECK(LastStatus(out, "c1").state() == proto::PipelineStatus::STOPPED);
  CHECK(Stops(out).size() == 3);

  Running r2;
  r2.pipelines.TakeInstructions();
  r2.pipelines.ClientLeft("c1");
  out = r2.pipelines.TakeInstructions();
  CHECK(Stops(out).size() == 3);
  CHECK(out.to_clients.empty());
  CHECK(r2.pipelines.num_pipelines() == 0);
}

}  // namespace
}  // namespace weft::scheduler
