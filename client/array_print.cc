// Printing an array's task graph: as text, dask-style (`x.dask`), and as Graphviz DOT.

#include <fstream>
#include <functional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/array_expr.h"
#include "common/process.h"
#include "weft/array.h"

namespace weft::internal {

namespace {

bool IsHash(std::string_view part) {
  if (part.size() != 32) return false;
  for (char c : part) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  return true;
}

// "add-<hash>-0-1" → "('add-<hash>', 0, 1)"; a key without an array index stays a string.
std::string KeyTuple(const std::string& key) {
  std::vector<std::string> parts = absl::StrSplit(key, '-');
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!IsHash(parts[i])) continue;
    std::vector<std::string> name(parts.begin(), parts.begin() + i + 1);
    std::vector<std::string> index(parts.begin() + i + 1, parts.end());
    std::string out = absl::StrCat("('", absl::StrJoin(name, "-"), "'");
    for (const auto& x : index) absl::StrAppend(&out, ", ", x);
    return absl::StrCat(out, index.empty() ? ",)" : ")");
  }
  return absl::StrCat("'", key, "'");
}

const Value* Field(const Value& record, const char* name) { return record.Find(name); }

std::string Scalar(const Value& v) {
  if (v.is_bool()) return v.as_bool() ? "True" : "False";
  return v.DebugString();
}

const std::map<std::string, std::string>& Infix() {
  static const auto* infix = new std::map<std::string, std::string>{
      {"add", "+"},  {"sub", "-"}, {"mul", "*"}, {"div", "/"}, {"floordiv", "//"}, {"mod", "%"},
      {"pow", "**"}, {"and", "&"}, {"or", "|"},  {"xor", "^"}, {"lt", "<"},        {"le", "<="},
      {"gt", ">"},   {"ge", ">="}, {"eq", "=="}, {"ne", "!="}};
  return *infix;
}

// A fused program as one expression: "sum(arange(0, 1) + 100)".
std::string Program(const BagNode& node) {
  const Value& spec = node.args[0].literal;
  const Value* code = Field(spec, "code");
  if (code == nullptr || !code->is_list()) return "fused(?)";
  std::vector<std::string> regs;
  for (const Value& instr_value : code->as_list()) {
    const ValueList& in = instr_value.as_list();
    std::string op = in[0].as_string();
    auto reg = [&](size_t i) { return regs[in[i].as_int()]; };
    std::string text;
    if (op == "input") {
      text = KeyTuple(node.args[1 + in[2].as_int()].node->key);
    } else if (op == "scalar") {
      text = Scalar(in[2]);
    } else if (op == "arange" || op == "uniform" || op == "normal" || op == "linspace") {
      size_t nparams = op == "linspace" ? 4 : op == "arange" ? 2 : 3;
      std::vector<std::string> params;
      for (size_t i = 2; i < 2 + nparams; ++i) params.push_back(Scalar(in[i]));
      // The block of the generator's array this chunk covers (rank-2 terms: rows, cols).
      const Value* shape = Field(node.args[0].literal, "shape");
      int64_t r0 = in[3 + nparams].as_int(), c0 = in[4 + nparams].as_int();
      bool brow = in[5 + nparams].as_int() != 0, bcol = in[6 + nparams].as_int() != 0;
      int64_t rows = brow ? 1 : shape->as_list()[0].as_int();
      int64_t cols = bcol ? 1 : shape->as_list()[1].as_int();
      std::string block = absl::StrCat("[", c0, ":", c0 + cols, "]");
      if (r0 != 0 || rows != 1)
        block = absl::StrCat("[", r0, ":", r0 + rows, ", ", c0, ":", c0 + cols, "]");
      text = absl::StrCat(op, "(", absl::StrJoin(params, ", "), ")", block);
    } else if (auto it = Infix().find(op); it != Infix().end() && in.size() == 4) {
      text = absl::StrCat("(", reg(2), " ", it->second, " ", reg(3), ")");
    } else if (op == "neg") {
      text = absl::StrCat("-", reg(2));
    } else if (op == "invert") {
      text = absl::StrCat("~", reg(2));
    } else if (op == "cast") {
      text = absl::StrCat(reg(2), ".astype(", in[1].as_string(), ")");
    } else {
      std::vector<std::string> args;
      for (size_t i = 2; i < in.size(); ++i) args.push_back(reg(i));
      text = absl::StrCat(op, "(", absl::StrJoin(args, ", "), ")");
    }
    regs.push_back(std::move(text));
  }
  std::string out = regs.empty() ? "" : regs.back();
  if (const Value* reduce = Field(spec, "reduce")) {
    out = absl::StrCat(Field(*reduce, "op")->as_string(), "-partial(", out, ")");
  }
  const Value* shape = Field(spec, "shape");
  return absl::StrCat("fused(", out, ", block ", shape->as_list()[0].as_int(), "x",
                      shape->as_list()[1].as_int(), ")");
}

