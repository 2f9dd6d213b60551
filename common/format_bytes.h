// FormatBytes: a byte count for people, in binary units as dask prints them: "512 B",
// "1.50 KiB", "612.4 MiB", "4.00 GiB" (three significant digits from 1 KiB on).
//
// Threading: a pure function.
#pragma once

#include <cstdint>
#include <string>

namespace weft {

std::string FormatBytes(int64_t bytes);

}  // namespace weft
