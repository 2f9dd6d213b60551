#include "common/io/internal/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/io/internal/strings.h"
#include "common/status_macros.h"

namespace weft::io::internal {
namespace {

// Above this many undelivered bytes the transfer pauses until Read() drains them.
constexpr size_t kMaxBuffered = 1 << 20;
// Error bodies (S3's XML) are kept only for the message.
constexpr size_t kMaxErrorBody = 64 << 10;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_ALL); });
}

bool IsRetryableHttp(long code) { return code >= 500 || code == 429 || code == 408; }

// Transport errors worth another attempt: the server or the network may recover.
bool IsTransientCurlError(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
      return true;
    default:
      return false;
  }
}

// The delay before retry number `failures` (1-based): initial_backoff, doubling.
absl::Duration Backoff(const IoOptions& options, int failures) {
  return options.initial_backoff * (1 << std::min(failures - 1, 16));
}

// Whether a request gets no further attempt after `failures` failed ones in a row, the
// first of which started at `failing_since` (io.h: max_retries, retry_time_limit).
bool OutOfRetries(const IoOptions& options, int failures, absl::Time failing_since) {
  return failures > options.max_retries || absl::Now() - failing_since >= options.retry_time_limit;
}

// "3 attempts to GET URL in 30.2s", for the final error.
std::string Attempts(int failures, std::string_view verb, std::string_view url,
                     absl::Time failing_since) {
  return absl::StrCat(
      failures, failures == 1 ? " attempt to " : " attempts to ", Sv(verb), " ", Sv(url), " in ",
      absl::FormatDuration(absl::Trunc(absl::Now() - failing_since, absl::Milliseconds(100))));
}

// How often a GET waiting for a server asks IoOptions::cancelled (io.h says ~100 ms);
// without a hook, how long it waits on its sockets at a time.
constexpr int kCancelPollMs = 100;
constexpr int kIdlePollMs = 1000;

bool IsCancelled(const IoOptions& options) {
  return options.cancelled != nullptr && options.cancelled();
}

absl::Status CancelledError(std::string_view verb, std::string_view url) {
  return absl::CancelledError(absl::StrCat(Sv(verb), " ", Sv(url), " was cancelled"));
}

// Watches one attempt (one curl transfer) from its progress callback: aborts it when the
// options' cancel hook says so, or when the server has not answered response_timeout
// after the request went out, which curl has no option for (its low-speed limit counts
// from the start, and is meant for stalls in the middle of a body).
//
// Threading: touched only by the thread that drives the transfer (curl calls back on it).
class AttemptWatch {
 public:
  // `options` must outlive the watch; the watch must outlive the transfer of `easy`.
  AttemptWatch(const IoOptions& options, CURL* easy) : options_(options), easy_(easy) {}

  // Installs OnProgress on `easy`.
  void Install() {
    curl_easy_setopt(easy_, CURLOPT_XFERINFOFUNCTION, &AttemptWatch::OnProgress);
    curl_easy_setopt(easy_, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(easy_, CURLOPT_NOPROGRESS, 0L);
  }

  // After CURLE_ABORTED_BY_CALLBACK: the time-out aborted the attempt, not the hook.
  bool timed_out() const { return timed_out_; }
  // Why, for messages.
  std::string TimeoutReason() const {
    return absl::StrCat("no response within ", absl::FormatDuration(options_.response_timeout),
                        " of sending the request");
  }

 private:
  // CURLOPT_XFERINFOFUNCTION: non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
  // libcurl calls it often while bytes flow, and about once a second when none do.
  static int OnProgress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t uploaded) {
    auto* watch = static_cast<AttemptWatch*>(self);
    if (IsCancelled(watch->options_)) return 1;
    return watch->WaitedTooLong(uploaded) ? 1 : 0;
  }

  bool WaitedTooLong(curl_off_t uploaded) {
    if (answered_) return false;
    long http_code = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &http_code);
    if (http_code != 0) {
      answered_ = true;
      return false;
    }
    const absl::Time now = absl::Now();
    // Still connecting (connect_timeout's business), or still sending the request body.
    curl_off_t pretransfer_us = 0;
    curl_easy_getinfo(easy_, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
    if (pretransfer_us == 0 || uploaded != uploaded_) {
      uploaded_ = uploaded;
      sent_at_ = now;
      return false;
    }
    if (now - sent_at_ < options_.response_timeout) return false;
    timed_out_ = true;
    return true;
  }

