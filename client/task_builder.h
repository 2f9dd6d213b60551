// Turning a function name and client-side Args into a proto::TaskSpec with a
// deterministic key, and SubmitOptions into its restriction fields.
//
// Threading: free functions, no shared state.
#pragma once

#include <string>
#include <vector>

#include "proto/weft.pb.h"
#include "weft/client.h"
#include "weft/future.h"

namespace weft::internal {

// The task `function(args...)`. Its key is `key` when given, else
// MakeKey(function, token) where the token is the function name and the encoded
// arguments (futures by key), so the same call always has the same key.
proto::TaskSpec BuildTask(const std::string& function, const std::vector<Arg>& args,
                          std::string key);

// Sets the spec's restrictions, retries and priority from `options` (they are not part of
// the key).
void ApplyOptions(const SubmitOptions& options, proto::TaskSpec* task);

}  // namespace weft::internal
