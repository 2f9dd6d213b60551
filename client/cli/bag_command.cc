// `weft bag`: one table of operations (Specs()) drives the options CLI11 registers, the
// checks on the chain (MakePlan), and what each operation does to the Bag.
#include "client/cli/bag_command.h"

#include <algorithm>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/cli/output.h"
#include "client/cli/shell_parser.h"
#include "common/status_macros.h"
#include "weft/bag.h"
#include "weft/client.h"

namespace weft::cli {
namespace {

// How the items print as a table, as the operations reshape them.
struct Columns {
  std::vector<std::string> headers;
  std::string path;    // the last --pluck: the column of --frequencies and --distinct
  bool pairs = false;  // [key, value] pairs: --topk ranks them by value
};

// An operation of the chain, with the modifiers given after it.
struct Operation {
  std::string name;
  std::string value;
  int npartitions = 0;  // a shuffle's output partitions (0: as many as its input)
  std::map<std::string, std::string> modifiers;

  std::string Modifier(const std::string& modifier, const std::string& fallback) const {
    auto it = modifiers.find(modifier);
    return it == modifiers.end() ? fallback : it->second;
  }
  bool Has(const std::string& modifier) const { return modifiers.count(modifier) > 0; }
  // For "N" and "K" values, which CLI11 has checked are positive ints.
  int Int() const {
    int n = 0;
    return absl::SimpleAtoi(value, &n) ? n : 0;
  }
};

enum class Role {
  kSource,    // --sequence
  kStep,      // bag → bag
  kShuffle,   // bag → bag, taking --npartitions
  kModifier,  // completes the operation before it (--npartitions: the next shuffle)
  kResult,    // bag → value; ends the chain
};

using StepFn = std::function<Bag(const Bag&, const Operation&, Columns*)>;
using ResultFn = std::function<absl::StatusOr<Value>(const Bag&, const Operation&)>;

struct OpSpec {
  const char* name;   // the option without "--"
  const char* value;  // the value's name in --help; nullptr: a flag; "N", "K": positive ints
  Role role;
  const char* help;
  StepFn step = nullptr;
  ResultFn result = nullptr;
  std::vector<std::string> follows = {};  // kModifier: the operations it completes
};

std::string KeyHeader(const std::string& expression) {
  return expression == "_" ? "key" : expression;
}
std::string KeyHeader(const Columns& columns) {
  return columns.headers.empty() ? "key" : columns.headers.front();
}
Columns PairColumns(std::string key, std::string value) {
  return Columns{{std::move(key), std::move(value)}, "", /*pairs=*/true};
}
std::string ValueHeader(const Columns& columns) {
  return columns.path.empty() ? "value" : columns.path;
}

std::vector<OpSpec> SourceAndElementwise() {
  return {
      {"sequence", "JSON", Role::kSource,
       "instead of PATTERN: the items of a JSON array ('[\"a b\", 2, {\"k\": 1}]')"},
      {"filter", "EXPR", Role::kStep, "keep the items where EXPR holds",
       [](const Bag& b, const Operation& op, Columns*) { return b.filter(op.value); }},
      {"pluck", "PATH", Role::kStep, "the field PATH (dotted) of each record",
       [](const Bag& b, const Operation& op, Columns* c) {
         *c = Columns{{}, op.value};
         return b.pluck(op.value);
       }},
      {"map", "EXPR", Role::kStep, "EXPR of each item: 'split(_, \" \")', '[user, n * 2]'",
       [](const Bag& b, const Operation& op, Columns* c) {
         *c = Columns{};
         return b.map(op.value);
       }},
      {"flatten", nullptr, Role::kStep, "items that are lists, spliced",
       [](const Bag& b, const Operation&, Columns* c) {
         *c = Columns{};
         return b.flatten();
       }},
      {"pairs", "KEY_EXPR", Role::kStep, "[KEY_EXPR, VALUE_EXPR] of each item (to_pairs)",
       [](const Bag& b, const Operation& op, Columns* c) {
         const std::string value = op.Modifier("values", "1");
         *c = PairColumns(KeyHeader(op.value), value);
         return b.to_pairs(op.value, value);
       }},
      {"values",
       "VALUE_EXPR",
       Role::kModifier,
       "after --pairs: the value (default: 1)",
       nullptr,
       nullptr,
       {"pairs"}},
      {"map-values", "EXPR", Role::kStep, "[key, EXPR] of each pair, `_` its value",
       [](const Bag& b, const Operation& op, Columns* c) {
         *c = PairColumns(KeyHeader(*c), op.value);
         return b.map_values(op.value);
       }},
      {"repartition", "N", Role::kStep, "into N partitions, in order",
       [](const Bag& b, const Operation& op, Columns*) { return b.repartition(op.Int()); }},
  };
}

std::vector<OpSpec> Shuffles() {
  return {
      {"reduce-by-key", "OP", Role::kShuffle,
       "[key, OP of its values]: sum, count, min, max, mean, or a registered function",
       [](const Bag& b, const Operation& op, Columns* c) {
         *c = PairColumns(KeyHeader(*c), op.value);
         return b.reduce_by_key(op.value, op.npartitions);
       }},
      {"count-by-key", nullptr, Role::kShuffle, "[key, number of pairs with it]",
       [](const Bag& b, const Operation& op, Columns* c) {
         *c = PairColumns(KeyHeader(*c), "count");
         return b.count_by_key(op.npartitions);
       }},
      {"group-by-key", nullptr, Role::kShuffle, "[key, [value, ...]]",
       [](const Bag& b, const Operation& op, Columns* c) {
         *c = Columns{{KeyHeader(*c), "values"}};
         return b.group_by_key(op.npartitions);
       }},
      {"groupby", "EXPR", Role::kShuffle, "[key, [item, ...]] by the key expression EXPR",
       [](const Bag& b, const Operation& op, Columns* c) {
         *c = Columns{{KeyHeader(op.value), "items"}};
         return b.groupby(op.value, op.npartitions);
       }},
      {"sort-by-key", nullptr, Role::kShuffle,
       "pairs sorted by key (strings bytewise, numbers by value)",
       [](const Bag& b, const Operation& op, Columns*) {
         return b.sort_by_key(!op.Has("descending"), op.npartitions);
       }},
      {"sort-by", "EXPR", Role::kShuffle, "items sorted by the key expression EXPR",
       [](const Bag& b, const Operation& op, Columns*) {
         return b.sort_by(op.value, !op.Has("descending"), op.npartitions);
       }},
      {"descending",
       nullptr,
       Role::kModifier,
       "after --sort-by-key or --sort-by: largest first",
       nullptr,
       nullptr,
       {"sort-by-key", "sort-by"}},
      {"repartition-by-key", "N", Role::kStep, "pairs moved so each key is in one of N partitions",
       [](const Bag& b, const Operation& op, Columns*) { return b.repartition_by_key(op.Int()); }},
      {"frequencies", nullptr, Role::kShuffle,
       "[item, count] per distinct item, most frequent first (after --npartitions N > 1: N "
       "partitions, each sorted by item)",
       [](const Bag& b, const Operation& op, Columns* c) {
         *c = PairColumns(ValueHeader(*c), "count");
         return b.frequencies(std::max(1, op.npartitions));
       }},
      {"distinct", nullptr, Role::kShuffle, "the distinct items",
       [](const Bag& b, const Operation& op, Columns* c) {
         *c = Columns{{ValueHeader(*c)}};
         return b.distinct(std::max(1, op.npartitions));
       }},
      {"foldby", "PATH", Role::kShuffle, "[key, accumulator] grouping records by PATH",
       [](const Bag& b, const Operation& op, Columns* c) {
         const std::string fold = op.Modifier("op", "count");
         const std::string field = op.Modifier("field", "");
         *c = PairColumns(op.value, fold == "count" ? fold : absl::StrCat(fold, "(", field, ")"));
         return b.foldby(op.value, fold, field, std::max(1, op.npartitions));
       }},
      {"op",
       "OP",
       Role::kModifier,
       "after --foldby: count (default), sum, min, max",
       nullptr,
       nullptr,
       {"foldby"}},
      {"field",
       "PATH",
       Role::kModifier,
       "after --foldby: the field to sum, min or max",
       nullptr,
       nullptr,
       {"foldby"}},
  };
}

std::vector<OpSpec> RankingAndResults() {
  return {
      {"topk", "K", Role::kStep, "the K largest items (pairs: by value)",
       [](const Bag& b, const Operation& op, Columns* c) {
         return b.topk(op.Int(), op.Modifier("key", c->pairs ? "1" : ""));
       }},
      {"key",
       "KEY",
       Role::kModifier,
       "after --topk: \"\" the item, \"1\" item[1], or a path",
       nullptr,
       nullptr,
       {"topk"}},
      {"npartitions", "N", Role::kModifier,
       "right after --sequence: its partitions; elsewhere: the output partitions of the next "
       "shuffle"},
      {"count", nullptr, Role::kResult, "the number of items", nullptr,
       [](const Bag& b, const Operation&) { return b.count().compute(); }},
      {"take", "N", Role::kResult, "the first N items (as JSON)", nullptr,
       [](const Bag& b, const Operation& op) -> absl::StatusOr<Value> {
         WEFT_ASSIGN_OR_RETURN(ValueList items, b.take(op.Int()));
         return Value(std::move(items));
       }},
      {"first", nullptr, Role::kResult, "the first item (as JSON)", nullptr,
       [](const Bag& b, const Operation&) { return b.first(); }},
      {"num-partitions", nullptr, Role::kResult, "the number of partitions", nullptr,
       [](const Bag& b, const Operation&) -> absl::StatusOr<Value> {
         return Value(int64_t{b.num_partitions()});
       }},
      {"to-textfiles", "PATTERN", Role::kResult,
       "write partition i as JSON lines to PATTERN, its '*' replaced by i (.gz, .zst; "
       "s3://); prints the number of items written",
       nullptr,
       [](const Bag& b, const Operation& op) -> absl::StatusOr<Value> {
         WEFT_ASSIGN_OR_RETURN(int64_t n, b.to_textfiles(op.value));
         return Value(n);
       }},
  };
}

const std::vector<OpSpec>& Specs() {
  static const auto* specs = [] {
    auto* all = new std::vector<OpSpec>(SourceAndElementwise());
    for (auto group : {Shuffles(), RankingAndResults()}) {
      all->insert(all->end(), group.begin(), group.end());
    }
    return all;
  }();
  return *specs;
}

const OpSpec& SpecOf(const std::string& name) {
  const auto& specs = Specs();
  return *std::find_if(specs.begin(), specs.end(), [&](const OpSpec& s) { return name == s.name; });
}

// ---------------------------------------------------------------------------
// The plan: the steps of the command line checked, modifiers folded into their operations.

struct Plan {
  std::optional<ValueList> sequence;
  int sequence_partitions = 1;
  std::vector<Operation> operations;  // at most one result, last
};

absl::Status Usage(const std::string& message) { return absl::InvalidArgumentError(message); }

class Planner {
 public:
  absl::Status Add(const BagStep& step) {
    const OpSpec& spec = SpecOf(step.name);
    absl::Status status = spec.role == Role::kSource     ? AddSequence(step)
                          : step.name == "npartitions"   ? AddNpartitions(step)
                          : spec.role == Role::kModifier ? AddModifier(spec, step)
                                                         : AddOperation(spec, step);
    previous_ = step.name;
    return status;
  }