  const IoOptions& options_;
  CURL* const easy_;
  bool answered_ = false;
  bool timed_out_ = false;
  curl_off_t uploaded_ = -1;
  absl::Time sent_at_ = absl::InfiniteFuture();
};

// Sleeps `delay` before a retry, in slices, unless cancelled first (then false).
bool BackOffUnlessCancelled(const IoOptions& options, absl::Duration delay) {
  const auto sleep = [&options](absl::Duration d) {
    if (options.sleep != nullptr) {
      options.sleep(d);
    } else {
      absl::SleepFor(d);
    }
  };
  if (options.cancelled == nullptr) {
    sleep(delay);
    return true;
  }
  // In pieces, the cancel hook asked between them; counted, not timed by the clock, so a
  // sleep that does not sleep (IoOptions::sleep in tests) ends as surely as one that does.
  for (absl::Duration left = delay; left > absl::ZeroDuration();) {
    if (IsCancelled(options)) return false;
    const absl::Duration piece = std::min(left, absl::Milliseconds(kCancelPollMs));
    sleep(piece);
    left -= piece;
  }
  return !IsCancelled(options);
}

// What every transfer sets, GET or PUT: url, headers, time-outs, signing, and `watch`
// (the cancel hook and the response time-out). `options`, `headers`, `error_buffer` and
// `watch` must outlive the transfer.
void SetCommonOptions(CURL* easy, const HttpRequest& request, const IoOptions& options,
                      curl_slist* headers, char* error_buffer, AttemptWatch& watch) {
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "weft-io/1");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(options.low_speed_limit));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(absl::ToInt64Seconds(options.low_speed_time)));
  if (!request.aws_sigv4.empty()) {
    curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, request.aws_sigv4.c_str());
    curl_easy_setopt(easy, CURLOPT_USERPWD, request.user_pwd.c_str());
  }
  watch.Install();
}

// One GET, possibly spread over several curl transfers (attempts): a failed attempt is
// retried with backoff, resuming at the first byte not yet delivered. Driven by curl's
// multi interface on the caller's thread; not thread-safe (see io.h).
class HttpStream final : public InputStream {
 public:
  HttpStream(HttpRequest request, const IoOptions& options, uint64_t offset,
             std::optional<uint64_t> length)
      : request_(std::move(request)),
        options_(options),
        offset_(offset),
        length_(length),
        endpoint_(EndpointOf(request_.url)) {}

  ~HttpStream() override {
    EndAttempt();
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
  }

  // Sends the request and waits for the first bytes (or the end, or an error).
  absl::Status Open() {
    multi_ = curl_multi_init();
    if (multi_ == nullptr) return absl::InternalError("curl_multi_init failed");
    if (length_.has_value() && *length_ == 0) eof_ = true;
    return Fill();
  }

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    if (n == 0) return 0;
    if (Available() == 0) WEFT_RETURN_IF_ERROR(Fill());
    const size_t count = std::min(n, Available());
    std::memcpy(buf, buffer_.data() + buffer_pos_, count);
    buffer_pos_ += count;
    return count;
  }

  const std::string& url() const override { return request_.display_url; }

 private:
  size_t Available() const { return buffer_.size() - buffer_pos_; }

  absl::Status StartAttempt();
  void EndAttempt();
  absl::Status Fill();
  absl::Status OnAttemptDone(CURLcode rc);
  size_t OnData(const char* data, size_t size);

  static size_t WriteThunk(char* data, size_t size, size_t nmemb, void* self) {
    return static_cast<HttpStream*>(self)->OnData(data, size * nmemb);
  }

  // Constant after construction.
  const HttpRequest request_;
  const IoOptions options_;
  const uint64_t offset_;
  const std::optional<uint64_t> length_;
  const std::string endpoint_;

  CURLM* multi_ = nullptr;
  // The current attempt; null between attempts.
  CURL* easy_ = nullptr;
  std::unique_ptr<AttemptWatch> watch_;
  curl_slist* header_list_ = nullptr;
  char error_buffer_[CURL_ERROR_SIZE] = {0};

  // Per attempt.
  uint64_t range_start_ = 0;  // absolute byte the attempt asked for
  bool status_checked_ = false;
  bool error_response_ = false;
  std::string error_body_;
  uint64_t skip_ = 0;  // leading bytes to drop when a server ignored our Range
  bool paused_ = false;
  bool reached_length_ = false;

  // Whole stream.
  std::string buffer_;
  size_t buffer_pos_ = 0;
  uint64_t delivered_ = 0;  // bytes appended to buffer_ since offset_
  int failures_ = 0;        // consecutive failed attempts without progress
  absl::Time attempt_started_;
  absl::Time failing_since_;  // when the first of those failures_ started
  bool eof_ = false;
};

