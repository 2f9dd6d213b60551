// `weft bag PATTERN [steps] RESULT`: a Bag pipeline from the command line.
//
//   weft bag 's3://bucket/2015-01-*.json.gz' --filter 'type == "PushEvent"' \
//       --pluck actor.login --frequencies --topk 10 --format table
//
// Steps run in this order: parse_json (always; --skip-malformed drops bad lines), each
// --filter, --pluck, --repartition. Then exactly one result: --count, --frequencies
// (optionally followed by --topk K on the pairs), --distinct, --take N, --topk K [--key],
// --foldby KEY --op OP [--field PATH].
#pragma once

#include <string>
#include <vector>

namespace weft::cli {

struct BagFlags {
  std::string pattern;
  std::string scheduler;
  int n_workers = 2;
  bool skip_malformed = false;
  std::vector<std::string> filters;
  std::string pluck;
  int repartition = 0;
  bool count = false;
  bool frequencies = false;
  bool distinct = false;
  int take = 0;
  int topk = 0;
  std::string key;
  std::string foldby;
  std::string op = "count";
  std::string field;
  std::string format = "table";
};

int RunBag(const BagFlags& flags);

}  // namespace weft::cli