  absl::StatusOr<Plan> Finish(const BagFlags& flags) {
    if (pending_npartitions_) {
      std::vector<std::string> shuffles;
      for (const OpSpec& spec : Specs()) {
        if (spec.role == Role::kShuffle) shuffles.push_back(absl::StrCat("--", spec.name));
      }
      return Usage(absl::StrCat("--npartitions ", *pending_npartitions_,
                                " is not followed by a shuffle (", absl::StrJoin(shuffles, ", "),
                                ")"));
    }
    if (flags.pattern.empty() == !plan_.sequence) {
      return Usage("give either PATTERN (JSON-lines files) or --sequence JSON");
    }
    if (plan_.sequence && flags.skip_malformed) {
      return Usage("--skip-malformed is for files (PATTERN), not --sequence");
    }
    if (plan_.operations.empty()) {
      return Usage("give at least one operation, e.g. --count or --take 10 (see --help)");
    }
    return std::move(plan_);
  }

 private:
  absl::Status AddSequence(const BagStep& step) {
    if (plan_.sequence) return Usage("--sequence given twice");
    absl::StatusOr<Value> items = shell::ParseLiteral(step.value);
    if (!items.ok()) return Usage(absl::StrCat("--sequence: ", items.status().message()));
    if (!items->is_list()) return Usage("--sequence needs a JSON array");
    plan_.sequence = items->as_list();
    return absl::OkStatus();
  }

