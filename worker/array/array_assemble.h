// array.assemble and array.from_items: building one chunk out of other values (formats in
// array_functions.h).
//
// Assemble copies strided pieces of source chunks into a new chunk: slicing with steps
// (negative too), rechunking, concatenation and transposition are all lists of pieces.
// Every piece is checked before anything is copied (source index, kind, size, the source
// and destination ranges), and every output element must be covered by some piece.
//
// FromItems turns a Bag partition (a list of numbers/bools, or an array) into a chunk.
//
// Threading: pure functions.
#pragma once

#include "absl/status/statusor.h"
#include "weft/value.h"

namespace weft::array {

// `sources` are the task's args after the spec (source k is sources[k]).
absl::StatusOr<Value> Assemble(const Value& spec, const ValueList& sources);

absl::StatusOr<Value> FromItems(const Value& spec, const Value& partition);

}  // namespace weft::array
