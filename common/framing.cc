#include "common/framing.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/host_port.h"
#include "common/status_macros.h"

namespace weft {
namespace {

constexpr size_t kLengthBytes = 4;
constexpr absl::Duration kPollStep = absl::Milliseconds(50);

uint32_t DecodeLength(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

void EncodeLength(uint32_t n, char* p) {
  p[0] = static_cast<char>(n >> 24);
  p[1] = static_cast<char>(n >> 16);
  p[2] = static_cast<char>(n >> 8);
  p[3] = static_cast<char>(n);
}

absl::Status ErrnoStatus(const std::string& what, int err) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(err)));
}

// The status for a stream that ended (`err` 0: closed, else the read error) after `got` of
// the `total` bytes of a frame's `what`.
absl::Status EndedInFrame(const char* what, size_t got, size_t total, int err) {
  if (err == 0 && got == 0 && std::strcmp(what, "length") == 0) {
    return absl::OutOfRangeError("the connection closed (end of stream)");
  }
  const std::string how = err == 0 ? "closed" : absl::StrCat("failed (", std::strerror(err), ")");
  return absl::DataLossError(
      absl::StrCat("the connection ", how, " after ", got, " of ", total, " ", what, " bytes"));
}

absl::Status TooLong(size_t length, size_t max_frame) {
  return absl::InvalidArgumentError(absl::StrCat(
      "a frame of ", length, " bytes is longer than the maximum of ", max_frame, " bytes"));
}

// Reads exactly `n` bytes into `buf`; `*got` says how many arrived before an error.
absl::Status ReadExactly(int fd, char* buf, size_t n, const char* what, size_t total) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, buf + got, n - got);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (r == 0) {
      return EndedInFrame(what, got, total, 0);
    } else if (errno != EINTR) {
      return EndedInFrame(what, got, total, errno);
    }
  }
  return absl::OkStatus();
}

// Sends every byte of the iovecs, resuming after partial writes.
absl::Status SendAll(int fd, struct iovec* iov, int count) {
  while (count > 0) {
    struct msghdr msg = {};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(count);
    const ssize_t sent = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot send a frame", errno);
    }
    size_t left = static_cast<size_t>(sent);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckFrameSize(std::string_view payload) {
  if (payload.size() > 0xFFFFFFFFu) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a frame of ", payload.size(), " bytes does not fit a 4-byte length (4 GiB at most)"));
  }
  return absl::OkStatus();
}

// "host:port" split, where port 0 (any port) is allowed when `allow_any_port`.
absl::StatusOr<std::pair<std::string, int>> ParseAddress(const std::string& host_port,
                                                         bool allow_any_port) {
  const size_t colon = host_port.rfind(':');
  if (allow_any_port && colon != std::string::npos && host_port.substr(colon + 1) == "0") {
    // SplitHostPort accepts ports 1..65535 only: check the rest with port 1.
    WEFT_ASSIGN_OR_RETURN(auto split, SplitHostPort(host_port.substr(0, colon) + ":1"));
    return std::make_pair(split.first, 0);
  }
  return SplitHostPort(host_port);
}

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

absl::StatusOr<AddrInfoPtr> Resolve(const std::string& host, int port, bool passive) {
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &result);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve '", host, "': ", gai_strerror(rc)));
  }
  return AddrInfoPtr(result);
}

void SetNoDelay(int fd) {
  const int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

std::string NumericAddress(const sockaddr* addr, socklen_t len) {
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (getnameinfo(addr, len, host, sizeof(host), port, sizeof(port),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "?";
  }
  return JoinHostPort(host, std::atoi(port));
}

// One non-blocking connect attempt to `ai`, waiting until `deadline`. Returns the fd, or
// the errno of the failure (ETIMEDOUT when the deadline passed).
absl::StatusOr<int> ConnectOnce(const addrinfo* ai, absl::Time deadline, int* err) {
  const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return ErrnoStatus("cannot create a socket", errno);
  const int flags = fcntl(fd, F_GETFL);
  (void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  *err = 0;
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) *err = errno;
  if (*err == EINPROGRESS) {
    pollfd p = {fd, POLLOUT, 0};
    const int wait_ms =
        static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
    int ready;
    do {
      ready = ::poll(&p, 1, wait_ms);
    } while (ready < 0 && errno == EINTR);
    socklen_t len = sizeof(*err);
    if (ready <= 0) {
      *err = ETIMEDOUT;
    } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) != 0) {
      *err = errno;
    }
  }
  if (*err != 0) {
    ::close(fd);
    return -1;
  }
  (void)fcntl(fd, F_SETFL, flags);
  SetNoDelay(fd);
  return fd;
}

}  // namespace

