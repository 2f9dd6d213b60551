#include "tests/test_cluster.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/process.h"
#include "common/scheduler_file.h"

namespace weft::testing {

HttpResponse HttpGet(const std::string& base, const std::string& target) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  std::string authority(absl::StripSuffix(absl::StripPrefix(base, "http://"), "/"));
  const size_t colon = authority.rfind(':');
  const std::string host = authority.substr(0, colon);
  const std::string port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  boost::beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(resolver.resolve(host, port));
  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::host, host);
  http::write(stream, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return HttpResponse{static_cast<int>(response.result_int()),
                      std::string(response[http::field::content_type]), response.body()};
}
namespace fs = std::filesystem;

std::string PythonJson(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull:
      return "null";
    case ValueKind::kBool:
      return v.as_bool() ? "true" : "false";
    case ValueKind::kInt:
      return std::to_string(v.as_int());
    case ValueKind::kDouble: {
      char text[32];
      std::snprintf(text, sizeof(text), "%.17g", v.as_double());
      std::string out = text;
      if (out.find_first_of(".en") == std::string::npos) out += ".0";
      return out;
    }
    case ValueKind::kString: {
      std::string out = "\"";
      for (unsigned char c : v.as_string()) {
        if (c == '"' || c == '\\') {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c == '\n') {
          out += "\\n";
        } else if (c == '\t') {
          out += "\\t";
        } else if (c == '\r') {
          out += "\\r";
        } else if (c == '\b') {
          out += "\\b";
        } else if (c == '\f') {
          out += "\\f";
        } else if (c < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof(esc), "\\u%04x", c);
          out += esc;
        } else {
          out += static_cast<char>(c);
        }
      }
      return out + "\"";
    }
    case ValueKind::kList: {
      std::vector<std::string> items;
      for (const Value& item : v.as_list()) items.push_back(PythonJson(item));
      return "[" + absl::StrJoin(items, ", ") + "]";
    }
    case ValueKind::kRecord: {
      std::vector<std::string> fields;
      for (const auto& [name, value] : v.as_record()) {
        fields.push_back(PythonJson(Value(name)) + ": " + PythonJson(value));
      }
      return "{" + absl::StrJoin(fields, ", ") + "}";
    }
    default:
      return v.DebugString();
  }
}

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return path;
  return absl::StrCat(srcdir, "/", workspace ? workspace : "weft", "/", path);
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_seconds) {
  std::vector<std::string> quoted;
  for (const auto& a : argv) quoted.push_back(ShellQuote(a));
  std::string cmd =
      absl::StrCat("timeout ", timeout_seconds, " ", absl::StrJoin(quoted, " "), " 2>&1");
  CommandResult result;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

namespace {}  // namespace

TestCluster::TestCluster(int n_workers, std::vector<std::string> worker_args,
                         std::vector<std::string> scheduler_args)
    : worker_args_(std::move(worker_args)) {
  std::string tmpl = (fs::temp_directory_path() / "weft-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  std::string file = dir_ + "/scheduler.json";
  std::vector<std::string> argv = {Runfile("scheduler/weft-scheduler"),
                                   "--host",
                                   "127.0.0.1",
                                   "--port",
                                   "0",
                                   "--scheduler-file",
                                   file};
  argv.insert(argv.end(), scheduler_args.begin(), scheduler_args.end());
  SpawnOptions spawn;
  spawn.log_path = dir_ + "/scheduler.log";
  auto pid = SpawnProcess(argv, spawn);
  if (!pid.ok()) throw std::runtime_error(pid.status().ToString());
  scheduler_ = *pid;
  auto address = ReadSchedulerFile(file, absl::Now() + absl::Seconds(30));
  if (!address.ok()) throw std::runtime_error("scheduler did not start: " + Logs());
  address_ = *std::move(address);
  for (int i = 0; i < n_workers; ++i) AddWorker();
  if (!WaitForWorkers(n_workers)) throw std::runtime_error("workers did not join: " + Logs());
}

TestCluster::~TestCluster() {
  for (pid_t pid : workers_) {
    if (pid > 0) ::kill(pid, SIGCONT);
  }
  StopProcesses(workers_, absl::Seconds(5));
  StopProcess(scheduler_, absl::Seconds(5));
  std::error_code ec;
  if (std::getenv("WEFT_KEEP_TEST_DIRS") == nullptr) fs::remove_all(dir_, ec);
}

int TestCluster::AddWorker(std::vector<std::string> extra_args) {
  int i = static_cast<int>(workers_.size());
  std::vector<std::string> argv = {Runfile("worker/weft-worker"), address_, "--name",
                                   absl::StrCat("w", i), "--host", "127.0.0.1", "--local-directory",
                                   absl::StrCat(dir_, "/w", i),
                                   // One process, as before the nanny: a killed worker stays dead.
                                   "--no-nanny"};
  argv.insert(argv.end(), worker_args_.begin(), worker_args_.end());
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  SpawnOptions spawn;
  spawn.log_path = absl::StrCat(dir_, "/worker-", i, ".log");
  auto pid = SpawnProcess(argv, spawn);
  if (!pid.ok()) throw std::runtime_error(pid.status().ToString());
  workers_.push_back(*pid);
  return i;
}

void TestCluster::SignalWorker(int i, int signal) {
  ::kill(workers_[i], signal);
  if (signal == SIGKILL) {
    int status;
    ::waitpid(workers_[i], &status, 0);
    workers_[i] = -1;
  }
}

std::unique_ptr<Client> TestCluster::Connect() {
  auto client = Client::Connect(address_);
  if (!client.ok()) throw std::runtime_error(client.status().ToString());
  return *std::move(client);
}

bool TestCluster::WaitForWorkers(int n, int timeout_seconds) {
  auto client = Connect();
  return WaitForInfo(
      *client, [n](const ClusterInfo& info) { return info.workers == n; },
      absl::Seconds(timeout_seconds));
}

int64_t TasksIn(const ClusterInfo& info, const std::string& state) {
  auto it = info.tasks_by_state.find(state);
  return it == info.tasks_by_state.end() ? 0 : it->second;
}

std::string TestCluster::Logs() const {
  std::string out;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (entry.path().extension() == ".log") {
      absl::StrAppend(&out, "\n--- ", entry.path().filename().string(), " ---\n",
                      ReadFileBytes(entry.path().string()));
    }
  }
  return out;
}

ScopedEnv::ScopedEnv(const std::map<std::string, std::string>& vars) {
  for (const auto& [name, value] : vars) {
    const char* old = std::getenv(name.c_str());
    saved_[name] = old == nullptr ? std::nullopt : std::optional<std::string>(old);
    if (value.empty()) {
      ::unsetenv(name.c_str());
    } else {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
}

ScopedEnv::~ScopedEnv() {
  for (const auto& [name, value] : saved_) {
    if (value.has_value()) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
}

}  // namespace weft::testing