absl::Status HttpStream::StartAttempt() {
  easy_ = curl_easy_init();
  if (easy_ == nullptr) return absl::InternalError("curl_easy_init failed");
  watch_ = std::make_unique<AttemptWatch>(options_, easy_);
  attempt_started_ = absl::Now();
  range_start_ = offset_ + delivered_;
  status_checked_ = error_response_ = paused_ = reached_length_ = false;
  error_body_.clear();
  skip_ = 0;
  error_buffer_[0] = '\0';

  for (const std::string& header : request_.headers) {
    header_list_ = curl_slist_append(header_list_, header.c_str());
  }
  if (range_start_ > 0 || length_.has_value()) {
    std::string range = absl::StrCat("Range: bytes=", range_start_, "-");
    if (length_.has_value()) absl::StrAppend(&range, offset_ + *length_ - 1);
    header_list_ = curl_slist_append(header_list_, range.c_str());
  }
  SetCommonOptions(easy_, request_, options_, header_list_, error_buffer_, *watch_);
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &HttpStream::WriteThunk);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
  if (curl_multi_add_handle(multi_, easy_) != CURLM_OK) {
    return absl::InternalError("curl_multi_add_handle failed");
  }
  return absl::OkStatus();
}

void HttpStream::EndAttempt() {
  if (easy_ != nullptr) {
    curl_multi_remove_handle(multi_, easy_);
    curl_easy_cleanup(easy_);
    easy_ = nullptr;
  }
  watch_.reset();
  curl_slist_free_all(header_list_);
  header_list_ = nullptr;
}

// Drives the transfer until bytes are buffered, the stream ended, or it failed for good.
absl::Status HttpStream::Fill() {
  while (Available() == 0 && !eof_) {
    // Also checked here: curl asks its progress callback only about once a second while
    // no bytes arrive, and not at all between attempts.
    if (IsCancelled(options_)) return CancelledError("reading", url());
    if (easy_ == nullptr) WEFT_RETURN_IF_ERROR(StartAttempt());
    if (paused_) {
      paused_ = false;
      curl_easy_pause(easy_, CURLPAUSE_CONT);  // may deliver data right away
    }
    int running = 0;
    if (curl_multi_perform(multi_, &running) != CURLM_OK) {
      return absl::InternalError(absl::StrCat("curl_multi_perform failed for ", url()));
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy_) {
        WEFT_RETURN_IF_ERROR(OnAttemptDone(msg->data.result));
        break;
      }
    }
    if (Available() > 0 || eof_ || easy_ == nullptr || paused_) continue;
    curl_multi_poll(multi_, nullptr, 0,
                    /*timeout_ms=*/options_.cancelled != nullptr ? kCancelPollMs : kIdlePollMs,
                    nullptr);
  }
  return absl::OkStatus();
}

