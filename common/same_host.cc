#include "common/same_host.h"

#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace weft {
namespace {

// Pieces smaller than this are copied into the descriptor: a remote range costs more.
constexpr size_t kInlineBelow = 4096;
// iovecs per process_vm_readv call (the kernel's UIO_MAXIOV).
constexpr size_t kMaxIovecs = 1024;
// Larger values are copied by two threads, split at a multiple of kAlign.
constexpr size_t kTwoThreadsFrom = size_t{64} << 20;
constexpr size_t kAlign = size_t{2} << 20;

std::atomic<bool> disabled{false};

std::string ComputeIdentity() {
  const char* env = std::getenv("WEFT_SAME_HOST_TRANSFERS");
  if (env != nullptr && std::strcmp(env, "0") == 0) return "";
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string boot_id;
  struct stat pid_namespace;
  if (!std::getline(in, boot_id) || stat("/proc/self/ns/pid", &pid_namespace) != 0) return "";
  boot_id = std::string(absl::StripAsciiWhitespace(boot_id));
  if (boot_id.empty()) return "";
  return absl::StrCat(boot_id, "/", pid_namespace.st_dev, ":", pid_namespace.st_ino, "/",
                      geteuid());
}

const std::string& Identity() {
  static const std::string* identity = new std::string(ComputeIdentity());
  return *identity;
}

absl::Status ReadError(int error, absl::string_view what) {
  std::string message = absl::StrCat("reading the holder's ", what, ": ", std::strerror(error));
  // Not allowed here: another user, a ptrace policy, a seccomp filter, no such call.
  if (error == EPERM || error == EACCES || error == ENOSYS) {
    return absl::PermissionDeniedError(message);
  }
  if (error == ESRCH || error == EFAULT) return absl::AbortedError(message);
  return absl::InternalError(message);
}

// Copies `length` bytes from the holder's `remote` ranges (in order) to `out`.
absl::Status ReadRanges(pid_t pid, std::vector<iovec> remote, char* out, size_t length) {
  size_t done = 0;
  size_t first = 0;  // remote[first..] is still to read; remote[first] may be trimmed
  while (done < length) {
    const size_t count = std::min(kMaxIovecs, remote.size() - first);
    iovec local{out + done, length - done};
    ssize_t got = process_vm_readv(pid, &local, 1, &remote[first], count, 0);
    if (got < 0) return ReadError(errno, "memory");
    if (got == 0) return absl::AbortedError("reading the holder's memory: no progress");
    done += static_cast<size_t>(got);
    for (size_t left = static_cast<size_t>(got); left > 0;) {  // skip what was read
      size_t take = std::min(left, remote[first].iov_len);
      remote[first].iov_base = static_cast<char*>(remote[first].iov_base) + take;
      remote[first].iov_len -= take;
      left -= take;
      if (remote[first].iov_len == 0) ++first;
    }
  }
  return absl::OkStatus();
}

// A piece of the encoding, at `offset` in the value: inline bytes or holder memory.
struct Segment {
  size_t offset;
  const char* inline_bytes;  // null: at `address` in the holder
  uint64_t address;
  size_t length;
};

// Copies bytes [begin, end) of the value described by `segments` into `out`.
absl::Status CopyRange(pid_t pid, const std::vector<Segment>& segments, char* out, size_t begin,
                       size_t end) {
  std::vector<iovec> remote;  // consecutive holder ranges, read together
  size_t remote_begin = begin;
  auto flush = [&](size_t upto) -> absl::Status {
    if (remote.empty()) return absl::OkStatus();
    absl::Status status =
        ReadRanges(pid, std::move(remote), out + remote_begin, upto - remote_begin);
    remote.clear();
    return status;
  };
  for (const Segment& segment : segments) {
    const size_t from = std::max(begin, segment.offset);
    const size_t to = std::min(end, segment.offset + segment.length);
    if (from >= to) continue;
    const size_t skip = from - segment.offset;
    if (segment.inline_bytes != nullptr) {
      WEFT_RETURN_IF_ERROR(flush(from));
      std::memcpy(out + from, segment.inline_bytes + skip, to - from);
      continue;
    }
    if (remote.empty()) remote_begin = from;
    remote.push_back(iovec{reinterpret_cast<void*>(segment.address + skip), to - from});
  }
  return flush(end);
}

absl::Status CheckLease(const proto::HolderMemory& memory, uint64_t lease) {
  uint64_t word = 0;
  iovec local{&word, sizeof(word)};
  iovec remote{reinterpret_cast<void*>(memory.lease_address()), sizeof(word)};
  ssize_t got = process_vm_readv(memory.pid(), &local, 1, &remote, 1, 0);
  if (got < 0) return ReadError(errno, "lease");
  if (got != sizeof(word) || lease == 0 || word != lease) {
    return absl::AbortedError("the holder's lease is gone");
  }
  return absl::OkStatus();
}

}  // namespace

