// Task functions: what a weft worker runs, and how C++ code registers them by name.
//
//   int64_t Inc(int64_t x) { return x + 1; }
//   WEFT_FUNCTION("inc", Inc);
//
// The macro wraps a plain C++ function in a type-erased TaskFunction that checks the
// arguments' count and kinds and converts them, and registers it under `name` at load
// time. It works the same in code compiled into weft-worker and in user plugins (shared
// libraries loaded with `weft-worker --preload libmine.so`, linking //worker:function_api).
//
// Parameter types (const references allowed):
//   Value (any kind), bool, int64_t ("int"), int (a 32-bit "int"), double (ints convert),
//   std::string, ValueList ("list"), Record ("record"), Buffer ("bytes");
//   optionally a leading `const TaskContext&`.
// Return types: any of those, absl::StatusOr<T> of them, absl::Status or void (→ null).
// A function with the exact type-erased signature
//   absl::StatusOr<Value> F(const ValueList& args, const TaskContext& ctx)
// is registered as is (no checks): use it for variadic functions.
// Wrong arity or kinds are kInvalidArgument errors worded like Python's:
//   "inc() takes 1 argument (int), got 2", "inc(): argument 1 must be int, got string".
// Exceptions thrown by a function are caught by the worker's registry (FunctionRegistry::
// Call) and become the task's error; they never take the worker down.
//
// How plugin registrations reach the worker: each library (the executable or a plugin)
// that links function.cc gets its own registration list, exposed through the C symbol
// `weft_function_registrations`; the worker dlsym()s it in every plugin it loads. If the
// executable happens to export its symbols, a plugin's registrations land in the
// executable's list instead; the registry deduplicates by (name, function) so both cases
// work. Registering one name with two different functions is an error at load.
//
// Threading: registration happens during static initialization (or dlopen) only. A
// TaskFunction may be called from several executor threads at once; registered functions
// must be thread-safe (plain functions of their arguments are).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "weft/convert.h"
#include "weft/value.h"

namespace weft {

namespace io {
struct IoOptions;  // common/io/io.h
}  // namespace io

// What a running task knows about itself.
class TaskContext {
 public:
  TaskContext() = default;
  TaskContext(std::string key, std::string function,
              std::shared_ptr<const std::atomic<bool>> cancel_flag = nullptr)
      : key_(std::move(key)),
        function_(std::move(function)),
        cancel_flag_(std::move(cancel_flag)) {}

  const std::string& key() const { return key_; }
  const std::string& function() const { return function_; }
  // True once nobody wants the result any more (the key was freed or cancelled). Long
  // functions may poll it and return early; their result is discarded anyway.
  bool cancelled() const {
    return cancel_flag_ != nullptr && cancel_flag_->load(std::memory_order_relaxed);
  }

  // Calls another function registered on this worker by name (a Bag's reduce_by_key with a
  // plugin function, say). kNotFound naming the function when there is none, or when this
  // context belongs to no registry (a function called directly, outside a worker).
  using Caller = std::function<absl::StatusOr<Value>(const std::string& name, const ValueList& args,
                                                     const TaskContext& context)>;
  absl::StatusOr<Value> CallFunction(const std::string& name, const ValueList& args) const {
    if (caller_ == nullptr) {
      return absl::NotFoundError("no function registry: " + name + " cannot be called here");
    }
    return (*caller_)(name, args, *this);
  }
  // This context, calling functions through `caller`.
  TaskContext WithCaller(Caller caller) const {
    TaskContext copy = *this;
    copy.caller_ = std::make_shared<const Caller>(std::move(caller));
    return copy;
  }

  // How this worker reaches remote files (common/io/io.h: weft-worker's --s3-endpoint,
  // --io-retries, ... over the AWS_* environment): what functions that read or write
  // data pass to weft::io. Null outside a worker (a function called directly); callers
  // then use IoOptions::FromEnvironment().
  const io::IoOptions* io_options() const { return io_options_.get(); }
  // This context, with the worker's I/O options (shared by every task's context).
  TaskContext WithIoOptions(std::shared_ptr<const io::IoOptions> options) const {
    TaskContext copy = *this;
    copy.io_options_ = std::move(options);
    return copy;
  }

