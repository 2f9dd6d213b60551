// The command-line tools around streaming pipelines (issue 13), none of which needs a
// cluster:
//
//   weft send FILE --to HOST:PORT [--connect-timeout SECONDS]
//        frames each line of FILE ("-": stdin) without its '\n', then EOT; prints nothing
//        on success. Refused connections are retried until the timeout (default 10 s),
//        then "nothing listens on HOST:PORT".
//   weft receive --listen HOST:PORT --framed [--output FILE] [--print-address]
//                [--accept-timeout SECONDS] [--max-frame-bytes N]
//        accepts ONE connection and writes each frame's bytes and a '\n' (to stdout or
//        FILE) until EOT, then exits 0: the write-up's data_receiver. --print-address
//        first prints "listening on HOST:PORT" on stderr (port 0 picks a free port). A
//        connection that ends before EOT is an error (exit 1). Only framed input exists:
//        without --framed the command refuses (exit 2).
//   weft classify-file FILE [--threshold X] [--burn-us N] [--no-header] [--output FILE]
//        the serial reference of the example pipeline: ClassifyCsvBatch
//        (common/classify_csv.h) over the whole file, which is what the pipeline's sink
//        writes: the labelled data rows in order, one per line, no header.
//
// Exit codes as the other commands: 2 for usage errors, 1 for failures ("weft: MESSAGE").
//
// Threading: called from main only.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace weft::cli {

struct SendFlags {
  std::string file;
  std::string to;
  double connect_timeout_seconds = 10;
};

struct ReceiveFlags {
  std::string listen;
  bool framed = false;
  std::string output;  // empty: stdout
  bool print_address = false;
  double accept_timeout_seconds = 0;  // 0: wait for ever
  int64_t max_frame_bytes = 64 << 20;
};

struct ClassifyFileFlags {
  std::string file;
  double threshold = 0;
  int64_t burn_us = 0;
  bool no_header = false;
  std::string output;  // empty: stdout
};

// Each adds its command to `app` and returns it. `*flags` must outlive parsing.
CLI::App* AddSendCommand(CLI::App& app, SendFlags* flags);
CLI::App* AddReceiveCommand(CLI::App& app, ReceiveFlags* flags);
CLI::App* AddClassifyFileCommand(CLI::App& app, ClassifyFileFlags* flags);

int RunSend(const SendFlags& flags);
int RunReceive(const ReceiveFlags& flags);
int RunClassifyFile(const ClassifyFileFlags& flags);

}  // namespace weft::cli
