// Length-framed records over TCP sockets, as the Wallaroo write-up frames them (issue 13):
// each record is a 4-byte big-endian length, then that many bytes. A record holding the
// single byte 0x04 (EOT) means the end of the input. Sources, sinks, `weft send` and `weft
// receive` speak it.
//
//   std::string bound;
//   WEFT_ASSIGN_OR_RETURN(int listen_fd, ListenTcp("127.0.0.1:0", &bound));
//   WEFT_ASSIGN_OR_RETURN(int fd, AcceptTcp(listen_fd, absl::Seconds(30)));
//   FrameReader reader(fd);
//   while (true) {
//     WEFT_ASSIGN_OR_RETURN(std::string_view frame, reader.ReadView());
//     if (IsEot(frame)) break;
//     ...
//   }
//
// Error codes (the same from ReadFrame and FrameReader):
//   kOutOfRange       the peer closed the connection cleanly *between* frames (before the
//                     first byte of a frame): the end of a stream that had no EOT.
//   kDataLoss         the connection closed or was reset inside a frame: "the connection
//                     closed after 2 of 4 length bytes", "... after 10 of 64 payload bytes".
//   kInvalidArgument  a frame longer than max_frame, naming both sizes.
//   kUnavailable      other socket errors (reading or writing), with strerror's text; a
//                     write to a peer that has gone.
//
// File descriptors: every function returning an fd hands it to the caller, who close()s
// it. The functions never close an fd they were given. Sockets are blocking; accepted and
// connected sockets have TCP_NODELAY set (small records, latency matters).
//
// Threading: the free functions are thread-safe as the system calls are; one FrameReader
// or FrameWriter belongs to one thread at a time. One fd may have one reader thread and
// one writer thread at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace weft {

inline constexpr size_t kDefaultMaxFrame = 64 << 20;

// The payload of the end-of-input record.
inline constexpr char kEotByte = 0x04;

// One frame from `fd` (blocking), read with exactly two read() loops, so that nothing past
// the frame is consumed (a caller may hand the fd to something else afterwards). For
// many small frames, FrameReader is much faster. Error codes: see the file comment.
absl::StatusOr<std::string> ReadFrame(int fd, size_t max_frame = kDefaultMaxFrame);

// Writes one frame (length and payload in one sendmsg where possible), handling partial
// writes and EINTR; MSG_NOSIGNAL, so a closed peer is kUnavailable, never SIGPIPE.
// kInvalidArgument for a payload of 4 GiB or more.
absl::Status WriteFrame(int fd, std::string_view payload);

// True for the EOT record (exactly one byte, 0x04).
bool IsEot(std::string_view frame);
absl::Status WriteEot(int fd);

// A listening TCP socket on "host:port" (port 0 = any free port; IPv6 hosts in brackets,
// "[::1]:0"); SO_REUSEADDR. `*bound` (if not null) gets the actual address, numeric
// ("127.0.0.1:40123"). kInvalidArgument for a malformed address or a host that does not
// resolve; kUnavailable when the address cannot be bound (in use), naming it.
absl::StatusOr<int> ListenTcp(const std::string& host_port, std::string* bound);

// Waits for one connection on `listen_fd`. kDeadlineExceeded after `timeout`
// (absl::InfiniteDuration() waits for ever); kCancelled when *cancelled turns true
// (checked every ~50 ms; null: never).
absl::StatusOr<int> AcceptTcp(int listen_fd, absl::Duration timeout,
                              const std::atomic<bool>* cancelled = nullptr);

// Connects to "host:port", retrying refused connections every ~50 ms until `timeout`
// (zero: one attempt), then kUnavailable "nothing listens on HOST:PORT". A host that does
// not resolve is kInvalidArgument.
absl::StatusOr<int> ConnectTcp(const std::string& host_port, absl::Duration timeout);

// A buffered frame reader: one read() fills a 64 KiB buffer with many frames. Reads past
// the current frame, so the fd belongs to the reader until the end of the stream.
// Does not own `fd`.
class FrameReader {
 public:
  explicit FrameReader(int fd, size_t max_frame = kDefaultMaxFrame, size_t buffer_size = 64 << 10);
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // The next frame, copied out. Error codes as ReadFrame's.
  absl::StatusOr<std::string> Read();
  // The next frame as a view into the reader's buffer: valid until the next call.
  absl::StatusOr<std::string_view> ReadView();
  // After a read that found a frame longer than max_frame (kInvalidArgument): reads that
  // frame's bytes and drops them, so that the next read returns the frame after it
  // (counted in frames_read). Errors as ReadFrame's for a connection that ends inside it.
  absl::Status DiscardFrame();

  // Frames read so far (EOT included), for messages ("after 1234 frames").
  int64_t frames_read() const { return frames_read_; }

 private:
  // Reads until at least `n` bytes follow begin_ (growing the buffer if needed). The last
  // `total` of those n are the frame's `what` ("length", "payload"): the status of a
  // connection that drops says how many of them arrived.
  absl::Status Fill(size_t n, const char* what, size_t total);

  // Constant after construction.
  const int fd_;
  const size_t max_frame_;

  std::vector<char> buffer_;
  size_t begin_ = 0;  // the first unconsumed byte
  size_t end_ = 0;    // one past the last byte read
  int64_t frames_read_ = 0;
};

// A buffered frame writer: frames collect in a buffer that is sent when it fills (frames
// larger than the buffer go straight out). Call Flush() at the end and whenever the peer
// must see what was written so far: the destructor does not flush (it could not report an
// error). Does not own `fd`.
class FrameWriter {
 public:
  explicit FrameWriter(int fd, size_t buffer_size = 64 << 10);
  FrameWriter(const FrameWriter&) = delete;
  FrameWriter& operator=(const FrameWriter&) = delete;

  absl::Status Write(std::string_view payload);
  absl::Status WriteEot() { return Write(std::string_view(&kEotByte, 1)); }
  absl::Status Flush();

 private:
  // Constant after construction.
  const int fd_;
  const size_t buffer_size_;

  std::string buffer_;
};

}  // namespace weft
