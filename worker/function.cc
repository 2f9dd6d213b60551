#include "weft/function.h"

namespace weft {
namespace internal {

std::string ArityMessage(const std::string& name, const std::vector<const char*>& param_names,
                         size_t got) {
  if (param_names.empty()) return absl::StrCat(name, "() takes no arguments, got ", got);
  return absl::StrCat(name, "() takes ", param_names.size(),
                      param_names.size() == 1 ? " argument (" : " arguments (",
                      absl::StrJoin(param_names, ", "), "), got ", got);
}

std::string KindMessage(const std::string& name, size_t index, const char* expected,
                        const Value& got) {
  return absl::StrCat(name, "(): argument ", index + 1, " must be ", expected, ", got ",
                      got.kind_name());
}

std::vector<FunctionRegistration>& LocalRegistrations() {
  // Leaked on purpose: registrations run during static initialization and may be read
  // during static destruction of other objects.
  static auto* registrations = new std::vector<FunctionRegistration>();
  return *registrations;
}

void Registrar::Add(const char* name, TaskFunction fn, const void* identity, std::string signature,
                    bool takes_compressed_lines) {
  LocalRegistrations().push_back(FunctionRegistration{
      name, std::move(fn), identity, std::move(signature), takes_compressed_lines});
}

}  // namespace internal
}  // namespace weft

extern "C" __attribute__((visibility("default"))) void weft_function_registrations(
    const weft::internal::FunctionRegistration** registrations, size_t* count) {
  const auto& local = weft::internal::LocalRegistrations();
  *registrations = local.data();
  *count = local.size();
}
