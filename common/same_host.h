// Same-host transfers: GetData hands a large value to a requester on the same host by
// letting it copy the bytes straight out of the holder's memory (process_vm_readv), once,
// into the value's buffer, instead of streaming them through gRPC over loopback TCP
// (a copy into the socket, a copy out of it, and a copy out of gRPC's buffers).
//
// The protocol rides on the GetData call itself, so the call's TLS and token checks are
// what authorise it, and the kernel's own rule for reading another process's memory (same
// user, and any ptrace policy such as Yama's) still applies on top:
//   1. The requester sets GetDataRequest.same_host to SameHostIdentity() (boot id, pid
//      namespace and user: another host, container or user never matches) and
//      same_host_lease to a fresh NewLease().
//   2. A holder whose own identity is the same answers a key whose encoding has at least
//      kSameHostMinBytes with one chunk carrying `memory` (HolderMemory): its pid, where the
//      encoding's pieces lie in its memory, and the address of a word holding the lease.
//      A MemoryLease keeps the pieces alive until the call ends; it clears the word first.
//   3. The requester copies with CopyHolderMemory, which reads the word before the pieces
//      (its own fresh lease must be there: the pid is the process that answered this call,
//      not one a peer merely named, and reading it is allowed) and again after them (still
//      there: nothing was released meanwhile, so the copy is whole). Once every requested
//      key has arrived it cancels the call, which ends the holder's wait. A copy that is
//      refused or finds the lease gone is not an error of the transfer: those keys are
//      fetched again through the stream.
//
// WEFT_SAME_HOST_TRANSFERS=0 turns the whole path off (requests stop offering it).
//
// Threading: free functions are thread-safe; a MemoryLease belongs to one GetData call.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "proto/weft.pb.h"

namespace weft {

// Smaller encodings always travel in the stream: a copy through gRPC costs less than the
// extra round of the call's end.
inline constexpr size_t kSameHostMinBytes = size_t{1} << 20;

// This process's identity for GetDataRequest.same_host, or empty when same-host transfers
// are off (WEFT_SAME_HOST_TRANSFERS=0, /proc unreadable, or DisableSameHostTransfers).
std::string SameHostIdentity();
bool SameHostTransfersEnabled();
// Stops offering same-host transfers for the rest of the process, logging `why` once:
// the requester calls it when the kernel refuses to let it read a holder's memory.
void DisableSameHostTransfers(absl::string_view why);
// Tests: turns the offer off or (back) on, as if WEFT_SAME_HOST_TRANSFERS said so.
void TEST_SetSameHostTransfers(bool enabled);
// A random nonzero word, for GetDataRequest.same_host_lease.
uint64_t NewLease();

// The holder's side: encodings lent to the requester of one GetData call.
class MemoryLease {
 public:
  // `lease`: the request's same_host_lease. REQUIRES: nonzero.
  explicit MemoryLease(uint64_t lease);
  // Revokes the lease (clears its word), then releases the encodings.
  ~MemoryLease();
  MemoryLease(const MemoryLease&) = delete;
  MemoryLease& operator=(const MemoryLease&) = delete;

  // Where `encoding` lies in this process's memory; keeps it alive until destruction.
  proto::HolderMemory Lend(const absl::Cord& encoding);
  bool empty() const { return lent_.empty(); }

 private:
  // Holds the lease until destruction; heap-allocated so that its address stays put while
  // other processes read it.
  std::unique_ptr<std::atomic<uint64_t>> word_;
  std::vector<absl::Cord> lent_;
};

// The requester's side: copies the `size` bytes that `memory` describes into `out`, if
// `lease` (the request's same_host_lease) is found at memory.lease_address before and
// after. kPermissionDenied: this process may not read the holder's memory (another user,
// a ptrace policy); kAborted: the lease is not (or no longer) there, or the holder is
// gone; kDataLoss: the pieces do not add up to `size`.
absl::Status CopyHolderMemory(const proto::HolderMemory& memory, uint64_t lease, char* out,
                              size_t size);

}  // namespace weft
