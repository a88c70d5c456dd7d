#pragma once
// Helpers for the integration tests: real `troupe` processes on loopback.
//
// - background_process: a process started in the background (stdout and
//   stderr into files), stopped by its pid when the object goes: SIGCONT,
//   SIGTERM, SIGKILL after a grace period, always reaped; the suite
//   processes it started (found below) that outlive it get SIGKILL too.
// - Every process this suite starts, and everything those start, carries
//   TROUPE_ITEST_OWNER=<pid of the test executable> in its environment, so
//   that /proc tells which processes are ours (suite_processes) without
//   matching names; a pid is signalled only after that check.
// - troupe_cmd: a bounded foreground run (tests/support/process.hpp's
//   run_command) with that marker.
// - cluster: a master and workers as background_processes, and the parsed
//   output of `troupe status`.
// - wait_until: polling with a deadline instead of sleeps.
#include "tests/support/process.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace troupe::itest {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using troupe::testing::run_result;

// -- the binary and the marker ------------------------------------------------

/// The troupe binary as built: $TROUPE_BIN (set by meson), else build/troupe
/// of the source tree this file belongs to, else build/troupe from the
/// current directory.
inline std::string built_troupe_binary() {
  if (const char* env = std::getenv("TROUPE_BIN"); env != nullptr && *env != '\0')
    return env;
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  fs::path here{__FILE__};  // <root>/tests/integration/cluster_support.hpp
  if (here.is_absolute())
    candidates.push_back(here.parent_path().parent_path().parent_path() / "build" / "troupe");
  candidates.push_back("build/troupe");
  candidates.push_back("../build/troupe");
  for (auto& c : candidates)
    if (fs::is_regular_file(c))
      return fs::absolute(c).string();
  return "build/troupe";
}

/// A private copy of the built binary, made on first use and removed at
/// exit: a rebuild while the suite runs (ninja relinks build/troupe in place)
/// must not pull the binary from under running tests. Taken only once
/// `troupe apps` runs from it; falls back to the built binary.
class binary_snapshot {
public:
  binary_snapshot() {
    namespace fs = std::filesystem;
    auto built = built_troupe_binary();
    path_ = built;
    std::string tmpl = "/tmp/troupe-itest-bin-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      return;
    dir_ = tmpl;
    auto copy = (dir_ / "troupe").string();
    for (auto deadline = clock::now() + 30s; clock::now() < deadline; std::this_thread::sleep_for(500ms)) {
      std::error_code ec;
      fs::copy_file(built, copy, fs::copy_options::overwrite_existing, ec);
      if (ec)
        continue;
      auto r = troupe::testing::run_command({copy, "apps"}, 10s);
      if (r.exit_code == 0 && r.out.find("word_count") != std::string::npos) {
        path_ = copy;
        return;
      }
    }
  }
  ~binary_snapshot() {
    std::error_code ec;
    if (!dir_.empty())
      std::filesystem::remove_all(dir_, ec);
  }
  const std::string& path() const { return path_; }

private:
  std::filesystem::path dir_;
  std::string path_;
};

/// The troupe binary every test runs (see binary_snapshot).
inline std::string troupe_binary() {
  static binary_snapshot snapshot;
  return snapshot.path();
}

/// "TROUPE_ITEST_OWNER=<our pid>": in the environment of everything we start.
inline const std::string& owner_marker() {
  static const std::string marker = "TROUPE_ITEST_OWNER=" + std::to_string(::getpid());
  return marker;
}

// -- /proc --------------------------------------------------------------------

struct proc_info {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';  ///< R, S, D, T, Z, ...
  std::string cmdline;  ///< arguments joined by spaces
};

