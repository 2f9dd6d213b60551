#include "worker/bag/json_access.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace weft::bag {

namespace ondemand = simdjson::ondemand;
using simdjson::error_code;

namespace {

// Values nest at most this deep: the codec refuses deeper Values (kMaxDepth = 64), so a
// deeper document is an error here rather than an unencodable result later.
constexpr int kMaxJsonDepth = 60;

// "12" → 12; anything that is not a plain non-negative integer → -1.
int64_t ParseIndex(std::string_view part) {
  if (part.empty() || part.size() > 18) return -1;
  int64_t n = 0;
  for (char c : part) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

absl::Status JsonError(error_code code) {
  return absl::InvalidArgumentError(simdjson::error_message(code));
}

// Converts a simdjson on-demand document or value (both have the same accessors) into a
// Value. Consumes `v`.
template <typename T>
error_code ToValue(T& v, int depth, Value* out) {
  if (depth > kMaxJsonDepth) return simdjson::DEPTH_ERROR;
  ondemand::json_type type;
  if (auto err = v.type().get(type)) return err;
  switch (type) {
    case ondemand::json_type::object: {
      ondemand::object obj;
      if (auto err = v.get_object().get(obj)) return err;
      Record record;
      for (auto field_result : obj) {
        ondemand::field field;
        if (auto err = std::move(field_result).get(field)) return err;
        std::string_view key;
        if (auto err = field.unescaped_key().get(key)) return err;
        std::string name(key);
        Value child;
        if (auto err = ToValue(field.value(), depth + 1, &child)) return err;
        record.emplace_back(std::move(name), std::move(child));
      }
      *out = Value(std::move(record));
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::array: {
      ondemand::array arr;
      if (auto err = v.get_array().get(arr)) return err;
      ValueList items;
      for (auto element_result : arr) {
        ondemand::value element;
        if (auto err = std::move(element_result).get(element)) return err;
        Value child;
        if (auto err = ToValue(element, depth + 1, &child)) return err;
        items.push_back(std::move(child));
      }
      *out = Value(std::move(items));
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::number: {
      ondemand::number number;
      if (auto err = v.get_number().get(number)) {
        // Integers beyond 64 bits: keep them as doubles.
        double d;
        if (v.get_double().get(d)) return err;
        *out = Value(d);
        return simdjson::SUCCESS;
      }
      switch (number.get_number_type()) {
        case ondemand::number_type::signed_integer:
          *out = Value(number.get_int64());
          break;
        case ondemand::number_type::unsigned_integer:
          *out = Value(static_cast<double>(number.get_uint64()));
          break;
        default:
          *out = Value(number.get_double());
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::string: {
      std::string_view s;
      if (auto err = v.get_string().get(s)) return err;
      *out = Value(s);
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::boolean: {
      bool b;
      if (auto err = v.get_bool().get(b)) return err;
      *out = Value(b);
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::null: {
      bool is_null;
      if (auto err = v.is_null().get(is_null)) return err;
      if (!is_null) return simdjson::N_ATOM_ERROR;
      *out = Value();
      return simdjson::SUCCESS;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

// One step of a path from `cur` (document or value). Sets *missing when the step leads
// nowhere (no such field, index out of range, not a container).
template <typename T>
error_code Step(T& cur, const std::string& part, ondemand::value* next, bool* missing) {
  ondemand::json_type type;
  if (auto err = cur.type().get(type)) return err;
  if (type == ondemand::json_type::object) {
    error_code err = cur.find_field_unordered(part).get(*next);
    if (err == simdjson::NO_SUCH_FIELD) {
      *missing = true;
      return simdjson::SUCCESS;
    }
    return err;
  }
  const int64_t index = ParseIndex(part);
  if (type == ondemand::json_type::array && index >= 0) {
    ondemand::array arr;
    if (auto err = cur.get_array().get(arr)) return err;
    int64_t i = 0;
    for (auto element : arr) {
      if (i++ == index) return std::move(element).get(*next);
      if (auto err = element.error()) return err;
    }
  }
  *missing = true;
  return simdjson::SUCCESS;
}

// The final value: strings are viewed, not copied.
template <typename T>
error_code Finish(T& v, Extracted* out) {
  ondemand::json_type type;
  if (auto err = v.type().get(type)) return err;
  if (type == ondemand::json_type::string) {
    out->is_string = true;
    return v.get_string().get(out->str);
  }
  return ToValue(v, 0, &out->value);
}

// A DOM element as a Value, as ToValue converts the same JSON.
error_code DomToValue(simdjson::dom::element e, int depth, Value* out) {
  if (depth > kMaxJsonDepth) return simdjson::DEPTH_ERROR;
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      const simdjson::dom::object object(e);
      Record record;
      record.reserve(object.size());
      for (auto field : object) {
        Value child;
        if (auto err = DomToValue(field.value, depth + 1, &child)) return err;
        record.emplace_back(std::string(field.key), std::move(child));
      }
      *out = Value(std::move(record));
      return simdjson::SUCCESS;
    }
    case simdjson::dom::element_type::ARRAY: {
      const simdjson::dom::array array(e);
      ValueList items;
      items.reserve(array.size());
      for (simdjson::dom::element item : array) {
        Value child;
        if (auto err = DomToValue(item, depth + 1, &child)) return err;
        items.push_back(std::move(child));
      }
      *out = Value(std::move(items));
      return simdjson::SUCCESS;
    }
    case simdjson::dom::element_type::INT64:
      *out = Value(int64_t(e));
      return simdjson::SUCCESS;
    case simdjson::dom::element_type::UINT64:
      *out = Value(static_cast<double>(uint64_t(e)));
      return simdjson::SUCCESS;
    case simdjson::dom::element_type::DOUBLE:
      *out = Value(double(e));
      return simdjson::SUCCESS;
    case simdjson::dom::element_type::STRING:
      *out = Value(std::string_view(e));
      return simdjson::SUCCESS;
    case simdjson::dom::element_type::BOOL:
      *out = Value(bool(e));
      return simdjson::SUCCESS;
    case simdjson::dom::element_type::NULL_VALUE:
      *out = Value();
      return simdjson::SUCCESS;
  }
  return simdjson::INCORRECT_TYPE;
}

// Extract's path walk and result, over a parsed DOM.
error_code DomExtract(simdjson::dom::element cur, const Path& path, Extracted* out) {
  *out = Extracted();
  for (const std::string& part : path.parts()) {
    if (cur.is_object()) {
      if (simdjson::dom::object(cur).at_key(part).get(cur)) return simdjson::SUCCESS;  // null
      continue;
    }
    const int64_t index = ParseIndex(part);
    if (!cur.is_array() || index < 0) return simdjson::SUCCESS;  // missing: null
    if (simdjson::dom::array(cur).at(static_cast<size_t>(index)).get(cur)) {
      return simdjson::SUCCESS;
    }
  }
  if (cur.is_string()) {
    out->is_string = true;
    out->str = std::string_view(cur);
    return simdjson::SUCCESS;
  }
  return DomToValue(cur, 0, &out->value);
}

}  // namespace

// ---------------------------------------------------------------------------
// Paths

Path Path::Parse(std::string_view dotted) {
  Path path;
  path.dotted_ = std::string(dotted);
  if (!dotted.empty()) {
    path.parts_ = absl::StrSplit(absl::string_view(dotted.data(), dotted.size()), '.');
  }
  return path;
}

const Value* FindPath(const Value& item, const Path& path) {
  const Value* cur = &item;
  for (const std::string& part : path.parts()) {
    if (cur->is_record()) {
      cur = cur->Find(part);
    } else if (cur->is_list()) {
      const int64_t index = ParseIndex(part);
      const ValueList& list = cur->as_list();
      cur = index >= 0 && static_cast<size_t>(index) < list.size() ? &list[index] : nullptr;
    } else {
      cur = nullptr;
    }
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

Value ValueAtPath(const Value& item, const Path& path) {
  const Value* found = FindPath(item, path);
  return found == nullptr ? Value() : *found;
}

// ---------------------------------------------------------------------------
// LineParser

struct LineParser::Impl {
  ondemand::parser ondemand_parser;
  simdjson::dom::parser dom_parser;
  simdjson::dom::parser stream_parser;  // ValidateEach's batches
  std::unique_ptr<char[]> scratch;
  size_t scratch_capacity = 0;

  // Parses (validates, UTF-8 included) a padded line with the DOM parser.
  error_code ParseDom(std::string_view line, simdjson::dom::element* root) {
    return dom_parser.parse(line.data(), line.size(), /*realloc_if_needed=*/false).get(*root);
  }
};

LineParser::LineParser() : impl_(std::make_unique<Impl>()) {
#ifdef SIMDJSON_THREADS_ENABLED
  // A batch's stage 1 on this thread: the worker's task threads are its parallelism.
  impl_->stream_parser.threaded = false;
#endif
}
LineParser::~LineParser() = default;

LineParser& LineParser::ForThisThread() {
  thread_local LineParser parser;
  return parser;
}

std::string_view LineParser::PaddedCopy(std::string_view text, size_t* capacity) {
  const size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
  if (impl_->scratch_capacity < needed) {
    impl_->scratch_capacity = std::max(needed, impl_->scratch_capacity * 2);
    impl_->scratch = std::make_unique<char[]>(impl_->scratch_capacity);
  }
  if (!text.empty()) std::memcpy(impl_->scratch.get(), text.data(), text.size());
  // Spaces after the copy: whatever simdjson peeks at past the end is whitespace.
  std::memset(impl_->scratch.get() + text.size(), ' ', simdjson::SIMDJSON_PADDING);
  *capacity = impl_->scratch_capacity;
  return std::string_view(impl_->scratch.get(), text.size());
}

std::string_view LineParser::PaddedLine(const JsonLines& lines, size_t i, size_t* capacity) {
  const std::string_view line = LineAt(lines, i);
  const char* buffer_end = lines.text.data() + lines.text.size();
  // In place when the buffer itself holds the padding (the '\n' ends the line for
  // simdjson: what follows it is never part of the document).
  if (!line.empty() && line.data() + line.size() + simdjson::SIMDJSON_PADDING <= buffer_end) {
    *capacity = static_cast<size_t>(buffer_end - line.data());
    return line;
  }
  return PaddedCopy(line, capacity);
}

absl::Status LineParser::Validate(const JsonLines& lines, size_t i) {
  size_t capacity = 0;
  std::string_view line = PaddedLine(lines, i, &capacity);
  simdjson::dom::element root;
  if (error_code err = impl_->ParseDom(line, &root)) return JsonError(err);
  return absl::OkStatus();
}

absl::Status LineParser::ValidateAndExtract(const JsonLines& lines, size_t i,
                                            const std::vector<Path>& paths,
                                            std::vector<Extracted>* out) {
  size_t capacity = 0;
  std::string_view line = PaddedLine(lines, i, &capacity);
  simdjson::dom::element root;
  if (error_code err = impl_->ParseDom(line, &root)) return JsonError(err);
  out->resize(paths.size());
  for (size_t p = 0; p < paths.size(); ++p) {
    if (auto e = DomExtract(root, paths[p], &(*out)[p])) return JsonError(e);
  }
  return absl::OkStatus();
}

namespace {

// A batch of ValidateEach: simdjson's default, larger than nearly every line (a longer one
// ends the batching there).
constexpr size_t kStreamBatchBytes = size_t{1} << 20;
// Fewer lines than this are parsed one at a time.
constexpr size_t kMinStreamLines = 16;

bool OnlyJsonSpace(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

}  // namespace

absl::Status LineParser::ValidateEach(const JsonLines& lines, const std::vector<Path>& paths,
                                      LineVisitor visit) {
  const size_t n = lines.num_lines();
  std::vector<Extracted> values;
  size_t i = 0;
  // Lines [0, streamed) end SIMDJSON_PADDING bytes or more before the buffer does.
  size_t streamed = n;
  while (streamed > 0 && lines.offset(streamed) + simdjson::SIMDJSON_PADDING > lines.text.size()) {
    --streamed;
  }
  if (streamed >= kMinStreamLines && lines.offset(0) <= lines.offset(streamed)) {
    const char* begin = lines.text.data() + lines.offset(0);
    simdjson::dom::document_stream stream;
    if (!impl_->stream_parser
             .parse_many(reinterpret_cast<const uint8_t*>(begin),
                         lines.offset(streamed) - lines.offset(0), kStreamBatchBytes)
             .get(stream)) {
      for (auto it = stream.begin(); it != stream.end() && i < streamed; ++it) {
        simdjson::dom::element root;
        if ((*it).get(root)) break;
        // The document must be line i, whole: it starts the line, and only whitespace
        // follows it there (one document per line, as line-at-a-time parsing requires).
        const std::string_view line = LineAt(lines, i);
        const std::string_view doc = it.source();
        if (doc.data() != line.data() || doc.size() > line.size() ||
            !OnlyJsonSpace(line.substr(doc.size()))) {
          break;
        }
        values.resize(paths.size());
        bool extracted = true;
        for (size_t p = 0; p < paths.size() && extracted; ++p) {
          extracted = DomExtract(root, paths[p], &values[p]) == simdjson::SUCCESS;
        }
        if (!extracted) break;
        if (absl::Status s = visit(i, absl::OkStatus(), values); !s.ok()) return s;
        ++i;
      }
    }
  }
  for (; i < n; ++i) {
    absl::Status status = ValidateAndExtract(lines, i, paths, &values);
    if (absl::Status s = visit(i, status, values); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status LineParser::TopLevelScalarFields(const JsonLines& lines, size_t i,
                                              std::vector<std::string>* names) {
  names->clear();
  size_t capacity = 0;
  std::string_view line = PaddedLine(lines, i, &capacity);
  simdjson::dom::element root;
  if (error_code err = impl_->ParseDom(line, &root)) return JsonError(err);
  if (!root.is_object()) return absl::OkStatus();
  for (simdjson::dom::key_value_pair field : simdjson::dom::object(root)) {
    const std::string_view name = field.key;
    if (field.value.is_object() || field.value.is_array()) continue;
    if (name.empty() || name.find('.') != std::string_view::npos) continue;
    if (std::find(names->begin(), names->end(), name) != names->end()) continue;
    names->emplace_back(name);
  }
  return absl::OkStatus();
}

absl::Status LineParser::ValidateText(std::string_view text) {
  size_t capacity = 0;
  std::string_view padded = PaddedCopy(text, &capacity);
  simdjson::dom::element root;
  if (error_code err = impl_->ParseDom(padded, &root)) return JsonError(err);
  return absl::OkStatus();
}

absl::StatusOr<Value> LineParser::ParseLine(const JsonLines& lines, size_t i) {
  size_t capacity = 0;
  std::string_view line = PaddedLine(lines, i, &capacity);
  // The DOM parser first: its SIMD kernels are chosen at run time (the on-demand front end
  // is the compile-time target's, scalar here) and it knows each object's and array's
  // size before they are built. It refuses integers beyond 64 bits (a NUMBER_ERROR in
  // simdjson 3.0), which the on-demand way keeps as doubles: a number error goes that way.
  simdjson::dom::element root;
  error_code dom_error = impl_->ParseDom(line, &root);
  if (!dom_error) {
    Value out;
    if (auto err = DomToValue(root, 0, &out)) return JsonError(err);
    return out;
  }
  if (dom_error != simdjson::NUMBER_ERROR) return JsonError(dom_error);
  ondemand::document doc;
  if (auto err = impl_->ondemand_parser.iterate(line.data(), line.size(), capacity).get(doc)) {
    return JsonError(err);
  }
  Value out;
  if (auto err = ToValue(doc, 0, &out)) return JsonError(err);
  return out;
}

absl::Status LineParser::Extract(const JsonLines& lines, size_t i, const Path& path,
                                 Extracted* out) {
  *out = Extracted();
  size_t capacity = 0;
  std::string_view line = PaddedLine(lines, i, &capacity);
  ondemand::document doc;
  if (auto err = impl_->ondemand_parser.iterate(line.data(), line.size(), capacity).get(doc)) {
    return JsonError(err);
  }
  const auto& parts = path.parts();
  if (parts.empty()) {
    if (auto err = Finish(doc, out)) return JsonError(err);
    return absl::OkStatus();
  }
  ondemand::value cur;
  bool missing = false;
  if (auto err = Step(doc, parts[0], &cur, &missing)) return JsonError(err);
  for (size_t k = 1; k < parts.size() && !missing; ++k) {
    ondemand::value next;
    if (auto err = Step(cur, parts[k], &next, &missing)) return JsonError(err);
    if (!missing) cur = std::move(next);
  }
  if (missing) return absl::OkStatus();  // null
  if (auto err = Finish(cur, out)) return JsonError(err);
  return absl::OkStatus();
}

}  // namespace weft::bag
