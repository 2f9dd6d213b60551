// weft::io — the one file-system seam of weft: local paths, http(s):// URLs and
// s3://bucket/key objects, read as streams, plus streaming decompression (gzip via ISA-L,
// zstd); and whole files written to local paths and s3:// objects, with compression.
//
//   WEFT_ASSIGN_OR_RETURN(auto files, io::ExpandGlob("s3://bucket/2015-01-*.json.gz", opts));
//   for (const io::FileInfo& f : files) {
//     WEFT_ASSIGN_OR_RETURN(std::string text,
//                           io::ReadAll(f.url, io::Compression::kInfer, opts));
//   }
//   WEFT_ASSIGN_OR_RETURN(std::string gz, io::Compress(text, io::Compression::kInfer, out));
//   WEFT_RETURN_IF_ERROR(io::WriteFile(out, gz, opts));  // out = "s3://bucket/o/0.json.gz"
//
// Error codes (canonical absl codes, the detail in the message):
//   kNotFound          missing file / key / bucket / HTTP 404, or a glob matching nothing
//   kPermissionDenied  HTTP 403 / S3 AccessDenied, bad signature, unknown access key;
//                      a local file or directory we may not create
//   kUnavailable       the server is down or keeps failing (5xx, connection refused,
//                      time-out) after IoOptions::max_retries retries or
//                      IoOptions::retry_time_limit; names the endpoint and the url
//   kDataLoss          truncated or corrupt compressed data; names the url and the offset
//   kInvalidArgument   malformed url / pattern; writing to http(s)://
//   kFailedPrecondition writing where a file is in the way of a directory or the other way
//                      round (ENOTDIR, EISDIR, EEXIST)
//   kInternal          other local I/O errors (a full disk, ...); names the path and errno
//   kCancelled         IoOptions::cancelled said so during a remote transfer; names the url
//
// Threading: all functions are thread-safe (they share no mutable state; libcurl's global
// init happens once). An InputStream is NOT thread-safe: one thread at a time calls Read().
// Remote streams use libcurl's multi interface driven from the calling thread inside
// Read() (no helper thread); the transfer pauses (CURL_WRITEFUNC_PAUSE) when the
// stream's bounded buffer (~1 MiB) is full, so an object is never held whole in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace weft::io {

// How remote objects are reached. Plain value type; copy freely.
struct IoOptions {
  // S3 endpoint, e.g. "http://127.0.0.1:4568". Empty: https://s3.<region>.amazonaws.com.
  std::string s3_endpoint;
  std::string region = "us-east-1";
  // Credentials. Empty access key: anonymous (unsigned) requests, for public buckets.
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // sent as x-amz-security-token when set
  // Path-style addressing (endpoint/bucket/key) instead of virtual-host style
  // (bucket.endpoint/key). Needed by s3rver, MinIO and most S3-compatible servers.
  // Buckets with dots in their names always use path style (TLS host names).
  bool path_style = false;
  // Retries of one request on 5xx, connection failures and time-outs, with exponential
  // backoff starting at initial_backoff (100 ms, 200 ms, 400 ms, ...). A stream that
  // fails mid-object resumes with a ranged GET from the byte it had reached. Retries
  // stop after max_retries, or once retry_time_limit has passed since the start of the
  // first failed attempt, whichever comes first (bytes received start the count anew):
  // a request that keeps failing is an error within about retry_time_limit, plus at most
  // one attempt's time-out. With the defaults, a server that accepts connections and
  // never answers is kUnavailable after ~30 s (three attempts of response_timeout).
  int max_retries = 4;
  absl::Duration retry_time_limit = absl::Seconds(30);
  absl::Duration initial_backoff = absl::Milliseconds(100);
  // Connecting (name lookup, TCP and TLS handshakes) longer than this is a time-out.
  absl::Duration connect_timeout = absl::Seconds(10);
  // No answer (status line) this long after the request was sent (connected, and a PUT's
  // body uploaded) is a time-out.
  absl::Duration response_timeout = absl::Seconds(10);
  // Once answered, a transfer slower than low_speed_limit bytes/s for low_speed_time is
  // a time-out.
  int64_t low_speed_limit = 1;
  absl::Duration low_speed_time = absl::Seconds(30);
  // Page size of S3 ListObjectsV2 (S3's own maximum is 1000). Tests set it small.
  int s3_max_keys = 1000;
  // Asked on the calling thread while a remote transfer (GET, listing page or PUT) waits
  // or runs — every ~100 ms for reads, at least once a second for PUTs — and before and
  // during each retry's backoff: true aborts it, with no further attempt, and the call
  // fails with kCancelled naming the url. Null: never.
  // A worker passes its task's cancel flag, so a released task frees its thread instead
  // of waiting out a server that stopped answering. Must be thread-safe to call if the
  // options are shared between threads.
  std::function<bool()> cancelled;
  // How a retry's backoff waits: called with each piece of it (at most ~100 ms when there is
  // a cancel hook, which is asked between pieces). Null: absl::SleepFor. Tests record the
  // pieces instead of sleeping, so that the backoff is checked without timing anything.
  std::function<void(absl::Duration)> sleep;

