#include "client/cli/stream_tools.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/cli/run_flags.h"
#include "common/classify_csv.h"
#include "common/framing.h"
#include "common/status_macros.h"

namespace weft::cli {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

// Closes the fd at the end of the scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  const int fd_;
};

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != stdin && f != stdout) std::fclose(f);
  }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// `path` opened for reading ("-": stdin) or writing ("": stdout).
absl::StatusOr<FilePtr> OpenFile(const std::string& path, bool write) {
  if (!write && path == "-") return FilePtr(stdin);
  if (write && path.empty()) return FilePtr(stdout);
  std::FILE* f = std::fopen(path.c_str(), write ? "wb" : "rb");
  if (f == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "cannot open ", path, " for ", write ? "writing" : "reading", ": ", std::strerror(errno)));
  }
  return FilePtr(f);
}

absl::Status CloseOutput(FilePtr file, const std::string& path) {
  std::FILE* f = file.release();
  const bool failed = std::ferror(f) != 0 || (f == stdout ? std::fflush(f) : std::fclose(f)) != 0;
  if (failed) {
    return absl::DataLossError(absl::StrCat("cannot write ", path.empty() ? "to stdout" : path,
                                            ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Calls `line(text)` for each line of `file` (without its '\n'; a last line without one
// counts), reading it in 1 MiB chunks.
template <typename LineFn>
absl::Status ForEachLine(std::FILE* file, const std::string& path, LineFn&& line) {
  std::string buffer;
  std::string chunk(kChunkBytes, '\0');
  while (true) {
    const size_t n = std::fread(chunk.data(), 1, chunk.size(), file);
    if (n == 0) break;
    buffer.append(chunk.data(), n);
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      WEFT_RETURN_IF_ERROR(line(std::string_view(buffer).substr(start, nl - start)));
    }
    buffer.erase(0, start);
  }
  if (std::ferror(file)) {
    return absl::DataLossError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  if (!buffer.empty()) WEFT_RETURN_IF_ERROR(line(buffer));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  WEFT_ASSIGN_OR_RETURN(FilePtr file, OpenFile(path, /*write=*/false));
  std::string text;
  std::string chunk(kChunkBytes, '\0');
  while (size_t n = std::fread(chunk.data(), 1, chunk.size(), file.get())) text.append(chunk, 0, n);
  if (std::ferror(file.get())) {
    return absl::DataLossError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  return text;
}

absl::Status Send(const SendFlags& flags) {
  WEFT_ASSIGN_OR_RETURN(FilePtr file, OpenFile(flags.file, /*write=*/false));
  WEFT_ASSIGN_OR_RETURN(int fd, ConnectTcp(flags.to, absl::Seconds(flags.connect_timeout_seconds)));
  ScopedFd socket(fd);
  FrameWriter writer(fd);
  int64_t lines = 0;
  absl::Status status = ForEachLine(file.get(), flags.file, [&](std::string_view line) {
    ++lines;
    return writer.Write(line);
  });
  if (status.ok()) status = writer.WriteEot();
  if (status.ok()) status = writer.Flush();
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat("sending ", flags.file, " to ", flags.to,
                                                    " (line ", lines, "): ", status.message()));
  }
  ::shutdown(fd, SHUT_WR);
  return absl::OkStatus();
}

// Receives until EOT on one accepted connection; `*frames` counts the frames written.
absl::Status ReceiveFrames(int fd, size_t max_frame, std::FILE* out, int64_t* frames) {
  FrameReader reader(fd, max_frame);
  while (true) {
    absl::StatusOr<std::string_view> frame = reader.ReadView();
    if (!frame.ok()) {
      if (absl::IsOutOfRange(frame.status())) {
        return absl::DataLossError(absl::StrCat("the sender closed the connection before EOT",
                                                " (after ", *frames, " frames)"));
      }
      return absl::Status(frame.status().code(), absl::StrCat(frame.status().message(), " (after ",
                                                              *frames, " frames, before EOT)"));
    }
    if (IsEot(*frame)) return absl::OkStatus();
    std::fwrite(frame->data(), 1, frame->size(), out);
    std::fputc('\n', out);
    ++*frames;
  }
}

absl::Status Receive(const ReceiveFlags& flags) {
  // The output first: a bad path fails before anyone connects.
  WEFT_ASSIGN_OR_RETURN(FilePtr out, OpenFile(flags.output, /*write=*/true));
  std::string bound;
  WEFT_ASSIGN_OR_RETURN(int listen_fd, ListenTcp(flags.listen, &bound));
  ScopedFd listener(listen_fd);
  if (flags.print_address) std::cerr << "listening on " << bound << std::endl;
  const absl::Duration timeout = flags.accept_timeout_seconds > 0
                                     ? absl::Seconds(flags.accept_timeout_seconds)
                                     : absl::InfiniteDuration();
  WEFT_ASSIGN_OR_RETURN(int fd, AcceptTcp(listen_fd, timeout));
  ScopedFd connection(fd);
  static char buffer[kChunkBytes];
  std::setvbuf(out.get(), buffer, _IOFBF, sizeof(buffer));
  int64_t frames = 0;
  absl::Status status =
      ReceiveFrames(fd, static_cast<size_t>(flags.max_frame_bytes), out.get(), &frames);
  absl::Status closed = CloseOutput(std::move(out), flags.output);
  WEFT_RETURN_IF_ERROR(status);
  return closed;
}

absl::Status ClassifyFile(const ClassifyFileFlags& flags) {
  WEFT_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(flags.file));
  absl::StatusOr<std::string> rows =
      ClassifyCsvBatch(text, !flags.no_header, flags.threshold, flags.burn_us);
  if (!rows.ok()) {
    return absl::Status(rows.status().code(),
                        absl::StrCat(flags.file, ": ", rows.status().message()));
  }
  WEFT_ASSIGN_OR_RETURN(FilePtr out, OpenFile(flags.output, /*write=*/true));
  std::fwrite(rows->data(), 1, rows->size(), out.get());
  return CloseOutput(std::move(out), flags.output);
}

}  // namespace

CLI::App* AddSendCommand(CLI::App& app, SendFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "send", "send each line of a file as a length-framed record, then EOT (0x04)");
  cmd->add_option("file", flags->file, "the lines to send ('-': stdin)")->required();
  cmd->add_option("--to", flags->to, "host:port of the receiver (a pipeline's source)")->required();
  cmd->add_option("--connect-timeout", flags->connect_timeout_seconds,
                  "seconds to retry a refused connection")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  return cmd;
}

CLI::App* AddReceiveCommand(CLI::App& app, ReceiveFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "receive", "accept one connection, write each framed record and a newline until EOT");
  cmd->add_option("--listen", flags->listen, "host:port to listen on (port 0: any free port)")
      ->required();
  cmd->add_flag("--framed", flags->framed,
                "records are a 4-byte big-endian length, then the bytes (the only format)");
  cmd->add_option("-o,--output", flags->output, "write to this file (default: stdout)");
  cmd->add_flag("--print-address", flags->print_address,
                "first print 'listening on HOST:PORT' on stderr");
  cmd->add_option("--accept-timeout", flags->accept_timeout_seconds,
                  "seconds to wait for the connection (0: for ever)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-frame-bytes", flags->max_frame_bytes, "refuse longer records")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  return cmd;
}

