#include "worker/process_memory.h"

#include <fcntl.h>
#include <jemalloc/jemalloc.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"

// jemalloc reads this at its first allocation (the MALLOC_CONF environment variable, read
// after it, may override any of it). Freed pages are kept for reuse, with no purging on a
// timer (dirty_decay_ms -1; with a positive one, jemalloc also purges every allocation of
// 8 MiB or more at once when freed): on this kind of machine a page fault costs so much
// that a worker reading one partition after another ran 3-5 times slower when the pages
// of the last partition were purged and faulted in again (the same query over 40 hourly
// files, 0.6-1.0 s against 3-5 s). The worker hands them back itself, when it matters
// (ReleaseFreeMemory): near its pause threshold, while paused, and when it goes idle.
// jemalloc keeps its memory out of transparent huge pages (thp:never: it advises
// MADV_NOHUGEPAGE, so this holds where the kernel's setting is "always" too). Where a
// virtual machine's balloon takes back the memory its guest frees (free page reporting),
// the guest reports exactly the free blocks of 2 MiB and more, the blocks huge pages are
// made of, so a fresh huge page is nearly always one the host must fault in again, 4 KiB at
// a time: here 512 MiB touched in huge pages took 1.1-1.2 s, against 0.17-0.19 s in 4 KiB
// pages, which come first from the smaller free blocks that were never reported. Huge pages
// win only where the host still backs them (0.023 s), and a worker touches fresh memory
// mostly while it grows to its peak, which is when they are cold. A 1 GB sort with 1 GiB
// workers took 3.30-3.44 s with huge pages against 1.83-1.85 s without (worker CPU 6.0-6.3 s
// against 3.2 s), 2 GB 5.2-6.2 s against 4.1-4.4 s; with the small free blocks used up by
// another process first, 3.1-3.5 s against 3.0-3.6 s. The GitHub Archive session ran the
// same either way.
// One arena for every thread, large allocations included (narenas:1, oversize_threshold:0):
// with jemalloc's defaults (4 arenas per CPU, and one more for allocations of 8 MiB or
// more) memory freed in one arena cannot serve another's allocations. A shuffle frees
// 64 MB input partitions (the large-allocation arena) while it fills 4 MB buckets (the
// executor's arena), and frees fetched buckets (received on gRPC threads) while it sorts
// (on the executor): the freed pages piled up unused until the worker crossed its pause
// threshold and handed them back, only to fault fresh ones in. A 1 GB sort with 1 GiB
// workers faulted 1743-1905 huge pages with the defaults, 1084-1425 with one arena (six
// runs each; worker CPU 5.9-7.5 s against 5.3-6.2 s). Large allocations are MBs each and
// rare, and small ones go through each thread's cache, so the one arena's lock is not
// contended at a worker's few threads; the month's persist ran the same either way.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's.
const char* malloc_conf =
    "dirty_decay_ms:-1,muzzy_decay_ms:-1,thp:never,narenas:1,oversize_threshold:0";
}

namespace weft {

int64_t ProcessRssBytes() {
  // The worker reads this after every task: /proc/self/statm stays open (opened once), and
  // each reading is one pread (the kernel writes the file afresh for each read from offset
  // 0) rather than an open, a stdio read and a close — a few microseconds a task here.
  static const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[128];
  const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
  if (n <= 0) return 0;
  text[n] = '\0';
  // "size resident shared text lib data dt", in pages.
  char* end = nullptr;
  std::strtoll(text, &end, 10);
  if (end == text) return 0;
  const char* resident_at = end;
  const long long resident = std::strtoll(resident_at, &end, 10);
  if (end == resident_at) return 0;
  return static_cast<int64_t>(resident) * ::sysconf(_SC_PAGESIZE);
}

void ReleaseFreeMemory() {
  static const std::string purge = absl::StrCat("arena.", MALLCTL_ARENAS_ALL, ".purge");
  mallctl(purge.c_str(), nullptr, nullptr, nullptr, 0);
}

// The bytes this thread allocated through jemalloc grow by a malloc.
bool MallocIsJemalloc() {
  uint64_t before = 0, after = 0;
  size_t size = sizeof(uint64_t);
  if (mallctl("thread.allocated", &before, &size, nullptr, 0) != 0) return false;
  void* volatile probe = std::malloc(4096);
  mallctl("thread.allocated", &after, &size, nullptr, 0);
  std::free(probe);
  return after > before;
}

std::string AllocatorDescription() {
  const char* version = "?";
  size_t size = sizeof(version);
  mallctl("version", &version, &size, nullptr, 0);
  std::string jemalloc = absl::StrCat("jemalloc ", std::string(version).substr(0, 5));
  if (!MallocIsJemalloc()) return absl::StrCat(jemalloc, " linked, but malloc is not its");
  ssize_t decay_ms = -1;
  size = sizeof(decay_ms);
  mallctl("opt.dirty_decay_ms", &decay_ms, &size, nullptr, 0);
  return absl::StrCat(
      jemalloc, decay_ms < 0 ? " (freed memory returned by the worker)"
                             : absl::StrCat(" (freed memory returned after ", decay_ms, " ms)"));
}

}  // namespace weft
