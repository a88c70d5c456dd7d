#pragma once
// A process started in the background (stdout and stderr into files),
// stopped by its pid when the object goes: SIGCONT, SIGTERM, SIGKILL after a
// grace period, always reaped; the processes of ours it started that outlive
// it get SIGKILL too (see owned_processes.hpp).

#include "tests/support/owned_processes.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace troupe::testing {

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
    started_ = std::chrono::steady_clock::now();
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
        ended_ = std::chrono::steady_clock::now();
      } else if (w < 0) {
        exit_code_ = -1;  // not our child any more: never signal it again
      }
    }
    return exit_code_;
  }

  /// Waits up to `limit` for it to end.
  std::optional<int> wait_exit(std::chrono::milliseconds limit) {
    wait_until([&] { return poll().has_value(); }, limit, std::chrono::milliseconds(10));
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
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
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
        ended_ = std::chrono::steady_clock::now();
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
  std::chrono::steady_clock::time_point started_{};
  std::chrono::steady_clock::time_point ended_{};
};

} // namespace troupe::testing