absl::StatusOr<std::string> ReadFrame(int fd, size_t max_frame) {
  char header[kLengthBytes];
  WEFT_RETURN_IF_ERROR(ReadExactly(fd, header, kLengthBytes, "length", kLengthBytes));
  const size_t length = DecodeLength(header);
  if (length > max_frame) return TooLong(length, max_frame);
  std::string payload(length, '\0');
  WEFT_RETURN_IF_ERROR(ReadExactly(fd, payload.data(), length, "payload", length));
  return payload;
}

absl::Status WriteFrame(int fd, std::string_view payload) {
  WEFT_RETURN_IF_ERROR(CheckFrameSize(payload));
  char header[kLengthBytes];
  EncodeLength(static_cast<uint32_t>(payload.size()), header);
  struct iovec iov[2] = {{header, kLengthBytes},
                         {const_cast<char*>(payload.data()), payload.size()}};
  return SendAll(fd, iov, payload.empty() ? 1 : 2);
}

bool IsEot(std::string_view frame) { return frame.size() == 1 && frame[0] == kEotByte; }

absl::Status WriteEot(int fd) { return WriteFrame(fd, std::string_view(&kEotByte, 1)); }

absl::StatusOr<int> ListenTcp(const std::string& host_port, std::string* bound) {
  WEFT_ASSIGN_OR_RETURN(auto split, ParseAddress(host_port, /*allow_any_port=*/true));
  WEFT_ASSIGN_OR_RETURN(AddrInfoPtr addrs, Resolve(split.first, split.second, /*passive=*/true));
  int last_err = 0;
  for (const addrinfo* ai = addrs.get(); ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_err = errno;
      continue;
    }
    const int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      last_err = errno;
      ::close(fd);
      continue;
    }
    if (bound != nullptr) {
      sockaddr_storage addr = {};
      socklen_t len = sizeof(addr);
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
      *bound = NumericAddress(reinterpret_cast<const sockaddr*>(&addr), len);
    }
    return fd;
  }
  return ErrnoStatus(absl::StrCat("cannot listen on ", host_port), last_err);
}

absl::StatusOr<int> AcceptTcp(int listen_fd, absl::Duration timeout,
                              const std::atomic<bool>* cancelled) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (cancelled != nullptr && cancelled->load()) {
      return absl::CancelledError("cancelled while waiting for a connection");
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("no connection within ", absl::FormatDuration(timeout)));
    }
    pollfd p = {listen_fd, POLLIN, 0};
    const int ready = ::poll(&p, 1,
                             static_cast<int>(absl::ToInt64Milliseconds(std::min(left, kPollStep) +
                                                                        absl::Milliseconds(1))));
    if (ready < 0 && errno != EINTR) return ErrnoStatus("cannot wait for a connection", errno);
    if (ready <= 0) continue;
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      SetNoDelay(fd);
      return fd;
    }
    // The connection may have gone between poll and accept: wait for the next.
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
      return ErrnoStatus("cannot accept a connection", errno);
    }
  }
}

absl::StatusOr<int> ConnectTcp(const std::string& host_port, absl::Duration timeout) {
  WEFT_ASSIGN_OR_RETURN(auto split, ParseAddress(host_port, /*allow_any_port=*/false));
  WEFT_ASSIGN_OR_RETURN(AddrInfoPtr addrs, Resolve(split.first, split.second, /*passive=*/false));
  const absl::Time deadline = absl::Now() + timeout;
  const std::string address = JoinHostPort(split.first, split.second);
  while (true) {
    int err = 0;
    for (const addrinfo* ai = addrs.get(); ai != nullptr; ai = ai->ai_next) {
      WEFT_ASSIGN_OR_RETURN(int fd, ConnectOnce(ai, deadline, &err));
      if (fd >= 0) return fd;
    }
    const bool refused = err == ECONNREFUSED;
    if (!refused && err != ETIMEDOUT) {
      return ErrnoStatus(absl::StrCat("cannot connect to ", address), err);
    }
    const absl::Time now = absl::Now();
    if (!refused || now >= deadline) {
      return absl::UnavailableError(absl::StrCat("nothing listens on ", address));
    }
    absl::SleepFor(std::min(kPollStep, deadline - now));
  }
}