std::string SameHostIdentity() {
  if (disabled.load(std::memory_order_relaxed)) return "";
  return Identity();
}

bool SameHostTransfersEnabled() { return !SameHostIdentity().empty(); }

void DisableSameHostTransfers(absl::string_view why) {
  if (!disabled.exchange(true)) {
    WEFT_LOG_WARN("same-host transfers off, values come through the GetData stream: {}",
                  std::string(why));
  }
}

void TEST_SetSameHostTransfers(bool enabled) { disabled.store(!enabled); }

uint64_t NewLease() {
  uint64_t value = 0;
  while (value == 0) {
    if (getrandom(&value, sizeof(value), 0) != static_cast<ssize_t>(sizeof(value))) {
      value = 0;
    }
  }
  return value;
}

MemoryLease::MemoryLease(uint64_t lease) : word_(std::make_unique<std::atomic<uint64_t>>(lease)) {}

MemoryLease::~MemoryLease() {
  // Revoke before anything is released: a requester that still finds the word after its
  // copy knows that the copy was made while the encodings were alive.
  word_->store(0, std::memory_order_seq_cst);
  lent_.clear();
}

proto::HolderMemory MemoryLease::Lend(const absl::Cord& encoding) {
  proto::HolderMemory memory;
  memory.set_pid(static_cast<int32_t>(getpid()));
  memory.set_lease_address(reinterpret_cast<uintptr_t>(word_.get()));
  lent_.push_back(encoding);  // shares the Cord's memory: the pieces below stay valid
  proto::HolderMemory::Piece* inline_piece = nullptr;
  for (absl::string_view chunk : lent_.back().Chunks()) {
    if (chunk.size() < kInlineBelow) {
      if (inline_piece == nullptr) inline_piece = memory.add_pieces();
      inline_piece->mutable_inline_bytes()->append(chunk.data(), chunk.size());
      continue;
    }
    inline_piece = nullptr;
    proto::HolderMemory::Piece* piece = memory.add_pieces();
    piece->set_address(reinterpret_cast<uintptr_t>(chunk.data()));
    piece->set_length(chunk.size());
  }
  return memory;
}

absl::Status CopyHolderMemory(const proto::HolderMemory& memory, uint64_t lease, char* out,
                              size_t size) {
  WEFT_RETURN_IF_ERROR(CheckLease(memory, lease));
  std::vector<Segment> segments;
  size_t offset = 0;
  for (const proto::HolderMemory::Piece& piece : memory.pieces()) {
    Segment segment{offset, nullptr, piece.address(), piece.length()};
    if (!piece.inline_bytes().empty()) {
      segment.inline_bytes = piece.inline_bytes().data();
      segment.length = piece.inline_bytes().size();
    }
    if (segment.length > size - offset) {
      return absl::DataLossError("the holder's pieces exceed the value's size");
    }
    offset += segment.length;
    segments.push_back(segment);
  }
  if (offset != size) return absl::DataLossError("the holder's pieces fall short of the value");
  const pid_t pid = memory.pid();
  if (size < kTwoThreadsFrom) {
    WEFT_RETURN_IF_ERROR(CopyRange(pid, segments, out, 0, size));
  } else {
    // Two threads: most of the time goes into the page faults on `out` (its pages are new),
    // and those proceed in parallel.
    const size_t half = size / 2 / kAlign * kAlign;
    absl::Status second;
    std::thread helper([&] { second = CopyRange(pid, segments, out, half, size); });
    absl::Status first = CopyRange(pid, segments, out, 0, half);
    helper.join();
    WEFT_RETURN_IF_ERROR(first);
    WEFT_RETURN_IF_ERROR(second);
  }
  return CheckLease(memory, lease);
}

}  // namespace weft