 private:
  std::string key_;
  std::string function_;
  std::shared_ptr<const std::atomic<bool>> cancel_flag_;
  std::shared_ptr<const Caller> caller_;
  std::shared_ptr<const io::IoOptions> io_options_;
};

using TaskFunction =
    std::function<absl::StatusOr<Value>(const ValueList& args, const TaskContext& context)>;
using RawTaskFunction = absl::StatusOr<Value> (*)(const ValueList& args,
                                                  const TaskContext& context);

namespace internal {

// --- Argument conversion: ArgTraits<T>::Convert(value, &out) and a name for messages,
// over the conversions typed futures use too (weft/convert.h).
template <typename T>
struct ArgTraits {
  static constexpr const char* kName = ValueConverter<T>::kName;
  static bool Convert(const Value& v, T* out) {
    absl::StatusOr<T> converted = ValueConverter<T>::From(v);
    if (!converted.ok()) return false;
    *out = *std::move(converted);
    return true;
  }
};

// --- Result conversion: ResultTraits<R>::ToValue(r).
template <typename R>
struct ResultTraits {
  static absl::StatusOr<Value> ToValue(R r) { return Value(std::move(r)); }
};
template <>
struct ResultTraits<Buffer> {
  static absl::StatusOr<Value> ToValue(Buffer b) { return Value::Bytes(std::move(b)); }
};
template <>
struct ResultTraits<absl::Status> {
  static absl::StatusOr<Value> ToValue(absl::Status s) {
    if (!s.ok()) return s;
    return Value();
  }
};
template <typename T>
struct ResultTraits<absl::StatusOr<T>> {
  static absl::StatusOr<Value> ToValue(absl::StatusOr<T> r) {
    if (!r.ok()) return r.status();
    return ResultTraits<T>::ToValue(*std::move(r));
  }
};

std::string ArityMessage(const std::string& name, const std::vector<const char*>& param_names,
                         size_t got);
std::string KindMessage(const std::string& name, size_t index, const char* expected,
                        const Value& got);

template <typename... Ps>
struct StartsWithContext : std::false_type {};
template <typename First, typename... Rest>
struct StartsWithContext<First, Rest...>
    : std::is_same<std::remove_cv_t<std::remove_reference_t<First>>, TaskContext> {};

// Checks and converts the arguments, then calls `fn`. kWithContext: fn's first parameter
// is the TaskContext; Ps are the value parameters after it.
template <bool kWithContext, typename R, typename Fn, typename... Ps>
class TypedAdapter {
 public:
  TypedAdapter(std::string name, Fn fn) : name_(std::move(name)), fn_(fn) {}

  absl::StatusOr<Value> operator()(const ValueList& args, const TaskContext& context) const {
    if (args.size() != sizeof...(Ps)) {
      return absl::InvalidArgumentError(ArityMessage(name_, ParamNames(), args.size()));
    }
    return Invoke(args, context, std::index_sequence_for<Ps...>{});
  }

  static std::vector<const char*> ParamNames() { return {ArgTraits<std::decay_t<Ps>>::kName...}; }

 private:
  template <size_t... I>
  absl::StatusOr<Value> Invoke(const ValueList& args, const TaskContext& context,
                               std::index_sequence<I...>) const {
    std::tuple<std::decay_t<Ps>...> values;
    size_t bad = sizeof...(Ps);
    // Converts left to right and stops at the first argument of the wrong kind.
    (void)((ArgTraits<std::decay_t<Ps>>::Convert(args[I], &std::get<I>(values)) ||
            (bad = I, false)) &&
           ...);
    if (bad != sizeof...(Ps)) {
      return absl::InvalidArgumentError(KindMessage(name_, bad, ParamNames()[bad], args[bad]));
    }
    auto call = [&]() -> R {
      if constexpr (kWithContext) {
        return fn_(context, std::move(std::get<I>(values))...);
      } else {
        (void)context;
        return fn_(std::move(std::get<I>(values))...);
      }
    };
    if constexpr (std::is_void_v<R>) {
      call();
      return Value();
    } else {
      return ResultTraits<std::decay_t<R>>::ToValue(call());
    }
  }

