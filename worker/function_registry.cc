#include "worker/function_registry.h"

#include <dlfcn.h>

#include <algorithm>
#include <exception>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/compressed_lines.h"
#include "common/status_macros.h"

namespace weft {

namespace {
constexpr char kBuiltIn[] = "built-in";
}  // namespace

absl::Status FunctionRegistry::TwiceError(const Entry& existing,
                                          const internal::FunctionRegistration& registration,
                                          const std::string& source) {
  return absl::AlreadyExistsError(
      absl::StrCat("function '", registration.name, "' is registered twice: ", existing.signature,
                   " from ", existing.source, " and ", registration.signature, " from ", source));
}

absl::Status FunctionRegistry::Register(const internal::FunctionRegistration& registration,
                                        const std::string& source, Conflict conflict) {
  if (registration.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("a function from ", source, " has no name"));
  }
  absl::MutexLock lock(&mu_);
  auto it = functions_.find(registration.name);
  if (it != functions_.end()) {
    // The same registration seen twice (e.g. a plugin whose registrations landed in the
    // executable's list) is fine; two different functions under one name are not.
    if (it->second.identity == registration.identity) return absl::OkStatus();
    if (conflict == Conflict::kReplace && it->second.source != kBuiltIn) {
      it->second = Entry{registration.function, registration.identity, registration.signature,
                         source, registration.takes_compressed_lines};
      return absl::OkStatus();
    }
    return TwiceError(it->second, registration, source);
  }
  functions_.emplace(registration.name,
                     Entry{registration.function, registration.identity, registration.signature,
                           source, registration.takes_compressed_lines});
  return absl::OkStatus();
}

absl::Status FunctionRegistry::AddBuiltins() {
  for (const auto& registration : internal::LocalRegistrations()) {
    WEFT_RETURN_IF_ERROR(Register(registration, kBuiltIn));
  }
  return absl::OkStatus();
}

absl::Status FunctionRegistry::LoadPlugin(const std::string& path, Conflict conflict) {
  // RTLD_LOCAL: a plugin's symbols do not leak into other plugins. Never dlclose()d:
  // registered std::functions point into its code.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* error = ::dlerror();
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load plugin ", path, ": ", error ? error : "unknown dlopen error"));
  }
  using ListFn = void (*)(const internal::FunctionRegistration**, size_t*);
  auto list = reinterpret_cast<ListFn>(::dlsym(handle, "weft_function_registrations"));
  if (list == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin ", path,
                     " registers no weft functions (no weft_function_registrations "
                     "symbol: link it with //worker:function_api and use WEFT_FUNCTION)"));
  }
  const internal::FunctionRegistration* registrations = nullptr;
  size_t count = 0;
  list(&registrations, &count);
  if (count == 0) {
    return absl::InvalidArgumentError(absl::StrCat("plugin ", path, " registers no functions"));
  }
  // All or nothing: check every name first, so a refused plugin changes nothing.
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < count; ++i) {
      auto it = functions_.find(registrations[i].name);
      if (it == functions_.end() || it->second.identity == registrations[i].identity) continue;
      if (conflict == Conflict::kReplace && it->second.source != kBuiltIn) continue;
      return TwiceError(it->second, registrations[i], path);
    }
  }
  for (size_t i = 0; i < count; ++i) {
    WEFT_RETURN_IF_ERROR(Register(registrations[i], path, conflict));
  }
  return absl::OkStatus();
}

bool FunctionRegistry::Contains(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  return functions_.contains(name);
}

std::vector<std::string> FunctionRegistry::Signatures() const {
  std::vector<std::string> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, entry] : functions_) out.push_back(entry.signature);
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<Value> FunctionRegistry::Call(const std::string& name, const ValueList& args,
                                             const TaskContext& context) const {
  TaskFunction function;
  bool takes_compressed_lines;
  {
    absl::MutexLock lock(&mu_);
    auto it = functions_.find(name);
    if (it == functions_.end()) {
      return absl::NotFoundError(
          absl::StrCat(name, "(): no function named '", name, "' is registered on this worker"));
    }
    function = it->second.function;  // copied so that the call runs without the lock
    takes_compressed_lines = it->second.takes_compressed_lines;
  }
  const ValueList* call_args = &args;
  ValueList opened;
  if (!takes_compressed_lines && std::any_of(args.begin(), args.end(), HoldsCompressedLines)) {
    opened.reserve(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
      absl::StatusOr<Value> arg = DecompressValue(args[i]);
      if (!arg.ok()) {
        return absl::Status(arg.status().code(), absl::StrCat(name, "(): argument ", i + 1, ": ",
                                                              arg.status().message()));
      }
      opened.push_back(*std::move(arg));
    }
    call_args = &opened;
  }
  absl::StatusOr<Value> result;
  try {
    result = function(*call_args, context.WithCaller([this](const std::string& callee,
                                                            const ValueList& callee_args,
                                                            const TaskContext& callee_context) {
      return Call(callee, callee_args, callee_context);
    }));
  } catch (const std::exception& e) {
    return absl::AbortedError(absl::StrCat(name, "(): ", e.what()));
  } catch (...) {
    return absl::AbortedError(absl::StrCat(name, "(): threw a non-standard exception"));
  }
  if (!result.ok() && !absl::StartsWith(result.status().message(), absl::StrCat(name, "("))) {
    return absl::Status(result.status().code(),
                        absl::StrCat(name, "(): ", result.status().message()));
  }
  return result;
}

}  // namespace weft
