// Process memory: what a weft-worker process holds, and handing what it freed back to the
// system.
//
// The worker allocates with jemalloc: this library links it, which replaces malloc and
// free for the whole process (executable, gRPC, plugins). Freed pages stay with jemalloc
// for reuse (faulting fresh pages in is slow here; see `malloc_conf` in the .cc) until the
// worker hands them back with ReleaseFreeMemory(): before it believes a memory reading at
// or above its pause threshold, at each tick while paused, and when it goes idle. jemalloc
// gives back whatever is unused, from every thread's arena; glibc's malloc_trim(0) does not
// touch the free top of a thread arena, so a worker whose data was freed could stay above
// its pause threshold for ever (issue 9).
//
// Threading: every function is thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace weft {

// The resident set size of this process, in bytes (0 if /proc cannot be read).
int64_t ProcessRssBytes();

// Hands every page the allocator holds unused back to the system now (jemalloc's
// arena.<all>.purge). Takes a few milliseconds when there is much to give back.
void ReleaseFreeMemory();

// Whether the process's malloc is jemalloc's (linked and not overridden).
bool MallocIsJemalloc();

// The allocator, for the start-up log: "jemalloc 5.3.0 (freed memory returned by the
// worker)"; says so when jemalloc is linked but is not the process's malloc.
std::string AllocatorDescription();

}  // namespace weft