// Classifies a finished attempt: the end of the stream, a final HTTP error, or a
// transient failure that is retried after a backoff (the next Fill() loop restarts).
absl::Status HttpStream::OnAttemptDone(CURLcode rc) {
  long http_code = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &http_code);
  const bool timed_out = rc == CURLE_ABORTED_BY_CALLBACK && watch_->timed_out();
  const std::string curl_error = timed_out                  ? watch_->TimeoutReason()
                                 : error_buffer_[0] != '\0' ? std::string(error_buffer_)
                                                            : curl_easy_strerror(rc);
  EndAttempt();
  if (timed_out) rc = CURLE_OPERATION_TIMEDOUT;
  if (rc == CURLE_ABORTED_BY_CALLBACK) return CancelledError("reading", url());
  if (reached_length_ || http_code == 416) {  // 416: the range starts past the end
    eof_ = true;
    return absl::OkStatus();
  }
  if (rc == CURLE_OK && http_code < 300) {
    eof_ = true;
    return absl::OkStatus();
  }
  if (rc == CURLE_OK && !IsRetryableHttp(http_code)) {
    return request_.error_mapper ? request_.error_mapper(http_code, error_body_)
                                 : DefaultHttpError(http_code, request_.display_url);
  }
  if (rc != CURLE_OK && !IsTransientCurlError(rc)) {
    return absl::UnavailableError(
        absl::StrCat("cannot GET ", url(), " from ", endpoint_, ": ", curl_error));
  }
  const std::string why = rc != CURLE_OK ? curl_error : absl::StrCat("HTTP ", http_code);
  if (!request_.resumable && delivered_ > 0) {
    return absl::UnavailableError(
        absl::StrCat(endpoint_, " failed in the middle of ", url(), ": ", why));
  }
  if (failures_++ == 0) failing_since_ = attempt_started_;
  if (OutOfRetries(options_, failures_, failing_since_)) {
    return absl::UnavailableError(absl::StrCat(endpoint_, " unavailable after ",
                                               Attempts(failures_, "GET", url(), failing_since_),
                                               ": ", why));
  }
  if (!BackOffUnlessCancelled(options_, Backoff(options_, failures_))) {
    return CancelledError("reading", url());
  }
  return absl::OkStatus();
}

size_t HttpStream::OnData(const char* data, size_t size) {
  if (!status_checked_) {
    status_checked_ = true;
    long http_code = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &http_code);
    error_response_ = http_code >= 300;
    if (http_code == 200 && range_start_ > 0) skip_ = range_start_;
  }
  if (error_response_) {
    error_body_.append(data,
                       std::min(size, kMaxErrorBody - std::min(kMaxErrorBody, error_body_.size())));
    return size;
  }
  if (Available() >= kMaxBuffered) {
    paused_ = true;
    return CURL_WRITEFUNC_PAUSE;  // curl hands the same bytes again after unpausing
  }
  if (buffer_pos_ == buffer_.size()) {
    buffer_.clear();
    buffer_pos_ = 0;
  }
  const size_t dropped = static_cast<size_t>(std::min<uint64_t>(skip_, size));
  skip_ -= dropped;
  size_t keep = size - dropped;
  if (length_.has_value()) keep = std::min<uint64_t>(keep, *length_ - delivered_);
  buffer_.append(data + dropped, keep);
  delivered_ += keep;
  if (keep > 0) failures_ = 0;
  if (length_.has_value() && delivered_ >= *length_) {
    reached_length_ = true;
    return 0;  // stops the transfer (CURLE_WRITE_ERROR), which OnAttemptDone expects
  }
  return size;
}

// The body of a PUT, handed to curl from memory. Rewound for every attempt, and when
// curl itself needs to send it again (SEEKFUNCTION).
struct UploadSource {
  std::string_view body;
  size_t pos = 0;

  static size_t Read(char* buf, size_t size, size_t nmemb, void* self) {
    auto* source = static_cast<UploadSource*>(self);
    const size_t n = std::min(size * nmemb, source->body.size() - source->pos);
    std::memcpy(buf, source->body.data() + source->pos, n);
    source->pos += n;
    return n;
  }

  static int Seek(void* self, curl_off_t offset, int origin) {
    auto* source = static_cast<UploadSource*>(self);
    if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > source->body.size()) {
      return CURL_SEEKFUNC_CANTSEEK;
    }
    source->pos = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }
};

// Keeps the start of a response body: only error bodies (S3's XML) are of interest.
size_t KeepErrorBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t n = size * nmemb;
  body->append(data, std::min(n, kMaxErrorBody - std::min(kMaxErrorBody, body->size())));
  return n;
}

struct PutOutcome {
  CURLcode rc = CURLE_OK;
  long http_code = 0;
  std::string curl_error;
  std::string body;  // the response body, cut at kMaxErrorBody
};

