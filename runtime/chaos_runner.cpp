#include "runtime/chaos_runner.hpp"

#include "runtime/process.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace troupe {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return {};
  try {
    return std::string(std::istreambuf_iterator<char>(f), {});
  } catch (const std::ios_base::failure&) {
    return {};  // the process went while it was read
  }
}

/// ppid and start time (clock ticks since boot) of a live process; false when gone or a zombie.
bool read_stat(pid_t pid, pid_t& ppid, unsigned long long& start) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');  // comm may hold spaces and parentheses
  if (close == std::string::npos || close + 2 >= stat.size())
    return false;
  std::istringstream rest(stat.substr(close + 2));
  char state = '?';
  rest >> state >> ppid;
  // Fields 5..21, then starttime (22); we read fields 3 and 4 above.
  std::string skip;
  for (int field = 5; field <= 21; ++field)
    rest >> skip;
  rest >> start;
  return rest && state != 'Z' && state != 'X';
}

std::vector<std::string> cmdline(pid_t pid) {
  auto raw = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> args;
  std::string cur;
  for (char c : raw) {
    if (c == '\0') {
      args.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  return args;
}

std::string flag_value(const std::vector<std::string>& args, const std::string& flag) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag)
      return args[i + 1];
  return {};
}

/// The start time of a live process, or 0.
unsigned long long start_time(pid_t pid) {
  pid_t ppid = 0;
  unsigned long long start = 0;
  return pid > 0 && read_stat(pid, ppid, start) ? start : 0;
}

std::string stamp(const chaos_event& e) {
  char t[32];
  std::snprintf(t, sizeof t, "t=%.3fs", static_cast<double>(e.at_ms) / 1000.0);
  return t;
}

} // namespace

std::vector<chaos_process> child_processes(const std::vector<pid_t>& parents, const std::string& role) {
  std::vector<chaos_process> out;
  for (auto pid : all_pids()) {
    pid_t ppid = 0;
    unsigned long long start = 0;
    if (!read_stat(pid, ppid, start) || std::find(parents.begin(), parents.end(), ppid) == parents.end())
      continue;
    auto args = cmdline(pid);
    if (flag_value(args, "--role") != role)
      continue;
    auto name = role == "executor" ? "executor-" + flag_value(args, "--executor-id") + "@" + flag_value(args, "--app-id")
                                   : flag_value(args, "--driver-id");
    out.push_back({pid, name});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

chaos_runner::chaos_runner(std::vector<chaos_event> schedule, chaos_hooks hooks, std::ostream& out)
    : schedule_(std::move(schedule)), hooks_(std::move(hooks)), out_(out) {}

chaos_runner::~chaos_runner() { stop(); }

void chaos_runner::start() { thread_ = std::thread([this] { run(); }); }

void chaos_runner::stop() {
  {
    std::lock_guard<std::mutex> lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
  resume_all();
}

void chaos_runner::run() {
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < schedule_.size(); ++i) {
    {
      std::unique_lock<std::mutex> lock{mutex_};
      if (wake_.wait_until(lock, t0 + std::chrono::milliseconds(schedule_[i].at_ms), [&] { return stopping_; }))
        return;
    }
    fire(i);
  }
  // Stay until stop(): the workers and masters this thread restarted die with
  // it (start_process sets PR_SET_PDEATHSIG, which follows the forking thread).
  std::unique_lock<std::mutex> lock{mutex_};
  wake_.wait(lock, [&] { return stopping_; });
}

void chaos_runner::say(const chaos_event& e, const std::string& what) {
  std::ostringstream line;
  line << "chaos: " << stamp(e) << " " << to_string(e.action) << " " << what << "\n";
  out_ << line.str() << std::flush;
}

void chaos_runner::fire(size_t i) {
  const auto& e = schedule_[i];
  auto skipped = [&](const std::string& why) { say(e, std::string{to_string(e.target)} + " skipped: " + why); };
  if (e.action == chaos_action::resume) {
    auto it = frozen_.find(static_cast<size_t>(e.undoes));
    if (it == frozen_.end())
      return;  // its stop was skipped
    auto [pid, start] = it->second;
    auto name = frozen_names_[it->first];
    frozen_.erase(it);
    if (start_time(pid) != start) {
      skipped(name + " pid=" + std::to_string(pid) + " is gone");
      return;
    }
    ::kill(pid, SIGCONT);
    say(e, name + " pid=" + std::to_string(pid));
    return;
  }
  if (e.action == chaos_action::restart) {
    auto pid = e.target == chaos_target::master ? hooks_.restart_master() : hooks_.restart_worker(e.index);
    if (pid <= 0)
      skipped("it could not be started again");
    else
      say(e, (e.target == chaos_target::master ? std::string{"master"} : "worker-" + std::to_string(e.index))
               + " pid=" + std::to_string(pid));
    return;
  }
  chaos_process target;
  switch (e.target) {
    case chaos_target::worker:
      target = {hooks_.worker_pid(e.index), "worker-" + std::to_string(e.index)};
      break;
    case chaos_target::master:
      target = {hooks_.master_pid(), "master"};
      break;
    case chaos_target::executor:
    case chaos_target::driver: {
      std::vector<pid_t> workers;
      for (int32_t w = 0;; ++w) {
        auto pid = hooks_.worker_pid(w);
        if (pid < 0)
          break;  // past the last worker
        if (pid > 0)
          workers.push_back(pid);
      }
      auto found = child_processes(workers, std::string{to_string(e.target)});
      if (found.empty()) {
        skipped("none running");
        return;
      }
      target = found[static_cast<size_t>(e.index) % found.size()];
      break;
    }
  }
  if (target.pid <= 0) {
    skipped(target.name + " is not running");
    return;
  }
  auto start = start_time(target.pid);
  if (start == 0) {
    skipped(target.name + " is not running");
    return;
  }
  ::kill(target.pid, e.action == chaos_action::kill ? SIGKILL : SIGSTOP);
  if (e.action == chaos_action::stop) {
    frozen_[i] = {target.pid, start};
    frozen_names_[i] = target.name;
  }
  ++faults_;
  say(e, target.name + " pid=" + std::to_string(target.pid));
}

void chaos_runner::resume_all() {
  for (auto& [at, p] : frozen_)
    if (start_time(p.first) == p.second)
      ::kill(p.first, SIGCONT);
  frozen_.clear();
}

} // namespace troupe