  // Reads AWS_ENDPOINT_URL, AWS_REGION / AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID,
  // AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN. path_style is on iff an endpoint is set.
  static IoOptions FromEnvironment();

  // An endpoint override (AWS_ENDPOINT_URL, --s3-endpoint): sets s3_endpoint without its
  // trailing slashes, and path_style, which S3-compatible servers need (they rarely
  // resolve bucket.host names). Empty: AWS again, virtual-host style.
  void SetS3Endpoint(std::string endpoint);

  bool anonymous() const { return access_key_id.empty(); }
  // s3_endpoint, or the regional AWS endpoint when it is empty. No trailing slash.
  std::string EffectiveS3Endpoint() const;
};

struct FileInfo {
  std::string url;    // local path (as given / as globbed), http(s):// or s3:// url
  int64_t size = -1;  // bytes; -1 when unknown (http(s) URLs are not probed)

  bool operator==(const FileInfo& o) const { return url == o.url && size == o.size; }
};

// A forward-only byte stream. Not thread-safe; see the file comment.
class InputStream {
 public:
  virtual ~InputStream() = default;
  // Reads up to n bytes into buf. Returns the number read, 0 only at the end of the
  // stream (a short read is not the end). After an error the stream is unusable.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t n) = 0;
  // The url this stream reads (for error messages).
  virtual const std::string& url() const = 0;
  // How many bytes the stream will give in all, when known before reading (a local file
  // read raw: its size from the opening offset, or the length asked for); nullopt when
  // not (decompressed and remote streams). A reader may size its buffer by it; it must
  // still read to the end, as the file may change.
  virtual std::optional<uint64_t> size_hint() const { return std::nullopt; }
};

// The buffer to read `stream` whole into: its size hint plus `slack` (room for the read
// that finds the end, so that it needs no growth), else `otherwise`.
size_t ReadCapacity(const InputStream& stream, size_t slack, size_t otherwise);

// Expands a pattern into the files it names, sorted by url:
//   local path or glob (`*`, `?`, `[...]`, via glob(3); directories are skipped),
//   s3://bucket/prefix*glob (ListObjectsV2 over the literal prefix before the first
//     wildcard, with continuation tokens, then fnmatch on the key; `*` may match '/'),
//   http(s)://url (returned as itself, size -1, never probed).
// A pattern that matches nothing is kNotFound naming the pattern. An s3:// or local
// pattern with no wildcard must name an existing object/file.
absl::StatusOr<std::vector<FileInfo>> ExpandGlob(std::string_view pattern,
                                                 const IoOptions& options);

// Opens the raw bytes of url from `offset`, at most `length` bytes (all when nullopt).
// Remote: the request is sent and its status checked before this returns, so a missing
// object is kNotFound here rather than on the first Read().
absl::StatusOr<std::unique_ptr<InputStream>> OpenRead(
    std::string_view url, const IoOptions& options, uint64_t offset = 0,
    std::optional<uint64_t> length = std::nullopt);

// A local path (or file://path): not s3:// or http(s)://.
bool IsLocalUrl(std::string_view url);

enum class Compression { kInfer, kNone, kGzip, kZstd };

// kGzip for ".gz", kZstd for ".zst"/".zstd", else kNone (query strings are ignored).
Compression InferCompression(std::string_view url);

// Wraps a raw stream into one that yields decompressed bytes. kInfer uses raw->url().
// gzip: concatenated members are read in turn; each member's CRC32 and ISIZE are
// checked; trailing garbage, truncation or corruption is kDataLoss naming the url and the
// compressed offset. zstd: multiple frames are read in turn.
absl::StatusOr<std::unique_ptr<InputStream>> Decompress(std::unique_ptr<InputStream> raw,
                                                        Compression compression);

// OpenRead(url) + Decompress.
absl::StatusOr<std::unique_ptr<InputStream>> OpenDecompressed(std::string_view url,
                                                              Compression compression,
                                                              const IoOptions& options);

// Reads the whole decompressed content of url into one string.
absl::StatusOr<std::string> ReadAll(std::string_view url, Compression compression,
                                    const IoOptions& options);

// Reads a whole stream into one string (geometric growth).
absl::StatusOr<std::string> ReadStream(InputStream& stream);

// ---- Writing (write.cc)

// "infer" (or ""), "gzip"/"gz", "zstd"/"zst", "none", any case; else kInvalidArgument.
absl::StatusOr<Compression> ParseCompression(std::string_view name);

// Compresses `data` as `compression` (kInfer: by the extension of `url`, see
// InferCompression; url is used for nothing else). gzip: one member (ISA-L, level 1),
// readable by gzip(1) and Decompress; zstd: one frame (level 3), readable by zstd(1) and
// Decompress; kNone: a copy of data. kInternal if the compressor fails.
absl::StatusOr<std::string> Compress(std::string_view data, Compression compression,
                                     std::string_view url);

// Writes `data` as the whole content of url, replacing what was there. `data` is written
// as is: compress it first (Compress) when the url asks for it.
//   local path (or file://path): the parent directories are created; the bytes go to a
//     temporary file in the same directory, which is then renamed over the path, so
//     readers see the old file or the new one, never half a file (a crash may leave a
//     ".<name>.weft-tmp-*" file behind). Not fsync'ed: durable once the OS flushes it.
//   s3://bucket/key: one PUT signed with SigV4 like reads (its x-amz-content-sha256 is
//     the payload's real SHA-256), retried on 5xx / connection failures like reads;
//     objects up to 5 GiB (no multipart upload; larger is kInvalidArgument).
//   http(s)://: kInvalidArgument (read-only).
// Errors: kPermissionDenied, kNotFound (no such bucket, naming it), kUnavailable,
// kFailedPrecondition / kInternal for local errors (naming the path and strerror).
absl::Status WriteFile(std::string_view url, std::string_view data, const IoOptions& options);

// A local file written in pieces, as WriteFile writes a local path: into a temporary file
// next to it, renamed onto it by Commit, so that readers see the old file or the whole
// new one. The pieces gather in a buffer of kBufferBytes, written out bypassing the page
// cache (O_DIRECT, as WriteFile's large writes) where the file system allows it, and the
// last piece through it. A writer destroyed without Commit removes its temporary file.
// For a large output made piece by piece (a sort's partition, line by line in key order)
// without holding it whole in memory first. Not thread-safe.
class LocalFileWriter {
 public:
  static constexpr size_t kBufferBytes = size_t{4} << 20;

  // Creates the temporary file (and the parent directories). kInvalidArgument for a url
  // that is not a local path (s3://, http(s)://); the errors of WriteFile otherwise.
  static absl::StatusOr<std::unique_ptr<LocalFileWriter>> Open(std::string_view url);
  // WriteFile's local path: `data` as the whole file, through the page cache below 8 MiB;
  // from 8 MiB through a writer, whose bulk goes out O_DIRECT straight from `data` when it
  // is 4 KiB-aligned (a copy through the buffer otherwise).
  static absl::Status WriteWhole(std::string_view url, std::string_view data);
  ~LocalFileWriter();
  LocalFileWriter(const LocalFileWriter&) = delete;
  LocalFileWriter& operator=(const LocalFileWriter&) = delete;

  // Appends `data`. After an error every call returns it, and Commit too.
  absl::Status Append(std::string_view data) {
    if (data.size() < kBufferBytes - used_ && status_.ok()) {
      std::memcpy(buffer_ + used_, data.data(), data.size());
      used_ += data.size();
      return absl::OkStatus();
    }
    return AppendSlow(data);
  }
  // Writes what is left and renames the file onto the path. Call it once.
  absl::Status Commit();

 private:
  struct Target;  // the temporary file (write.cc)
  LocalFileWriter(std::unique_ptr<Target> target, char* buffer);
  absl::Status AppendSlow(std::string_view data);
  // Writes `size` bytes at the file's end: the 4 KiB-aligned part O_DIRECT while direct_
  // (`data` aligned too), the rest, and everything once direct_ is off, buffered.
  absl::Status Write(const char* data, size_t size);

  std::unique_ptr<Target> target_;
  char* buffer_ = nullptr;  // kBufferBytes, 4 KiB-aligned
  size_t used_ = 0;
  bool direct_ = false;  // O_DIRECT is on for the file
  absl::Status status_;
};

}  // namespace weft::io