// One attempt at the PUT, with a blocking curl_easy_perform: unlike a GET stream there is
// nothing for the caller to consume meanwhile.
PutOutcome PutOnce(const HttpRequest& request, std::string_view body, const IoOptions& options) {
  PutOutcome outcome;
  CURL* easy = curl_easy_init();
  if (easy == nullptr) {
    outcome.rc = CURLE_FAILED_INIT;
    outcome.curl_error = "curl_easy_init failed";
    return outcome;
  }
  curl_slist* headers = nullptr;
  for (const std::string& header : request.headers) {
    headers = curl_slist_append(headers, header.c_str());
  }
  char error_buffer[CURL_ERROR_SIZE] = {0};
  UploadSource source{body};
  AttemptWatch watch(options, easy);
  SetCommonOptions(easy, request, options, headers, error_buffer, watch);
  curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);  // PUT
  curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(easy, CURLOPT_READFUNCTION, &UploadSource::Read);
  curl_easy_setopt(easy, CURLOPT_READDATA, &source);
  curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, &UploadSource::Seek);
  curl_easy_setopt(easy, CURLOPT_SEEKDATA, &source);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &KeepErrorBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &outcome.body);
  outcome.rc = curl_easy_perform(easy);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &outcome.http_code);
  outcome.curl_error =
      error_buffer[0] != '\0' ? std::string(error_buffer) : curl_easy_strerror(outcome.rc);
  if (outcome.rc == CURLE_ABORTED_BY_CALLBACK && watch.timed_out()) {
    outcome.rc = CURLE_OPERATION_TIMEDOUT;
    outcome.curl_error = watch.TimeoutReason();
  }
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
  return outcome;
}

}  // namespace

absl::Status DefaultHttpError(long http_code, std::string_view url) {
  const std::string message = absl::StrCat("HTTP ", http_code, " for ", Sv(url));
  switch (http_code) {
    case 404:
    case 410:
      return absl::NotFoundError(message);
    case 401:
    case 403:
      return absl::PermissionDeniedError(message);
    case 416:
      return absl::OutOfRangeError(message);
    default:
      return absl::FailedPreconditionError(message);
  }
}

std::string EndpointOf(std::string_view url) {
  const size_t scheme_end = url.find("://");
  const size_t host_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const size_t path_start = url.find_first_of("/?", host_start);
  return std::string(url.substr(0, path_start));
}

absl::StatusOr<std::unique_ptr<InputStream>> OpenHttp(HttpRequest request, const IoOptions& options,
                                                      uint64_t offset,
                                                      std::optional<uint64_t> length) {
  InitCurlOnce();
  auto stream = std::make_unique<HttpStream>(std::move(request), options, offset, length);
  WEFT_RETURN_IF_ERROR(stream->Open());
  return std::unique_ptr<InputStream>(std::move(stream));
}

absl::Status HttpPut(const HttpRequest& request, std::string_view body, const IoOptions& options) {
  InitCurlOnce();
  const std::string endpoint = EndpointOf(request.url);
  const absl::Time failing_since = absl::Now();  // no bytes count as progress for a PUT
  for (int failures = 1;; ++failures) {
    if (IsCancelled(options)) return CancelledError("writing", request.display_url);
    const PutOutcome outcome = PutOnce(request, body, options);
    if (outcome.rc == CURLE_ABORTED_BY_CALLBACK) {
      return CancelledError("writing", request.display_url);
    }
    if (outcome.rc == CURLE_OK && outcome.http_code < 300) return absl::OkStatus();
    if (outcome.rc == CURLE_OK && !IsRetryableHttp(outcome.http_code)) {
      return request.error_mapper ? request.error_mapper(outcome.http_code, outcome.body)
                                  : DefaultHttpError(outcome.http_code, request.display_url);
    }
    if (outcome.rc != CURLE_OK && !IsTransientCurlError(outcome.rc)) {
      return absl::UnavailableError(absl::StrCat("cannot PUT ", request.display_url, " to ",
                                                 endpoint, ": ", outcome.curl_error));
    }
    const std::string why =
        outcome.rc != CURLE_OK ? outcome.curl_error : absl::StrCat("HTTP ", outcome.http_code);
    if (OutOfRetries(options, failures, failing_since)) {
      return absl::UnavailableError(
          absl::StrCat(endpoint, " unavailable after ",
                       Attempts(failures, "PUT", request.display_url, failing_since), ": ", why));
    }
    if (!BackOffUnlessCancelled(options, Backoff(options, failures))) {
      return CancelledError("writing", request.display_url);
    }
  }
}

}  // namespace weft::io::internal