  absl::Status AddNpartitions(const BagStep& step) {
    int n = 0;
    if (!absl::SimpleAtoi(step.value, &n)) return Usage("--npartitions needs an int");
    if (previous_ == "sequence") {
      plan_.sequence_partitions = n;
    } else if (pending_npartitions_) {
      return Usage("--npartitions given twice before a shuffle");
    } else {
      pending_npartitions_ = n;
    }
    return absl::OkStatus();
  }

  absl::Status AddModifier(const OpSpec& spec, const BagStep& step) {
    const std::string after = absl::StrJoin(spec.follows, " or --");
    if (plan_.operations.empty() || std::find(spec.follows.begin(), spec.follows.end(),
                                              plan_.operations.back().name) == spec.follows.end()) {
      return Usage(absl::StrCat("--", step.name, " must follow --", after));
    }
    auto [it, added] = plan_.operations.back().modifiers.emplace(step.name, step.value);
    if (!added) return Usage(absl::StrCat("--", step.name, " given twice for one --", after));
    return absl::OkStatus();
  }

  absl::Status AddOperation(const OpSpec& spec, const BagStep& step) {
    if (!plan_.operations.empty() && SpecOf(plan_.operations.back().name).role == Role::kResult) {
      return Usage(absl::StrCat("--", plan_.operations.back().name,
                                " ends the chain: nothing may follow it (--", step.name, ")"));
    }
    Operation op{step.name, step.value};
    if (spec.role == Role::kShuffle && pending_npartitions_) {
      op.npartitions = *std::exchange(pending_npartitions_, std::nullopt);
    }
    plan_.operations.push_back(std::move(op));
    return absl::OkStatus();
  }

