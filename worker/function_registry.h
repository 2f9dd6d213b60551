// FunctionRegistry: the functions a worker can run, by name.
//
// Filled at startup from the functions compiled into the executable (AddBuiltins, i.e. the
// WEFT_FUNCTION registrations of this binary) and from plugins (LoadPlugin: dlopen, then
// the plugin's `weft_function_registrations` list). A name registered twice with the same
// C++ function is kept once; with two different functions it is an error, unless the
// later one comes from a plugin loaded with Conflict::kReplace (an uploaded plugin: its
// new version replaces the old one for the calls that start afterwards). Built-ins are
// never replaced.
//
// Call() never lets an exception escape: a function that throws becomes a kAborted
// status "name(): what()". Every error message from Call starts with "name(" so that the
// worker can append the key and report it as is.
//
// Threading: thread-safe. Loading normally finishes before the first Call; plugins are
// never unloaded (their code stays mapped for the life of the process).
#pragma once

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "weft/function.h"

namespace weft {

class FunctionRegistry {
 public:
  FunctionRegistry() = default;
  FunctionRegistry(const FunctionRegistry&) = delete;
  FunctionRegistry& operator=(const FunctionRegistry&) = delete;

  // What a registration does to a name a different function already has.
  enum class Conflict {
    kRefuse,   // kAlreadyExists
    kReplace,  // the new function takes the name (not a built-in's: still kAlreadyExists)
  };

  // Adds one function. `source` says where it came from ("built-in", a plugin path), for
  // conflict messages.
  absl::Status Register(const internal::FunctionRegistration& registration,
                        const std::string& source, Conflict conflict = Conflict::kRefuse);

  // Adds every WEFT_FUNCTION compiled into (statically linked with) this binary.
  absl::Status AddBuiltins();

  // dlopen()s the shared library at `path` and adds its functions. kInvalidArgument when
  // it cannot be loaded or exports no weft functions; kAlreadyExists on a name conflict
  // it may not resolve (then none of its functions is added).
  absl::Status LoadPlugin(const std::string& path, Conflict conflict = Conflict::kRefuse);

  bool Contains(const std::string& name) const;
  // "inc(int)"-style signatures, sorted by name.
  std::vector<std::string> Signatures() const;

  // Runs the function `name`. kNotFound when no such function is registered. CompressedLines
  // arguments reach a function registered without takes_compressed_lines as JsonLines
  // (decompressed here: a corrupt one is the task's kDataLoss).
  absl::StatusOr<Value> Call(const std::string& name, const ValueList& args,
                             const TaskContext& context) const;

 private:
  struct Entry {
    TaskFunction function;
    const void* identity;
    std::string signature;
    std::string source;
    bool takes_compressed_lines;
  };

  static absl::Status TwiceError(const Entry& existing,
                                 const internal::FunctionRegistration& registration,
                                 const std::string& source);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> functions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft
