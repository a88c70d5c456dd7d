#pragma once
// Child processes: start one with its output in files, stop it, reap it.
// Plain POSIX, no policy: workers use it for executors and drivers, deploy
// for local clusters.

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace troupe {

/// How a child ended.
struct child_exit {
  pid_t pid = 0;
  int exit_code = 0;     ///< valid when !signaled
  int signal = 0;        ///< valid when signaled
  bool signaled = false;
  /// "exit 3" or "killed by signal 9 (Killed)".
  std::string describe() const;
  bool ok() const { return !signaled && exit_code == 0; }
};

/// Starts `argv` (argv[0] is a path or a name on PATH) with stdout and stderr
/// appended to the given files ("" keeps the parent's), in its own process
/// group, dying with the parent (PR_SET_PDEATHSIG). Throws std::runtime_error
/// naming the program when it cannot start.
pid_t start_process(const std::vector<std::string>& argv, const std::string& stdout_path = {},
                    const std::string& stderr_path = {}, const std::string& cwd = {});

/// Waits up to `timeout` for `pid` to end; nullopt if it has not.
std::optional<child_exit> wait_for(pid_t pid, std::chrono::milliseconds timeout);

/// SIGTERM, then SIGKILL after `grace` if it is still there; reaps it.
child_exit stop_process(pid_t pid, std::chrono::milliseconds grace);

/// This machine's host name.
std::string host_name();

/// The path of the running executable (/proc/self/exe).
std::string self_executable();

/// Reads at most the last `max_bytes` of a file ("" if it cannot be read).
std::string read_tail(const std::string& path, size_t max_bytes);

/// The ids of every process this host shows in /proc (empty if it cannot be read).
std::vector<pid_t> all_pids();

} // namespace troupe