// --- FrameReader

FrameReader::FrameReader(int fd, size_t max_frame, size_t buffer_size)
    : fd_(fd), max_frame_(max_frame), buffer_(std::max<size_t>(buffer_size, 2 * kLengthBytes)) {}

absl::Status FrameReader::Fill(size_t n, const char* what, size_t total) {
  if (end_ - begin_ >= n) return absl::OkStatus();
  // Room for n bytes after begin_: move what is left to the front, grow for a large frame.
  if (buffer_.size() - begin_ < n) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (buffer_.size() < n) buffer_.resize(n);
  }
  while (end_ - begin_ < n) {
    const ssize_t r = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (r > 0) {
      end_ += static_cast<size_t>(r);
    } else if (r == 0) {
      return EndedInFrame(what, end_ - begin_ - (n - total), total, 0);
    } else if (errno != EINTR) {
      return EndedInFrame(what, end_ - begin_ - (n - total), total, errno);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string_view> FrameReader::ReadView() {
  WEFT_RETURN_IF_ERROR(Fill(kLengthBytes, "length", kLengthBytes));
  const size_t length = DecodeLength(buffer_.data() + begin_);
  if (length > max_frame_) return TooLong(length, max_frame_);
  // Fill counts from begin_, which still points at the length.
  WEFT_RETURN_IF_ERROR(Fill(kLengthBytes + length, "payload", length));
  const std::string_view frame(buffer_.data() + begin_ + kLengthBytes, length);
  begin_ += kLengthBytes + length;
  ++frames_read_;
  return frame;
}

absl::Status FrameReader::DiscardFrame() {
  WEFT_RETURN_IF_ERROR(Fill(kLengthBytes, "length", kLengthBytes));
  const size_t length = DecodeLength(buffer_.data() + begin_);
  begin_ += kLengthBytes;
  size_t left = length;
  while (left > 0) {
    if (begin_ == end_) {
      begin_ = end_ = 0;
      const ssize_t r = ::read(fd_, buffer_.data(), buffer_.size());
      if (r == 0 || (r < 0 && errno != EINTR)) {
        return EndedInFrame("payload", length - left, length, r == 0 ? 0 : errno);
      }
      if (r > 0) end_ = static_cast<size_t>(r);
      continue;
    }
    const size_t take = std::min(left, end_ - begin_);
    begin_ += take;
    left -= take;
  }
  ++frames_read_;
  return absl::OkStatus();
}

absl::StatusOr<std::string> FrameReader::Read() {
  WEFT_ASSIGN_OR_RETURN(std::string_view frame, ReadView());
  return std::string(frame);
}

// --- FrameWriter

FrameWriter::FrameWriter(int fd, size_t buffer_size) : fd_(fd), buffer_size_(buffer_size) {
  buffer_.reserve(buffer_size_);
}

absl::Status FrameWriter::Write(std::string_view payload) {
  WEFT_RETURN_IF_ERROR(CheckFrameSize(payload));
  if (buffer_.size() + kLengthBytes + payload.size() > buffer_size_) {
    WEFT_RETURN_IF_ERROR(Flush());
    if (kLengthBytes + payload.size() > buffer_size_) return WriteFrame(fd_, payload);
  }
  char header[kLengthBytes];
  EncodeLength(static_cast<uint32_t>(payload.size()), header);
  buffer_.append(header, kLengthBytes);
  buffer_.append(payload.data(), payload.size());
  return absl::OkStatus();
}

absl::Status FrameWriter::Flush() {
  if (buffer_.empty()) return absl::OkStatus();
  struct iovec iov = {buffer_.data(), buffer_.size()};
  absl::Status status = SendAll(fd_, &iov, 1);
  buffer_.clear();
  return status;
}

}  // namespace weft
