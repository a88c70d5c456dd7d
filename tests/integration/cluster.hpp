#pragma once
// The integration tests' view of troupe: real `troupe` processes on loopback.
//
// - troupe_cmd: a bounded foreground run (tests/support/process.hpp's
//   run_command) of the suite's binary snapshot, with the owner marker
//   (tests/support/owned_processes.hpp) in its environment.
// - cluster: a master and workers as background_processes, and the parsed
//   output of `troupe status`.
// - wait_until (tests/support/wait.hpp): polling with a deadline instead of sleeps.
#include "tests/support/background_process.hpp"
#include "tests/support/binary.hpp"
#include "tests/support/owned_processes.hpp"
#include "tests/support/process.hpp"
#include "tests/support/text.hpp"
#include "tests/support/wait.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

namespace troupe::itest {

using namespace std::chrono_literals;
using namespace troupe::testing;
using clock = std::chrono::steady_clock;

// -- one-shot commands ----------------------------------------------------------

/// `troupe args...`, killed (with its process group) after `limit`.
inline run_result troupe_cmd(const std::vector<std::string>& args, std::chrono::milliseconds limit = 60s) {
  std::vector<std::string> argv{troupe_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return troupe::testing::run_command(argv, limit, {owner_marker()});
}

/// "submitted driver D" -> D, or "".
inline std::string submitted_driver(const std::string& out) {
  static const std::regex re{R"(submitted driver (driver-\S+))"};
  std::smatch m;
  return std::regex_search(out, m, re) ? m[1].str() : std::string{};
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
      : dir_(name) {
    std::vector<std::string> argv{troupe_binary(), "node", "--role", "master", "--host", "127.0.0.1", "--port", "0"};
    for (auto& c : master_conf) {
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
  /// A path inside the cluster's temporary directory.
  std::string path(const std::string& name) const { return dir_ / name; }
  background_process& worker(size_t i) { return *workers_.at(i); }

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
  std::unique_ptr<background_process> master_;
  std::vector<std::unique_ptr<background_process>> workers_;
  std::string url_;
};

} // namespace troupe::itest
