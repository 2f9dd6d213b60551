#include "weft/progress.h"

#include <catch2/catch.hpp>

#include "absl/time/time.h"

using weft::PrefixInfo;
using weft::ProgressBars;

namespace {

PrefixInfo Prefix(std::string name, std::map<std::string, int64_t> states) {
  PrefixInfo p;
  p.prefix = std::move(name);
  p.tasks_by_state = std::move(states);
  return p;
}

}  // namespace

TEST_CASE("bars for prefixes with unfinished work, totals kept as tasks are forgotten") {
  ProgressBars bars;
  // Old finished work (nothing pending) gets no bar; running work does.
  bars.Update({Prefix("old", {{"memory", 5}}),
               Prefix("parse_json", {{"waiting", 20}, {"processing", 4}}),
               Prefix("read_text", {{"processing", 4}, {"queued", 20}})});
  REQUIRE(bars.bars().size() == 2);
  CHECK(bars.bars()[0].prefix == "parse_json");
  CHECK(bars.bars()[1].prefix == "read_text");
  CHECK(bars.bars()[1].total == 24);
  CHECK(bars.bars()[1].done() == 0);

  // read_text's results are freed once parse_json has used them: fewer tasks reported,
  // but the total stays and the forgotten ones count as done.
  bars.Update({Prefix("parse_json", {{"memory", 10}, {"erred", 2}, {"processing", 2}, {"waiting", 10}}),
               Prefix("read_text", {{"memory", 2}, {"processing", 4}, {"queued", 8}})});
  CHECK(bars.bars()[1].total == 24);
  CHECK(bars.bars()[1].done() == 12);
  CHECK(bars.bars()[0].done() == 12);
  CHECK(bars.bars()[0].erred == 2);

  auto lines = bars.Render(absl::Milliseconds(1300), /*bar_width=*/10);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "parse_json [#####     ] 12/24 done, 2 erred | 1.3 s");
  CHECK(lines[1] == "read_text  [#####     ] 12/24 done | 1.3 s");

  // A prefix no longer reported has had every task forgotten: all done.
  bars.Update({Prefix("parse_json", {{"memory", 22}, {"erred", 2}})});
  CHECK(bars.bars()[1].done() == 24);
  CHECK(bars.Render(absl::Milliseconds(20), 10)[1] == "read_text  [##########] 24/24 done | 20 ms");
}

TEST_CASE("own prefixes get a bar even when already finished; new ones join in order") {
  ProgressBars bars({"count"});
  bars.Update({Prefix("count", {{"memory", 3}})});
  REQUIRE(bars.bars().size() == 1);
  CHECK(bars.bars()[0].done() == 3);
  bars.Update({Prefix("aaa", {{"waiting", 1}}), Prefix("count", {{"memory", 3}})});
  REQUIRE(bars.bars().size() == 2);
  CHECK(bars.bars()[1].prefix == "aaa");  // first seen later, so after
  CHECK(ProgressBars().Render(absl::Seconds(1)).empty());
}
