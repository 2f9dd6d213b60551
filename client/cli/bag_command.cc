#include "client/cli/bag_command.h"

#include <iostream>

#include "absl/time/clock.h"
#include "client/cli/output.h"
#include "weft/bag.h"
#include "weft/client.h"

namespace weft::cli {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "weft: " << status.message() << "\n";
  return 1;
}

}  // namespace

int RunBag(const BagFlags& flags) {
  int results = flags.count + flags.frequencies + flags.distinct + (flags.take > 0) +
                !flags.foldby.empty() + (flags.topk > 0 && !flags.frequencies);
  if (results != 1) {
    std::cerr << "weft bag: give exactly one of --count, --frequencies, --distinct, --take, "
                 "--topk, --foldby\n";
    return 2;
  }
  ClientOptions options;
  options.address = flags.scheduler;
  options.n_workers = flags.n_workers;
  auto client = Client::Connect(options);
  if (!client.ok()) return Fail(client.status());

  absl::Time start = absl::Now();
  auto read = Bag::read_text(**client, flags.pattern);
  if (!read.ok()) return Fail(read.status());
  Bag bag = read->parse_json(flags.skip_malformed);
  for (const auto& f : flags.filters) bag = bag.filter(f);
  if (!flags.pluck.empty()) bag = bag.pluck(flags.pluck);
  if (flags.repartition > 0) bag = bag.repartition(flags.repartition);

  std::vector<std::string> headers;
  auto compute = [&]() -> absl::StatusOr<Value> {
    if (flags.count) return bag.count().compute();
    absl::StatusOr<ValueList> list;
    if (flags.frequencies) {
      Bag freq = bag.frequencies();
      if (flags.topk > 0) freq = freq.topk(flags.topk, "1");
      list = freq.compute();
      headers = {flags.pluck.empty() ? "value" : flags.pluck, "count"};
    } else if (flags.distinct) {
      list = bag.distinct().compute();
      headers = {flags.pluck.empty() ? "value" : flags.pluck};
    } else if (flags.take > 0) {
      list = bag.take(flags.take);
    } else if (flags.topk > 0) {
      list = bag.topk(flags.topk, flags.key).compute();
    } else {
      list = bag.foldby(flags.foldby, flags.op, flags.field).compute();
      headers = {flags.foldby, flags.op};
    }
    if (!list.ok()) return list.status();
    return Value(*std::move(list));
  };
  absl::StatusOr<Value> result;
  std::string summary;  // the progress bars, when stderr is not a terminal
  WithProgress(
      **client, [&] {
        result = compute();
        return result.status();
      },
      &summary)
      .IgnoreError();  // the same status as result's
  if (!result.ok()) {
    std::cerr << summary;
    return Fail(result.status());
  }
  if (flags.format == "json" || flags.take > 0) {
    std::cout << ToJson(*result) << "\n";
  } else {
    PrintTable(std::cout, *result, headers);
  }
  std::cout.flush();  // the result first, then the bars and the time on stderr
  std::cerr << summary;
  std::cerr << "(" << FormatSeconds(absl::Now() - start) << ")\n";
  return 0;
}

}  // namespace weft::cli