inline std::string read_proc_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return {};
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline std::optional<proc_info> read_proc(pid_t pid) {
  auto stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  // pid (comm) state ppid ...; comm may hold spaces and parentheses: take the last ')'.
  auto close = stat.rfind(')');
  if (stat.empty() || close == std::string::npos || close + 4 > stat.size())
    return std::nullopt;
  proc_info p;
  p.pid = pid;
  std::istringstream rest(stat.substr(close + 2));
  rest >> p.state >> p.ppid;
  auto cmd = read_proc_file("/proc/" + std::to_string(pid) + "/cmdline");
  for (auto& c : cmd)
    if (c == '\0')
      c = ' ';
  while (!cmd.empty() && cmd.back() == ' ')
    cmd.pop_back();
  p.cmdline = std::move(cmd);
  return p;
}

inline std::vector<proc_info> list_processes() {
  std::vector<proc_info> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr)
    return out;
  while (auto* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid <= 0)
      continue;
    if (auto p = read_proc(static_cast<pid_t>(pid)))
      out.push_back(std::move(*p));
  }
  ::closedir(d);
  return out;
}

/// True when `pid`'s environment holds our marker (false once it is a zombie or gone).
inline bool has_marker(pid_t pid) {
  auto env = read_proc_file("/proc/" + std::to_string(pid) + "/environ");
  std::string needle = std::string(1, '\0') + owner_marker() + '\0';
  return (std::string(1, '\0') + env).find(needle) != std::string::npos;
}

/// A process that exists and is not a zombie.
inline bool is_running(pid_t pid) {
  auto p = read_proc(pid);
  return p && p->state != 'Z' && p->state != 'X';
}

/// Live processes (not zombies) started by this suite, directly or not; never this process.
inline std::vector<proc_info> suite_processes() {
  std::vector<proc_info> out;
  for (auto& p : list_processes())
    if (p.pid != ::getpid() && p.state != 'Z' && p.state != 'X' && has_marker(p.pid))
      out.push_back(p);
  return out;
}

/// The live descendants of `root` (children, their children, ...), from one snapshot.
inline std::vector<proc_info> descendants(pid_t root) {
  auto all = list_processes();
  std::vector<proc_info> out;
  std::set<pid_t> parents{root};
  for (bool grew = true; grew;) {
    grew = false;
    for (auto& p : all)
      if (parents.count(p.ppid) != 0 && parents.insert(p.pid).second) {
        if (p.state != 'Z' && p.state != 'X')
          out.push_back(p);
        grew = true;
      }
  }
  return out;
}

/// The live processes whose command line contains `part` and that are ours.
inline std::vector<proc_info> suite_processes_matching(const std::string& part) {
  std::vector<proc_info> out;
  for (auto& p : suite_processes())
    if (p.cmdline.find(part) != std::string::npos)
      out.push_back(p);
  return out;
}

inline std::string describe(const std::vector<proc_info>& ps) {
  std::string s;
  for (auto& p : ps)
    s += "  pid " + std::to_string(p.pid) + " ppid " + std::to_string(p.ppid) + " [" + p.state + "] " + p.cmdline + "\n";
  return s.empty() ? "  (none)\n" : s;
}

/// SIGKILL for a process of ours that is not our child (checked through its marker).
inline void kill_if_ours(pid_t pid) {
  if (pid > 0 && pid != ::getpid() && has_marker(pid))
    ::kill(pid, SIGKILL);
}

/// SIGKILL for every live process of this suite; returns what it found.
inline std::vector<proc_info> kill_suite_processes() {
  auto left = suite_processes();
  for (auto& p : left)
    kill_if_ours(p.pid);
  return left;
}

// -- waiting --------------------------------------------------------------------

