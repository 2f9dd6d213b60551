#include "weft/future.h"

#include "absl/strings/str_cat.h"
#include "client/client_core.h"

namespace weft {

const char* FutureStatusName(FutureStatus status) {
  switch (status) {
    case FutureStatus::kPending:
      return "pending";
    case FutureStatus::kFinished:
      return "finished";
    case FutureStatus::kError:
      return "error";
    case FutureStatus::kCancelled:
      return "cancelled";
    case FutureStatus::kLost:
      return "lost";
  }
  return "unknown";
}

TaskError::TaskError(std::string key, std::string function, std::string message,
                     std::string erred_key)
    : std::runtime_error(message),
      key_(std::move(key)),
      function_(std::move(function)),
      message_(std::move(message)),
      erred_key_(std::move(erred_key)) {}

namespace internal {

void ThrowForStatus(const absl::Status& status, const std::string& key) {
  if (status.code() == absl::StatusCode::kAborted ||
      status.code() == absl::StatusCode::kCancelled) {
    auto function = status.GetPayload(kFunctionPayload);
    auto erred_key = status.GetPayload(kErredKeyPayload);
    throw TaskError(key, function ? std::string(*function) : "",
                    std::string(status.message()), erred_key ? std::string(*erred_key) : key);
  }
  throw std::runtime_error(status.ToString());
}

}  // namespace internal
}  // namespace weft
