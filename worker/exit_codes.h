// Exit statuses of weft-worker, and what its nanny (worker/nanny.h) does with each.
//
//   kExitClosed        the worker closed for good: SIGINT/SIGTERM, or retired by the
//                      scheduler. The nanny does not restart it.
//   kExitStartupError  a start-up error (bad flag value, plugin that does not load, port
//                      taken), or the scheduler stayed unreachable past --death-timeout.
//                      The nanny restarts it, and gives up when it fails at start-up again
//                      and again.
//   kExitRestart       "restart me": --lifetime ran out, or the scheduler asked for a
//                      restart. The nanny starts a fresh worker at once, and this does not
//                      count as a crash. (75 is sysexits.h's EX_TEMPFAIL; under systemd with
//                      --no-nanny it is a failure, so Restart=on-failure restarts it too.)
//
// Any other end (a signal, another status) is a crash: the nanny restarts the worker, with
// a growing delay while it keeps crashing soon after starting.
#pragma once

namespace weft {

inline constexpr int kExitClosed = 0;
inline constexpr int kExitStartupError = 1;
inline constexpr int kExitRestart = 75;

}  // namespace weft
