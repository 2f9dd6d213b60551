// Writing a Bag out (the client's Bag::to_textfiles): one partition becomes one text file
// of JSON lines at a local path or an s3:// url, through common/io's Compress + WriteFile.
//
// Threading: thread-safe (a pure function of its arguments, plus the file it writes).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/io/io.h"
#include "weft/value.h"

namespace weft::bag {

// Writes the items of `part` to `url`, one JSON text per line, each line ending in '\n':
//   JsonLines: each line's text as it is (only a '\r' before its '\n' is dropped, as
//     everywhere in the Bag), never parsed or re-serialised;
//   list: each item's JSON as Value::DebugString writes it without a length limit:
//     strings quoted and escaped, records as objects in field order, lists as arrays,
//     doubles in their shortest round-trip form ("2.0", "0.1"), and NaN / ±Infinity as
//     NaN / Infinity / -Infinity, as Python's json module writes them (simdjson, and so
//     bag.parse_json, rejects those). An item that is or holds bytes has no JSON form:
//     kInvalidArgument naming the item.
// compression: "infer" (by the url's extension: .gz, .zst), "gzip", "zstd", "none".
// The file is replaced as a whole (see io::WriteFile: readers never see half a file);
// I/O errors keep their code and name the url. Returns the number of items written.
// The compression WriteText writes `url` with: `compression` ("infer" resolved by the
// url's extension), or kInvalidArgument naming bag.write_text for an unknown one.
absl::StatusOr<io::Compression> WriteCompression(const std::string& url,
                                                 const std::string& compression);

absl::StatusOr<int64_t> WriteText(const Value& part, const std::string& url,
                                  const std::string& compression,
                                  const io::IoOptions& options = io::IoOptions::FromEnvironment());

}  // namespace weft::bag