  Plan plan_;
  std::optional<int> pending_npartitions_;
  std::string previous_;  // the step before the one being added
};

absl::StatusOr<Plan> MakePlan(const BagFlags& flags) {
  Planner planner;
  for (const BagStep& step : flags.steps) WEFT_RETURN_IF_ERROR(planner.Add(step));
  return planner.Finish(flags);
}

// ---------------------------------------------------------------------------
// Running

int Fail(const absl::Status& status) {
  std::cerr << "weft: " << status.message() << "\n";
  return 1;
}

absl::StatusOr<Bag> Source(Client& client, const BagFlags& flags, const Plan& plan) {
  if (plan.sequence) return Bag::from_sequence(client, *plan.sequence, plan.sequence_partitions);
  WEFT_ASSIGN_OR_RETURN(Bag files, Bag::read_text(client, flags.pattern));
  return files.parse_json(flags.skip_malformed);
}

// The chain's answer: its result's, or every item; `columns` name a table's columns.
absl::StatusOr<Value> Compute(Bag bag, const Plan& plan, Columns* columns) {
  for (const Operation& op : plan.operations) {
    const OpSpec& spec = SpecOf(op.name);
    if (spec.role == Role::kResult) return spec.result(bag, op);
    bag = spec.step(bag, op, columns);
  }
  WEFT_ASSIGN_OR_RETURN(ValueList items, bag.compute());
  return Value(std::move(items));
}

const char kFooter[] = R"(
The operations apply in the order given: `--filter E --pluck P` filters records, `--pluck P
--filter E` filters the plucked values. Modifiers complete the operation just before them:
--values (of --pairs), --descending (of --sort-by-key, --sort-by), --op and --field (of
--foldby), --key (of --topk); --npartitions N right after --sequence splits it into N
partitions, elsewhere it sets the output partitions of the next shuffle. A result (--count,
--take, --first, --num-partitions, --to-textfiles) ends the chain; without one, every item
is printed in partition order (sorted across partitions after a sort).
Expressions (EXPR, KEY_EXPR, VALUE_EXPR): `_` the item, paths (actor.login), _[0], + - * /
%, [a, b], comparisons, and/or/not, lower upper substr split concat length date hour int
float str, e.g.

