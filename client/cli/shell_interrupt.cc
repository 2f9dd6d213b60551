#include "client/cli/shell_interrupt.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace weft::cli::shell {
namespace {

// Lock-free, so that the handler may store to it.
std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);
// The self-pipe: the handler writes a byte, InterruptibleGetc's poll wakes up.
int pipe_fds[2] = {-1, -1};

void OnInterrupt(int) {
  const int saved = errno;
  interrupted.store(true, std::memory_order_relaxed);
  if (pipe_fds[1] >= 0) {
    const char byte = 1;
    (void)!::write(pipe_fds[1], &byte, 1);  // full: a wake-up is pending anyway
  }
  errno = saved;
}

void DrainPipe() {
  if (pipe_fds[0] < 0) return;
  char buffer[64];
  while (::read(pipe_fds[0], buffer, sizeof(buffer)) > 0) {
  }
}

// One byte of stdin: 1, 0 at its end, -1 when interrupted (a SIGINT is pending).
int ReadByte(unsigned char* byte) {
  while (true) {
    if (InterruptPending()) return -1;
    struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {pipe_fds[0], POLLIN, 0}};
    const int ready = ::poll(fds, pipe_fds[0] >= 0 ? 2 : 1, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    if (fds[1].revents != 0) continue;  // the flag says; checked at the top
    const ssize_t n = ::read(STDIN_FILENO, byte, 1);
    if (n == 1) return 1;
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    return 0;
  }
}

}  // namespace

void InstallInterruptHandler() {
  if (pipe_fds[0] < 0 && ::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    pipe_fds[0] = pipe_fds[1] = -1;  // the flag alone still works between keys
  }
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked read returns EINTR
  sigaction(SIGINT, &action, nullptr);
}

bool InterruptPending() { return interrupted.load(std::memory_order_relaxed); }

bool TakeInterrupt() {
  const bool was = interrupted.exchange(false, std::memory_order_relaxed);
  DrainPipe();
  return was;
}

int InterruptibleGetc(FILE* /*stream*/) {
  unsigned char lead;
  if (ReadByte(&lead) != 1) return EOF;
  // UTF-8: the lead byte says how many continuation bytes follow.
  int length = 0;
  int code = lead;
  if (lead >= 0xF0 && lead < 0xF8) {
    length = 3;
    code = lead & 0x07;
  } else if (lead >= 0xE0) {
    length = 2;
    code = lead & 0x0F;
  } else if (lead >= 0xC0) {
    length = 1;
    code = lead & 0x1F;
  }
  if (lead >= 0x80 && length == 0) return lead;  // a stray byte: passed on as is
  for (int i = 0; i < length; ++i) {
    unsigned char next;
    if (ReadByte(&next) != 1) return EOF;
    if ((next & 0xC0) != 0x80) return next;  // malformed: keep what we can
    code = (code << 6) | (next & 0x3F);
  }
  return code;
}

}  // namespace weft::cli::shell