  const std::string name_;
  const Fn fn_;
};

template <typename R, typename Fn, typename... Ps>
TaskFunction MakeAdapter(std::string name, Fn fn, std::vector<const char*>* param_names) {
  using Adapter = TypedAdapter<false, R, Fn, Ps...>;
  *param_names = Adapter::ParamNames();
  return Adapter(std::move(name), fn);
}

template <typename R, typename Fn, typename Ctx, typename... Ps>
TaskFunction MakeContextAdapter(std::string name, Fn fn, std::vector<const char*>* param_names) {
  using Adapter = TypedAdapter<true, R, Fn, Ps...>;
  *param_names = Adapter::ParamNames();
  return Adapter(std::move(name), fn);
}

// One WEFT_FUNCTION: what the worker's registry receives.
struct FunctionRegistration {
  std::string name;
  TaskFunction function;
  const void* identity = nullptr;  // the C++ function's address, for deduplication
  std::string signature;           // "inc(int)", for listings and messages
  // False: the registry hands the function JsonLines where a task's argument (or an item of
  // a list argument) is a CompressedLines, a persisted partition's storage form. True for
  // functions that read CompressedLines themselves (WEFT_FUNCTION_OF_COMPRESSED_LINES).
  bool takes_compressed_lines = false;
};

// The registrations of the library this code is linked into (see the file comment).
std::vector<FunctionRegistration>& LocalRegistrations();

// The object WEFT_FUNCTION defines: registers at static initialization.
class Registrar {
 public:
  // A typed C++ function.
  template <typename R, typename... Ps>
  Registrar(const char* name, R (*fn)(Ps...), bool takes_compressed_lines = false) {
    std::vector<const char*> param_names;
    TaskFunction adapted;
    if constexpr (StartsWithContext<Ps...>::value) {
      adapted =
          MakeContextAdapterFor<R>(name, fn, &param_names, static_cast<void (*)(Ps...)>(nullptr));
    } else {
      adapted = MakeAdapter<R, R (*)(Ps...), Ps...>(name, fn, &param_names);
    }
    Add(name, std::move(adapted), reinterpret_cast<const void*>(fn),
        absl::StrCat(name, "(", absl::StrJoin(param_names, ", "), ")"), takes_compressed_lines);
  }
  // The type-erased signature: registered as is.
  Registrar(const char* name, RawTaskFunction fn, bool takes_compressed_lines = false) {
    Add(name, fn, reinterpret_cast<const void*>(fn), absl::StrCat(name, "(...)"),
        takes_compressed_lines);
  }

 private:
  template <typename R, typename Fn, typename Ctx, typename... Ps>
  static TaskFunction MakeContextAdapterFor(const char* name, Fn fn,
                                            std::vector<const char*>* param_names,
                                            void (*)(Ctx, Ps...)) {
    return MakeContextAdapter<R, Fn, Ctx, Ps...>(name, fn, param_names);
  }
  static void Add(const char* name, TaskFunction fn, const void* identity, std::string signature,
                  bool takes_compressed_lines);
};

}  // namespace internal
}  // namespace weft

#define WEFT_FUNCTION_CONCAT_INNER_(a, b) a##b
#define WEFT_FUNCTION_CONCAT_(a, b) WEFT_FUNCTION_CONCAT_INNER_(a, b)

// Registers the C++ function `fn` under `name` (a string literal). Use at namespace scope,
// once per function; `fn` must name one function (not an overload set).
#define WEFT_FUNCTION(name, fn)                                                                 \
  static const ::weft::internal::Registrar WEFT_FUNCTION_CONCAT_(weft_registrar_, __COUNTER__)( \
      name, fn)

// WEFT_FUNCTION for a function that reads CompressedLines arguments itself (see
// FunctionRegistration::takes_compressed_lines); any other function gets them as JsonLines.
#define WEFT_FUNCTION_OF_COMPRESSED_LINES(name, fn)                                             \
  static const ::weft::internal::Registrar WEFT_FUNCTION_CONCAT_(weft_registrar_, __COUNTER__)( \
      name, fn, true)

// The symbol through which the worker finds a plugin's registrations.
extern "C" void weft_function_registrations(
    const weft::internal::FunctionRegistration** registrations, size_t* count);