  weft bag 'visits-*.json' --pairs '[user, date(timestamp)]' --count-by-key --format json
  weft bag --sequence '["the cat sat on the mat", "the dog sat on the mat"]' \
      --map 'split(_, " ")' --flatten --pairs _ --reduce-by-key sum --sort-by-key)";

}  // namespace

CLI::App* AddBagCommand(CLI::App& app, BagFlags* flags) {
  CLI::App* bag = app.add_subcommand(
      "bag", "run a Bag pipeline over JSON-lines files (or --sequence), in the order given");
  bag->add_option("pattern", flags->pattern, "path, glob, http(s):// or s3://bucket/prefix*");
  bag->add_option("--scheduler", flags->scheduler, "host:port (default: a local cluster)");
  bag->add_option("--n-workers", flags->n_workers, "workers of the local cluster");
  bag->add_flag("--skip-malformed", flags->skip_malformed, "drop lines that are not JSON");
  bag->add_option("--format", flags->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  // CLI11 keeps each option's values apart, not their interleaving: each operation records
  // itself the moment it is parsed (trigger_on_parse), in argv's order.
  for (const OpSpec& spec : Specs()) {
    const std::string option = absl::StrCat("--", spec.name);
    std::vector<BagStep>* steps = &flags->steps;
    const std::string name = spec.name;
    CLI::Option* added;
    if (spec.value == nullptr) {
      added = bag->add_flag_callback(
          option,
          [steps, name] {
            steps->push_back({name, ""});
          },
          spec.help);
    } else if (std::string(spec.value) == "N" || std::string(spec.value) == "K") {
      added = bag->add_option_function<int>(
                     option,
                     [steps, name](const int& n) {
                       steps->push_back({name, absl::StrCat(n)});
                     },
                     spec.help)
                  ->check(CLI::Range(1, std::numeric_limits<int>::max()));
    } else {
      added = bag->add_option_function<std::string>(
          option,
          [steps, name](const std::string& v) {
            steps->push_back({name, v});
          },
          spec.help);
    }
    added->type_name(spec.value == nullptr ? "" : spec.value)->trigger_on_parse();
  }
  bag->footer(kFooter);
  return bag;
}

int RunBag(const BagFlags& flags) {
  absl::StatusOr<Plan> plan = MakePlan(flags);
  if (!plan.ok()) {
    std::cerr << "weft bag: " << plan.status().message() << "\n";
    return 2;
  }
  ClientOptions options;
  options.address = flags.scheduler;
  options.n_workers = flags.n_workers;
  options.worker_args = flags.worker_args;
  auto client = Client::Connect(options);
  if (!client.ok()) return Fail(client.status());

  absl::Time start = absl::Now();
  absl::StatusOr<Bag> source = Source(**client, flags, *plan);
  if (!source.ok()) return Fail(source.status());
  Columns columns;
  absl::StatusOr<Value> result;
  std::string summary;  // the progress bars, when stderr is not a terminal
  WithProgress(
      **client,
      [&] {
        result = Compute(*source, *plan, &columns);
        return result.status();
      },
      &summary)
      .IgnoreError();  // the same status as result's
  if (!result.ok()) {
    std::cerr << summary;
    return Fail(result.status());
  }
  const std::string& last = plan->operations.back().name;
  if (flags.format == "json" || last == "take" || last == "first") {
    std::cout << result->ToJson() << "\n";
  } else {
    PrintTable(std::cout, *result, columns.headers);
  }
  std::cout.flush();  // the result first, then the bars and the time on stderr
  std::cerr << summary;
  std::cerr << "(" << FormatSeconds(absl::Now() - start) << ")\n";
  return 0;
}

}  // namespace weft::cli