/// Polls `cond` every `every` until it holds (true) or `limit` passed (false).
inline bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds limit,
                       std::chrono::milliseconds every = 50ms) {
  auto deadline = clock::now() + limit;
  for (;;) {
    if (cond())
      return true;
    if (clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(every);
  }
}

inline double seconds_since(clock::time_point t) {
  return std::chrono::duration<double>(clock::now() - t).count();
}

// -- processes --------------------------------------------------------------------

/// How a reaped process ended: exit code, or 128 + signal.
inline int exit_code_of(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

/// A process in the background with its output in files; stopped and reaped
/// (by pid) when the object goes, whatever happened in between.
class background_process {
public:
  background_process(std::vector<std::string> argv, const std::filesystem::path& log_dir, const std::string& name)
      : argv_(std::move(argv)), out_path_((log_dir / (name + ".out")).string()),
        err_path_((log_dir / (name + ".err")).string()) {
    std::filesystem::create_directories(log_dir);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e)
      if (std::string(*e).rfind("TROUPE_ITEST_OWNER=", 0) != 0)
        env_strings.emplace_back(*e);
    env_strings.push_back(owner_marker());
    std::vector<char*> envp;
    for (auto& e : env_strings)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<char*> args;
    for (auto& a : argv_)
      args.push_back(a.data());
    args.push_back(nullptr);
    int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0 || err < 0)
      throw std::runtime_error("cannot create " + out_path_ + " or " + err_path_);
    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(out);
      ::close(err);
      throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
      // Dies with the test executable, even when it crashes.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent)
        ::_exit(127);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0)
        ::dup2(devnull, STDIN_FILENO);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(err, STDERR_FILENO);
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    ::close(out);
    ::close(err);
    started_ = clock::now();
  }
  ~background_process() {
    try {
      stop();
    } catch (...) {
    }
  }
  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;

  pid_t pid() const { return pid_; }
  std::string out() const { return read_proc_file(out_path_); }
  std::string err() const { return read_proc_file(err_path_); }
  std::string describe() const {
    std::string s;
    for (auto& a : argv_)
      s += a + " ";
    s += "\n  pid " + std::to_string(pid_);
    if (exit_code_ && term_signal_ != 0)
      s += ", killed by signal " + std::to_string(term_signal_);
    else if (exit_code_)
      s += ", exit " + std::to_string(*exit_code_);
    return s + "\n--- stdout ---\n" + out() + "--- stderr ---\n" + err();
  }

  /// The exit code (128 + signal when signalled) once reaped; reaps without blocking.
  std::optional<int> poll() {
    if (!exit_code_ && pid_ > 0) {
      int status = 0;
      pid_t w;
      do
        w = ::waitpid(pid_, &status, WNOHANG);
      while (w < 0 && errno == EINTR);
      if (w == pid_) {
        exit_code_ = exit_code_of(status);
        term_signal_ = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        ended_ = clock::now();
      } else if (w < 0) {
        exit_code_ = -1;  // not our child any more: never signal it again
      }
    }
    return exit_code_;
  }

  /// Waits up to `limit` for it to end.
  std::optional<int> wait_exit(std::chrono::milliseconds limit) {
    wait_until([&] { return poll().has_value(); }, limit, 10ms);
    return poll();
  }

  /// The signal that ended it (0: it exited; valid once ended).
  int term_signal() const { return term_signal_; }

  /// Seconds from start to the end (valid once ended).
  double lifetime() const { return std::chrono::duration<double>(ended_ - started_).count(); }

  /// Sends `sig` while it has not been reaped (its pid is still ours then).
  void signal(int sig) {
    if (!poll())
      ::kill(pid_, sig);
  }

  /// SIGCONT + SIGTERM, SIGKILL after `grace`, reaped; then SIGKILL for the
  /// suite processes that descended from it and outlived it. Returns its exit code.
  int stop(std::chrono::milliseconds grace = 5s) {
    if (pid_ <= 0)
      return -1;
    auto family = descendants(pid_);
    if (!poll()) {
      ::kill(pid_, SIGCONT);
      ::kill(pid_, SIGTERM);
      if (!wait_exit(grace)) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        pid_t w;
        do
          w = ::waitpid(pid_, &status, 0);
        while (w < 0 && errno == EINTR);
        exit_code_ = w == pid_ ? exit_code_of(status) : -1;
        term_signal_ = w == pid_ && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        ended_ = clock::now();
      }
    }
    for (auto& p : family)
      kill_if_ours(p.pid);
    return *exit_code_;
  }