std::string DependencyList(const BagNode& node, size_t first) {
  std::vector<std::string> keys;
  for (size_t i = first; i < node.args.size(); ++i) {
    if (node.args[i].node != nullptr) keys.push_back(KeyTuple(node.args[i].node->key));
  }
  return absl::StrCat("[", absl::StrJoin(keys, ", "), "]");
}

std::string Describe(const BagNode& node) {
  if (node.function == "array.fused") return Program(node);
  if (node.function == "array.combine") {
    const Value& spec = node.args[0].literal;
    bool final = Field(spec, "final")->as_bool();
    return absl::StrCat(final ? "aggregate" : "combine", "(", Field(spec, "op")->as_string(), ", ",
                        DependencyList(node, 1), ")");
  }
  if (node.function == "array.assemble") {
    return absl::StrCat("assemble(", DependencyList(node, 1), ")");
  }
  if (node.function == "array.matmul") {
    return absl::StrCat("matmul(", DependencyList(node, 1), ")");
  }
  return absl::StrCat(node.function, "(", DependencyList(node, 0), ")");
}

// Every task `e` needs that is not on the cluster yet, dependencies first.
std::vector<const BagNode*> Tasks(const ArrayExprPtr& e) {
  std::vector<const BagNode*> out;
  absl::flat_hash_set<const BagNode*> seen;
  std::function<void(const BagNode*)> visit = [&](const BagNode* n) {
    if (n->persisted != nullptr || !seen.insert(n).second) return;
    for (const NodeArg& a : n->args) {
      if (a.node != nullptr) visit(a.node.get());
      for (const auto& x : a.nodes) visit(x.get());
    }
    out.push_back(n);
  };
  for (const auto& b : e->blocks) visit(b.get());
  return out;
}

std::string DotQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string GraphText(const ArrayExprPtr& e) {
  std::vector<std::string> lines;
  for (const BagNode* n : Tasks(e)) {
    lines.push_back(absl::StrCat(KeyTuple(n->key), ": ", Describe(*n)));
  }
  for (const auto& b : e->blocks) {
    if (b->persisted != nullptr) {
      lines.push_back(absl::StrCat(KeyTuple(b->key), ": <in memory on the cluster>"));
    }
  }
  return absl::StrCat("{", absl::StrJoin(lines, ",\n "), "}");
}

std::string GraphDot(const ArrayExprPtr& e) {
  std::string out = "digraph weft {\n  rankdir=BT;\n  node [shape=box, fontname=\"Helvetica\"];\n";
  absl::flat_hash_set<std::string> written;
  auto node_line = [&](const BagNode& n) {
    if (!written.insert(n.key).second) return;
    std::string label = KeyTuple(n.key);
    std::string fn = n.persisted != nullptr ? "in memory" : n.function;
    absl::StrAppend(&out, "  ", DotQuote(n.key), " [label=", DotQuote(label + "\n" + fn), "];\n");
  };
  for (const BagNode* n : Tasks(e)) {
    node_line(*n);
    for (const NodeArg& a : n->args) {
      if (a.node == nullptr) continue;
      node_line(*a.node);
      absl::StrAppend(&out, "  ", DotQuote(a.node->key), " -> ", DotQuote(n->key), ";\n");
    }
  }
  for (const auto& b : e->blocks) node_line(*b);
  return out + "}\n";
}

}  // namespace weft::internal

namespace weft {

absl::Status Array::visualize(const std::string& path) const {
  if (!ok()) return status_;
  absl::StatusOr<internal::ArrayExprPtr> blocks = internal::Materialize(expr_);
  if (!blocks.ok()) return blocks.status();
  {
    std::ofstream file(path);
    file << internal::GraphDot(*blocks);
    if (!file.good()) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  std::string svg = path;
  if (svg.size() > 4 && svg.substr(svg.size() - 4) == ".dot") svg.resize(svg.size() - 4);
  svg += ".svg";
  absl::StatusOr<pid_t> pid = SpawnProcess({"dot", "-Tsvg", path, "-o", svg});
  if (!pid.ok()) return pid.status();
  std::optional<ChildExit> exit = WaitForExit(*pid, absl::Minutes(2));
  if (!exit.has_value()) {
    StopProcess(*pid, absl::Seconds(1));
    return absl::DeadlineExceededError("Graphviz's dot took over 2 minutes to draw " + path);
  }
  if (!exit->exited() || exit->exit_code() != 0) {
    return absl::UnavailableError(absl::StrCat(
        "Graphviz's dot could not draw ", path, " (", exit->ToString(),
        exit->exit_code() == 127 ? "; is graphviz installed? ./setup.sh installs it" : "", ")"));
  }
  return absl::OkStatus();
}

}  // namespace weft
