// The scheduler's check of a worker that registers with a TLS cluster (issue 9): peers
// reach a worker at the address it advertises, and refuse its certificate unless that
// certificate names the host of that address. A worker so misconfigured would run tasks,
// but every task needing its results elsewhere would fail; it is refused at registration
// instead, with the reason and the fix.
//
// The scheduler makes the call a peer would (GetData with no keys, at the advertised
// address) with its own credentials, which are the cluster's (the same CA, certificate
// and token as every worker's).
//
// Threading: a free function; blocks the calling thread (a WorkerSession handler's, never
// the event loop's) for at most its timeout.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/security.h"

namespace weft::scheduler {

// How long CheckWorkerReachable waits for the worker's answer.
inline constexpr absl::Duration kWorkerProbeTimeout = absl::Seconds(5);

// kFailedPrecondition when the certificate of the worker at `address` (host:port) does
// not name that host, its message starting "the scheduler could not reach this worker at
// ADDRESS over TLS: Peer name HOST is not in peer certificate" and naming the fix. OK when
// the call succeeds, and also when it fails otherwise (not reachable from the scheduler,
// which need not be on the peers' network; a time-out): that is logged as a warning, and
// the worker admitted.
absl::Status CheckWorkerReachable(const std::string& address, const Security& security,
                                  absl::Duration timeout = kWorkerProbeTimeout);

}  // namespace weft::scheduler
