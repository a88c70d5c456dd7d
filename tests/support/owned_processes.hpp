#pragma once
// Which processes a test executable started, found without matching names:
// every process started through background_process or with owner_marker() in
// its environment (and everything those start) carries
// TROUPE_ITEST_OWNER=<pid of the test executable>, which /proc tells. A pid is
// signalled only after that check.

#include "runtime/process.hpp"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace troupe::testing {

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
  // A process that exits while its file is read makes libstdc++'s filebuf
  // throw (read(2) fails with ESRCH): it is gone, which is what empty means.
  try {
    return std::string(std::istreambuf_iterator<char>(f), {});
  } catch (const std::ios_base::failure&) {
    return {};
  }
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
  for (auto pid : troupe::all_pids())
    if (auto p = read_proc(pid))
      out.push_back(std::move(*p));
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

} // namespace troupe::testing
