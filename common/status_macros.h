// Status helpers shared by every process. Abseil 20220623 (Debian 12) has no
// ABSL_RETURN_IF_ERROR, so weft keeps its own pair here.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define WEFT_STATUS_CONCAT_INNER_(a, b) a##b
#define WEFT_STATUS_CONCAT_(a, b) WEFT_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define WEFT_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::absl::Status weft_status_ = (expr);           \
    if (!weft_status_.ok()) return weft_status_;    \
  } while (0)

// `WEFT_ASSIGN_OR_RETURN(auto x, Foo());` declares x from an absl::StatusOr, or returns
// its status from the enclosing function.
#define WEFT_ASSIGN_OR_RETURN(lhs, rexpr) \
  WEFT_ASSIGN_OR_RETURN_IMPL_(WEFT_STATUS_CONCAT_(weft_statusor_, __LINE__), lhs, rexpr)

#define WEFT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