CLI::App* AddClassifyFileCommand(CLI::App& app, ClassifyFileFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "classify-file",
      "label each CSV row high or low, serially: the reference output of the example pipeline");
  cmd->add_option("file", flags->file, "CSV file, the header on its first line ('-': stdin)")
      ->required();
  cmd->add_option("--threshold", flags->threshold,
                  "rows whose numbers after the first column sum above it are 'high'")
      ->capture_default_str();
  cmd->add_option("--burn-us", flags->burn_us, "microseconds of CPU to burn per row")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-header", flags->no_header, "the first line is a data row too");
  cmd->add_option("-o,--output", flags->output, "write to this file (default: stdout)");
  return cmd;
}

int RunSend(const SendFlags& flags) {
  absl::Status status = Send(flags);
  return status.ok() ? 0 : ReportFailure(status);
}

int RunReceive(const ReceiveFlags& flags) {
  if (!flags.framed) {
    return ReportUsageError(
        "receive", absl::InvalidArgumentError(
                       "only framed input is supported: pass --framed (each record a 4-byte "
                       "big-endian length, then its bytes; the record 0x04 ends the input)"));
  }
  absl::Status status = Receive(flags);
  return status.ok() ? 0 : ReportFailure(status);
}

int RunClassifyFile(const ClassifyFileFlags& flags) {
  absl::Status status = ClassifyFile(flags);
  return status.ok() ? 0 : ReportFailure(status);
}

}  // namespace weft::cli
