// Stopping a daemon on SIGINT/SIGTERM, the same way in every weft process.
//
// REQUIRES: BlockStopSignals is called in main before any thread starts, so that every
// thread inherits the mask and only the thread that waits (sigwait / sigtimedwait on the
// returned set) receives the signals.
#pragma once

#include <pthread.h>
#include <signal.h>

namespace weft {

inline sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

}  // namespace weft
