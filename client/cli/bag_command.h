// `weft bag (PATTERN | --sequence JSON) OPERATION...`: a Bag pipeline from the command line,
// its operations applied in the order given.
//
//   weft bag 's3://bucket/2015-01-*.json.gz' --filter 'type == "PushEvent"'
//       --pluck actor.login --frequencies --topk 10 --format table
//   weft bag --sequence '["the cat sat on the mat", "the dog sat on the mat"]'
//       --map 'split(_, " ")' --flatten --pairs _ --reduce-by-key sum --sort-by-key --format json
//   [["cat",1],["dog",1],["mat",2],["on",2],["sat",2],["the",4]]
//
// The source: PATTERN's files, each line parsed as JSON (--skip-malformed drops bad lines),
// one partition per file; or --sequence, a JSON array's items (`--sequence JSON
// --npartitions N`: in N partitions).
// Operations, each a Bag method of weft/bag.h: --filter, --pluck, --map, --flatten, --pairs,
// --map-values, --repartition, --reduce-by-key, --count-by-key, --group-by-key, --groupby,
// --sort-by-key, --sort-by, --repartition-by-key, --frequencies, --distinct, --foldby,
// --topk. Modifiers name what the operation before them leaves open: --values (of --pairs),
// --descending (of a sort), --op and --field (of --foldby), --key (of --topk); --npartitions
// N the output partitions of the next shuffle. A result may end the chain: --count,
// --take N, --first, --num-partitions, --to-textfiles PATTERN; without one every item is
// printed, in partition order. `weft bag --help` lists them all.
//
// The order is argv's: each operation's CLI11 option records itself when it is parsed
// (trigger_on_parse), so repeated and interleaved options keep their places.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace weft::cli {

// One operation, source or modifier as given on the command line: the option's name
// without "--", and its value ("" for a flag).
struct BagStep {
  std::string name;
  std::string value;
};

struct BagFlags {
  std::string pattern;
  std::string scheduler;
  int n_workers = 2;
  bool skip_malformed = false;
  std::string format = "table";
  std::vector<BagStep> steps;            // in command-line order (--sequence among them)
  std::vector<std::string> worker_args;  // more flags for the local cluster's weft-workers
};

// Adds the `bag` subcommand to `app`, recording into `*flags` (which must outlive parsing).
CLI::App* AddBagCommand(CLI::App& app, BagFlags* flags);

// Runs the pipeline; the exit code (2: a usage error, 1: the pipeline failed).
int RunBag(const BagFlags& flags);

}  // namespace weft::cli
