// Local files: glob expansion and a file-descriptor InputStream. Private to //common/io.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/io/io.h"

namespace weft::io::internal {

// "WHAT PATH: strerror(err)" with the canonical code of `err`: kNotFound (ENOENT, ENOTDIR),
// kPermissionDenied (EACCES, EPERM, EROFS), kInvalidArgument (EISDIR, EINVAL), else
// kInternal. The one errno mapping of local reads and writes.
absl::Status ErrnoStatus(int err, std::string_view what, std::string_view path);

// True if s contains a glob metacharacter (`*`, `?` or `[`).
bool HasGlobChars(std::string_view s);

// Regular files matching pattern (glob(3)), sorted, with their sizes. A "file://" prefix
// is accepted and kept in the returned urls. kNotFound when nothing matches.
absl::StatusOr<std::vector<FileInfo>> LocalGlob(std::string_view pattern);

// Opens path (optionally "file://path") at offset, reading at most length bytes.
absl::StatusOr<std::unique_ptr<InputStream>> OpenLocal(std::string_view path, uint64_t offset,
                                                       std::optional<uint64_t> length);

}  // namespace weft::io::internal