private:
  std::vector<std::string> argv_;
  std::string out_path_;
  std::string err_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  int term_signal_ = 0;
  clock::time_point started_{};
  clock::time_point ended_{};
};

// -- one-shot commands ----------------------------------------------------------

inline std::string describe(const run_result& r) {
  return "exit=" + std::to_string(r.exit_code) + " signal=" + std::to_string(r.term_signal)
         + (r.timed_out ? " TIMED OUT" : "") + "\n--- stdout ---\n" + r.out + "--- stderr ---\n" + r.err;
}

/// `troupe args...`, killed (with its process group) after `limit`.
inline run_result troupe_cmd(const std::vector<std::string>& args, std::chrono::milliseconds limit = 60s) {
  std::vector<std::string> argv{troupe_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return troupe::testing::run_command(argv, limit, {owner_marker()});
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The lines of `text` (without their '\n').
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

/// A port on 127.0.0.1 where nothing listens (it did a moment ago: the kernel just gave it out).
inline uint16_t unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0)
      ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

/// The `troupe://127.0.0.1:PORT` a master (or simulate) printed, or "".
inline std::string printed_url(const std::string& out) {
  static const std::regex url{R"(troupe master listening on (troupe://127\.0\.0\.1:(\d+)))"};
  std::smatch m;
  return std::regex_search(out, m, url) ? m[1].str() : std::string{};
}

inline uint16_t port_of(const std::string& url) {
  return static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

// -- troupe status, parsed ----------------------------------------------------------

struct status_report {
  bool ok = false;  ///< the command exited 0
  std::string text;
  std::map<std::string, std::string> workers;  ///< worker id -> ALIVE / DEAD / DECOMMISSIONED
  struct app {
    std::string id, name, state, driver_line;
    std::vector<std::string> executor_lines;
  };
  std::vector<app> apps;
  struct driver {
    std::string id, app, state, worker;
  };
  std::vector<driver> drivers;

  int alive_workers() const {
    int n = 0;
    for (auto& [id, s] : workers)
      n += s == "ALIVE" ? 1 : 0;
    return n;
  }
  std::string worker_state(const std::string& id) const {
    auto it = workers.find(id);
    return it == workers.end() ? "" : it->second;
  }
  const app* find_app_of_driver(const std::string& driver_id) const {
    for (auto& a : apps)
      if (contains(a.driver_line, "driver " + driver_id + " "))
        return &a;
    return nullptr;
  }
};

inline status_report parse_status(const run_result& r) {
  status_report st;
  st.ok = r.exit_code == 0 && !r.timed_out;
  st.text = r.out;
  static const std::regex worker_re{R"(^  (worker-\S+)  (\S+)  ([A-Z]+)  cores )"};
  static const std::regex app_re{R"(^  (app-\S+)  (\S+)  ([A-Z]+)  cores )"};
  static const std::regex driver_re{R"(^  (driver-\S+)  (\S+)  ([A-Z]+)  on (\S+))"};
  std::string section;
  for (auto& line : lines_of(r.out)) {
    if (line.rfind("WORKERS", 0) == 0 || line.rfind("APPLICATIONS", 0) == 0 || line.rfind("DRIVERS", 0) == 0) {
      section = line.substr(0, line.find(' '));
      continue;
    }
    std::smatch m;
    if (section == "WORKERS" && std::regex_search(line, m, worker_re))
      st.workers[m[1]] = m[3];
    else if (section == "APPLICATIONS" && std::regex_search(line, m, app_re))
      st.apps.push_back({m[1], m[2], m[3], {}, {}});
    else if (section == "APPLICATIONS" && !st.apps.empty() && line.rfind("    driver: ", 0) == 0)
      st.apps.back().driver_line = line.substr(12);
    else if (section == "APPLICATIONS" && !st.apps.empty() && line.rfind("    executor ", 0) == 0)
      st.apps.back().executor_lines.push_back(line.substr(4));
    else if (section == "DRIVERS" && std::regex_search(line, m, driver_re))
      st.drivers.push_back({m[1], m[2], m[3], m[4]});
  }
  return st;
}

inline status_report cluster_status(const std::string& url, std::chrono::milliseconds limit = 20s) {
  return parse_status(troupe_cmd({"status", "--master", url}, limit));
}

/// `troupe status --master URL DRIVER`: (state, worker id); state "" when it failed.
struct driver_report {
  run_result run;
  std::string state;
  std::string worker;
};

inline driver_report driver_status(const std::string& url, const std::string& driver) {
  driver_report d;
  d.run = troupe_cmd({"status", "--master", url, driver}, 20s);
  static const std::regex head{R"(^(driver-\S+): ([A-Z]+))"};
  static const std::regex worker{R"(^  worker:  (worker-\S+))"};
  for (auto& line : lines_of(d.run.out)) {
    std::smatch m;
    if (std::regex_search(line, m, head))
      d.state = m[2];
    else if (std::regex_search(line, m, worker))
      d.worker = m[1];
  }
  return d;
}

// -- a cluster of processes -------------------------------------------------------

/// A master and workers as processes on 127.0.0.1, each stopped by its pid at the end.
class cluster {
public:
  explicit cluster(std::vector<std::string> master_conf = {}, const std::string& name = "cluster")
      : dir_(name), master_conf_(std::move(master_conf)) {
    std::vector<std::string> argv{troupe_binary(), "node", "--role", "master", "--host", "127.0.0.1", "--port", "0"};
    for (auto& c : master_conf_) {
      argv.push_back("--conf");
      argv.push_back(c);
    }
    master_ = std::make_unique<background_process>(argv, dir_.path() / "logs", "master");
    if (!wait_until([&] { return !printed_url(master_->out()).empty() || master_->poll(); }, 10s))
      throw std::runtime_error("the master printed no URL within 10 s:\n" + master_->describe());
    url_ = printed_url(master_->out());
    if (url_.empty())
      throw std::runtime_error("the master ended without a URL:\n" + master_->describe());
  }
  ~cluster() { stop(); }

  const std::string& url() const { return url_; }
  background_process& master() { return *master_; }
  background_process& worker(size_t i) { return *workers_.at(i); }
  size_t worker_count() const { return workers_.size(); }
  const std::filesystem::path& dir_path() const { return dir_.path(); }
  std::string path(const std::string& name) const { return dir_ / name; }

  /// Starts a worker; does not wait for it to register.
  background_process& add_worker(int cores, const std::string& memory, const std::vector<std::string>& conf = {}) {
    auto n = std::to_string(workers_.size());
    std::vector<std::string> argv{troupe_binary(), "node",   "--role", "worker", "--master", url_, "--host",
                                  "127.0.0.1",     "--cores", std::to_string(cores), "--memory", memory,
                                  "--work-dir",    dir_ / ("work-" + n)};
    for (auto& c : conf) {
      argv.push_back("--conf");
      argv.push_back(c);
    }
    workers_.push_back(std::make_unique<background_process>(argv, dir_.path() / "logs", "worker-" + n));
    return *workers_.back();
  }

  /// Polls `troupe status` until `n` workers are ALIVE; returns the last report.
  status_report await_alive(int n, std::chrono::milliseconds limit = 20s) {
    status_report last;
    wait_until(
      [&] {
        last = cluster_status(url_);
        return last.alive_workers() >= n;
      },
      limit, 100ms);
    return last;
  }

  /// Workers first (all at once), then the master.
  void stop() {
    for (auto& w : workers_) {
      w->signal(SIGCONT);
      w->signal(SIGTERM);
    }
    for (auto& w : workers_)
      w->stop();
    if (master_)
      master_->stop();
  }

private:
  troupe::testing::temp_dir dir_;
  std::vector<std::string> master_conf_;
  std::unique_ptr<background_process> master_;
  std::vector<std::unique_ptr<background_process>> workers_;
  std::string url_;
};

} // namespace troupe::itest
