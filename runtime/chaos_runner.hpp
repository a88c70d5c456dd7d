#pragma once
// Plays a chaos schedule (runtime/chaos) on the processes of a local cluster:
// a thread that, at each event's time, resolves its target among the
// processes the cluster started (workers; executors and drivers = the
// workers' child processes, from /proc), signals it and prints one line to
// `out`:
//
//   chaos: t=1.234s SIGKILL executor-1@app-20261203141500-0000 pid=4242
//   chaos: t=2.000s SIGKILL executor skipped: none running
//
// t is the event's scheduled time (so two runs of a seed print the same
// times). Only processes the cluster started and their children are ever
// signalled; a frozen process is checked by its start time before its
// SIGCONT (its pid may have been reused), and everything still frozen is
// resumed when the runner stops.

#include "runtime/chaos.hpp"

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <thread>
#include <vector>

namespace troupe {

/// What the runner may do to the cluster: the cluster's own bookkeeping.
struct chaos_hooks {
  /// Worker i's pid now; 0 when it has none, -1 past the last worker.
  std::function<pid_t(int32_t index)> worker_pid;
  std::function<pid_t(int32_t index)> restart_worker;  ///< reap worker i, start it again; its new pid or 0
  std::function<pid_t()> master_pid;                   ///< 0 when none
  std::function<pid_t()> restart_master;               ///< reap the master, start it again; its new pid or 0
};

/// A process the runner found: its pid and the name it prints.
struct chaos_process {
  pid_t pid = 0;
  std::string name;  ///< "executor-<id>@<app>", "driver-..."
};

/// The executor (role "executor") or driver (role "driver") processes among
/// the children of `parents`, sorted by name.
std::vector<chaos_process> child_processes(const std::vector<pid_t>& parents, const std::string& role);

class chaos_runner {
public:
  chaos_runner(std::vector<chaos_event> schedule, chaos_hooks hooks, std::ostream& out);
  ~chaos_runner();
  chaos_runner(const chaos_runner&) = delete;
  chaos_runner& operator=(const chaos_runner&) = delete;

  /// Starts playing the schedule; t=0 is now. The thread stays until stop()
  /// (what it restarted dies with it: PR_SET_PDEATHSIG follows the thread).
  void start();
  /// Stops playing, resumes whatever is still frozen, joins the thread. Idempotent.
  void stop();
  /// Faults (kill or stop) actually applied so far (not skipped).
  int faults() const { return faults_.load(); }

private:
  void run();
  void fire(size_t i);
  void say(const chaos_event& e, const std::string& what);
  void resume_all();

  std::vector<chaos_event> schedule_;
  chaos_hooks hooks_;
  std::ostream& out_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<int> faults_{0};
  /// Position of a stop event -> the process it froze (pid, start time).
  std::map<size_t, std::pair<pid_t, unsigned long long>> frozen_;
  std::map<size_t, std::string> frozen_names_;  ///< ... and its name
};

} // namespace troupe
