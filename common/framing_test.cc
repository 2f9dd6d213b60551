#include "common/framing.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "absl/strings/match.h"

namespace weft {
namespace {

// A connected pair of stream sockets, closed at the end of the test.
struct SocketPair {
  SocketPair() { REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0); }
  ~SocketPair() {
    CloseWriter();
    ::close(fds[0]);
  }
  int reader() const { return fds[0]; }
  int writer() const { return fds[1]; }
  void CloseWriter() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
  void WriteRaw(const std::string& bytes) const {
    REQUIRE(::write(fds[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  int fds[2] = {-1, -1};
};

std::string Framed(const std::string& payload) {
  const uint32_t n = static_cast<uint32_t>(payload.size());
  std::string out = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
  return out + payload;
}

TEST_CASE("WriteFrame and ReadFrame round trip, the length big-endian") {
  SocketPair pair;
  REQUIRE(WriteFrame(pair.writer(), "hello").ok());
  char raw[9];
  REQUIRE(::read(pair.reader(), raw, sizeof(raw)) == 9);
  CHECK(std::string(raw, 9) == std::string("\0\0\0\5hello", 9));

  const std::string big(300000, 'x');  // more than a socket buffer: partial writes
  std::thread writer([&] {
    CHECK(WriteFrame(pair.writer(), big).ok());
    CHECK(WriteFrame(pair.writer(), "").ok());
    CHECK(WriteEot(pair.writer()).ok());
  });
  auto frame = ReadFrame(pair.reader());
  REQUIRE(frame.ok());
  CHECK(*frame == big);
  auto empty = ReadFrame(pair.reader());
  REQUIRE(empty.ok());
  CHECK(empty->empty());
  CHECK_FALSE(IsEot(*empty));
  auto eot = ReadFrame(pair.reader());
  REQUIRE(eot.ok());
  CHECK(IsEot(*eot));
  CHECK(*eot == "\x04");
  writer.join();
  pair.CloseWriter();
  CHECK(ReadFrame(pair.reader()).status().code() == absl::StatusCode::kOutOfRange);
}

TEST_CASE("IsEot is exactly the single byte 0x04") {
  CHECK(IsEot("\x04"));
  CHECK_FALSE(IsEot(""));
  CHECK_FALSE(IsEot("\x04\x04"));
  CHECK_FALSE(IsEot("a"));
}

TEST_CASE("a frame split across writes is read whole, by ReadFrame and FrameReader") {
  const std::string bytes = Framed("abc") + Framed("defgh");
  for (bool buffered : {false, true}) {
    SocketPair pair;
    std::thread writer([&] {
      for (char c : bytes) {
        CHECK(::write(pair.writer(), &c, 1) == 1);
        std::this_thread::yield();
      }
    });
    FrameReader reader(pair.reader());
    auto next = [&]() { return buffered ? reader.Read() : ReadFrame(pair.reader()); };
    auto a = next();
    auto b = next();
    writer.join();
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(*a == "abc");
    CHECK(*b == "defgh");
  }
}

TEST_CASE("a frame longer than the maximum is kInvalidArgument naming both sizes") {
  SocketPair pair;
  pair.WriteRaw(Framed(std::string(100, 'a')));
  auto frame = ReadFrame(pair.reader(), /*max_frame=*/10);
  REQUIRE(frame.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(frame.status().message() == "a frame of 100 bytes is longer than the maximum of 10 bytes");

  SocketPair buffered;
  buffered.WriteRaw(Framed(std::string(100, 'a')));
  FrameReader reader(buffered.reader(), /*max_frame=*/99);
  CHECK(reader.Read().status().message() ==
        "a frame of 100 bytes is longer than the maximum of 99 bytes");
}

TEST_CASE("FrameReader::DiscardFrame drops a frame longer than the maximum, then reads on") {
  SocketPair pair;
  // Larger than the reader's 16-byte buffer: the discard reads past what is buffered.
  const std::string bytes = Framed("ok") + Framed(std::string(100, 'a')) + Framed("next");
  pair.WriteRaw(bytes);  // fits in the socket's buffer
  FrameReader reader(pair.reader(), /*max_frame=*/10, /*buffer_size=*/16);
  auto first = reader.Read();
  REQUIRE(first.ok());
  CHECK(*first == "ok");
  CHECK(reader.Read().status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(reader.DiscardFrame().ok());
  CHECK(reader.frames_read() == 2);
  auto next = reader.Read();
  REQUIRE(next.ok());
  CHECK(*next == "next");

  SocketPair cut;
  cut.WriteRaw(Framed(std::string(100, 'a')).substr(0, 4 + 30));
  cut.CloseWriter();
  FrameReader cut_reader(cut.reader(), /*max_frame=*/10, /*buffer_size=*/16);
  CHECK(cut_reader.Read().status().code() == absl::StatusCode::kInvalidArgument);
  absl::Status dropped = cut_reader.DiscardFrame();
  CHECK(dropped.code() == absl::StatusCode::kDataLoss);
  CHECK(dropped.message() == "the connection closed after 30 of 100 payload bytes");
}

TEST_CASE("a connection that drops mid-frame is kDataLoss saying where") {
  for (bool buffered : {false, true}) {
    SECTION(buffered ? "FrameReader" : "ReadFrame") {
      SocketPair mid_length;
      mid_length.WriteRaw(std::string("\0\0", 2));
      mid_length.CloseWriter();
      FrameReader reader1(mid_length.reader());
      auto a = buffered ? reader1.Read() : ReadFrame(mid_length.reader());
      REQUIRE(a.status().code() == absl::StatusCode::kDataLoss);
      CHECK(a.status().message() == "the connection closed after 2 of 4 length bytes");

      SocketPair mid_payload;
      mid_payload.WriteRaw(Framed("ok") + Framed("0123456789").substr(0, 4 + 3));
      mid_payload.CloseWriter();
      FrameReader reader2(mid_payload.reader());
      auto first = buffered ? reader2.Read() : ReadFrame(mid_payload.reader());
      REQUIRE(first.ok());
      CHECK(*first == "ok");
      auto b = buffered ? reader2.Read() : ReadFrame(mid_payload.reader());
      REQUIRE(b.status().code() == absl::StatusCode::kDataLoss);
      CHECK(b.status().message() == "the connection closed after 3 of 10 payload bytes");
    }
  }
}

TEST_CASE("FrameReader reads many small frames and frames larger than its buffer") {
  SocketPair pair;
  const std::string large(5000, 'L');
  std::thread writer([&] {
    FrameWriter out(pair.writer(), /*buffer_size=*/256);
    for (int i = 0; i < 1000; ++i) CHECK(out.Write("record " + std::to_string(i)).ok());
    CHECK(out.Write(large).ok());
    CHECK(out.Write("after").ok());
    CHECK(out.WriteEot().ok());
    CHECK(out.Flush().ok());
    pair.CloseWriter();
  });
  FrameReader reader(pair.reader(), kDefaultMaxFrame, /*buffer_size=*/1024);
  for (int i = 0; i < 1000; ++i) {
    auto frame = reader.ReadView();
    REQUIRE(frame.ok());
    REQUIRE(*frame == "record " + std::to_string(i));
  }
  auto l = reader.Read();
  REQUIRE(l.ok());
  CHECK(*l == large);
  auto after = reader.Read();
  REQUIRE(after.ok());
  CHECK(*after == "after");
  auto eot = reader.ReadView();
  REQUIRE(eot.ok());
  CHECK(IsEot(*eot));
  CHECK(reader.frames_read() == 1003);
  writer.join();
  CHECK(reader.Read().status().code() == absl::StatusCode::kOutOfRange);
}

TEST_CASE("TCP on loopback: listen on port 0, accept, connect, frames both ways") {
  std::string bound;
  auto listener = ListenTcp("127.0.0.1:0", &bound);
  REQUIRE(listener.ok());
  REQUIRE(absl::StartsWith(bound, "127.0.0.1:"));
  CHECK(bound != "127.0.0.1:0");
  auto client = ConnectTcp(bound, absl::Seconds(5));
  REQUIRE(client.ok());
  auto server = AcceptTcp(*listener, absl::Seconds(5));
  REQUIRE(server.ok());
  REQUIRE(WriteFrame(*client, "ping").ok());
  REQUIRE(WriteEot(*client).ok());
  auto ping = ReadFrame(*server);
  REQUIRE(ping.ok());
  CHECK(*ping == "ping");
  auto eot = ReadFrame(*server);
  REQUIRE(eot.ok());
  CHECK(IsEot(*eot));
  ::close(*client);
  ::close(*server);
  ::close(*listener);
}

TEST_CASE("connecting to a closed port is kUnavailable: nothing listens") {
  std::string bound;
  auto listener = ListenTcp("127.0.0.1:0", &bound);
  REQUIRE(listener.ok());
  ::close(*listener);  // the port is free now, and nobody listens on it
  auto fd = ConnectTcp(bound, absl::Milliseconds(300));
  REQUIRE(fd.status().code() == absl::StatusCode::kUnavailable);
  CHECK(fd.status().message() == "nothing listens on " + bound);
}

TEST_CASE("a refused connection is retried until the server listens") {
  std::string bound;
  auto listener = ListenTcp("127.0.0.1:0", &bound);
  REQUIRE(listener.ok());
  ::close(*listener);  // refused from now on
  // A connect that would wait an hour, started while nothing listens: it can only succeed
  // by trying again after the listener below is back on the same port.
  absl::StatusOr<int> connected = absl::UnknownError("not returned");
  std::atomic<bool> returned{false};
  std::thread connector([&] {
    connected = ConnectTcp(bound, absl::Hours(1));
    returned = true;
  });
  CHECK(!returned.load());  // nothing listens yet
  std::string again;
  auto relisten = ListenTcp(bound, &again);
  REQUIRE(relisten.ok());
  connector.join();
  REQUIRE(connected.ok());
  ::close(*connected);
  ::close(*relisten);
}

TEST_CASE("AcceptTcp: kDeadlineExceeded after the timeout, kCancelled when cancelled") {
  std::string bound;
  auto listener = ListenTcp("127.0.0.1:0", &bound);
  REQUIRE(listener.ok());
  CHECK(AcceptTcp(*listener, absl::Milliseconds(100)).status().code() ==
        absl::StatusCode::kDeadlineExceeded);
  // Cancelled (a stage being stopped): the wait ends at its next check, well before 30 s.
  std::atomic<bool> cancelled{true};
  CHECK(AcceptTcp(*listener, absl::Seconds(30), &cancelled).status().code() ==
        absl::StatusCode::kCancelled);
  ::close(*listener);
}

TEST_CASE("bad addresses are kInvalidArgument") {
  std::string bound;
  CHECK(ListenTcp("nohost", &bound).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ConnectTcp("127.0.0.1:0", absl::ZeroDuration()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ListenTcp("127.0.0.1:99999", &bound).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace weft
