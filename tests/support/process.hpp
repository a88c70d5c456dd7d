#pragma once
// Test helpers for running real processes: run_command (fork/exec with
// captured stdout/stderr and a hard timeout), run_in_child (a function in a
// forked child, bounded in time) and temp_dir (a scratch directory removed
// at the end). Header-only, POSIX.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace troupe::testing {

/// What a finished command did.
struct run_result {
  int exit_code = -1;      ///< exit status, or 128 + signal number when killed by a signal
  std::string out;         ///< everything it wrote to stdout
  std::string err;         ///< everything it wrote to stderr
  bool timed_out = false;  ///< true when run_command had to kill it
  int term_signal = 0;     ///< the signal that ended it, 0 when it exited
};

namespace detail {

inline void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

/// Reads what is available on `fd` into `into`; returns false at EOF or on error.
inline bool drain(int fd, std::string& into) {
  char buf[65536];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      return true;
    }
    if (n == 0)
      return false;
    if (errno == EINTR)
      continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

} // namespace detail

/// How a reaped process ended (a waitpid status): exit code, or 128 + signal.
inline int exit_code_of(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

/// Runs argv[0] (looked up in PATH when it has no '/') with arguments
/// argv[1..], stdin from /dev/null, and collects its stdout and stderr. After
/// `timeout` the child gets SIGTERM, and SIGKILL 2 s later if still there.
/// Always reaps the child. Throws std::system_error when it cannot start it
/// (a missing executable is exit code 127 with a message on err instead).
/// `env` entries ("KEY=value") are added to the child's environment; a
/// non-empty `cwd` is the child's working directory (a relative argv[0]
/// with a '/' is then found from there).
inline run_result run_command(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                              const std::vector<std::string>& env = {}, const std::string& cwd = {}) {
  using clock = std::chrono::steady_clock;
  if (argv.empty())
    throw std::invalid_argument("run_command: empty argv");
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    auto e = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::system_error(e, std::generic_category(), "pipe2");
  }
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  // The child's environment, built before fork: the child may only exec.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    auto key = entry.substr(0, entry.find('=') + 1);
    bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& x) { return x.rfind(key, 0) == 0; });
    if (!replaced)
      env_strings.push_back(std::move(entry));
  }
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) {
    auto e = errno;
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
      ::close(fd);
    throw std::system_error(e, std::generic_category(), "fork");
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::setpgid(0, 0);  // its own process group, so a timeout kills its children too
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      ::dup2(devnull, STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      const char* msg = "run_command: cannot change to the working directory\n";
      [[maybe_unused]] auto r = ::write(STDERR_FILENO, msg, std::strlen(msg));
      ::_exit(127);
    }
    ::execvpe(args[0], args.data(), envp.data());
    const char* msg = "run_command: cannot execute ";
    [[maybe_unused]] auto r1 = ::write(STDERR_FILENO, msg, std::strlen(msg));
    [[maybe_unused]] auto r2 = ::write(STDERR_FILENO, args[0], std::strlen(args[0]));
    [[maybe_unused]] auto r3 = ::write(STDERR_FILENO, "\n", 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent: no race with the child's own call
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  int fds[2] = {out_pipe[0], err_pipe[0]};
  for (int fd : fds)
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  run_result res;
  auto deadline = clock::now() + timeout;
  auto kill_at = clock::time_point::max();  // SIGKILL deadline once SIGTERM was sent
  auto signal_child = [&](int sig) {
    // Only while the child is not reaped, so its pid and group are still ours:
    // the whole group (children of the child), then the child itself.
    ::kill(-pid, sig);
    ::kill(pid, sig);
  };
  bool exited = false;     // reaped by us
  bool reap_failed = false;  // waitpid said there is no such child: never signal it again
  int status = 0;
  auto try_reap = [&] {
    pid_t w;
    do {
      w = ::waitpid(pid, &status, WNOHANG);
    } while (w < 0 && errno == EINTR);
    if (w == pid)
      exited = true;
    else if (w < 0)
      reap_failed = true;
    return exited || reap_failed;
  };
  // After SIGKILL, stop reading at this point even if something outside the
  // child's process group still holds the pipes open.
  auto give_up_at = clock::time_point::max();
  for (;;) {
    bool output_open = fds[0] >= 0 || fds[1] >= 0;
    if (!output_open && try_reap())
      break;
    auto now = clock::now();
    if (now >= give_up_at)
      break;
    if (!res.timed_out && now >= deadline) {
      res.timed_out = true;
      signal_child(SIGTERM);
      kill_at = now + std::chrono::seconds(2);
    } else if (res.timed_out && now >= kill_at) {
      signal_child(SIGKILL);
      kill_at = clock::time_point::max();
      give_up_at = now + std::chrono::seconds(2);
    }
    auto until = std::min(res.timed_out ? kill_at : deadline, give_up_at);
    auto wait_ms = until == clock::time_point::max()
                     ? 50LL
                     : std::clamp<long long>(
                         std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1, 1, 50);
    if (!output_open) {
      // Nothing to read: wait a little for the exit.
      ::poll(nullptr, 0, static_cast<int>(std::min<long long>(wait_ms, 5)));
      continue;
    }
    pollfd p[2];
    nfds_t n = 0;
    int which[2];
    for (int i = 0; i < 2; ++i)
      if (fds[i] >= 0) {
        p[n] = {fds[i], POLLIN, 0};
        which[n++] = i;
      }
    int r = ::poll(p, n, static_cast<int>(wait_ms));
    if (r < 0 && errno != EINTR)
      break;
    for (nfds_t k = 0; r > 0 && k < n; ++k) {
      if ((p[k].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) == 0)
        continue;
      int i = which[k];
      if (!detail::drain(fds[i], i == 0 ? res.out : res.err))
        detail::close_fd(fds[i]);
    }
  }
  for (int& fd : fds)
    detail::close_fd(fd);
  if (!exited && !reap_failed && !try_reap()) {
    // Left the loop early (poll error, or pipes held open after SIGKILL):
    // make sure the child is gone, then reap it.
    signal_child(SIGKILL);
    pid_t w;
    do {
      w = ::waitpid(pid, &status, 0);
    } while (w < 0 && errno == EINTR);
    exited = w == pid;
  }
  if (!exited)
    return res;  // could not be reaped here (someone else did): exit_code stays -1
  if (WIFEXITED(status)) {
    res.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    res.term_signal = WTERMSIG(status);
    res.exit_code = 128 + res.term_signal;
  }
  return res;
}

/// The exit, signal and both outputs of a finished command, for failure messages.
inline std::string describe(const run_result& r) {
  return "exit=" + std::to_string(r.exit_code) + " signal=" + std::to_string(r.term_signal)
         + (r.timed_out ? " TIMED OUT" : "") + "\n--- stdout ---\n" + r.out + "--- stderr ---\n" + r.err;
}

/// Runs `body` in a forked child and returns its exit status (exit_code_of),
/// or nullopt when it had not ended after `limit` (then it is killed). For
/// scenarios that may hang for good (an actor system that never shuts down):
/// a hang must fail the test, not freeze the test binary. The child ends
/// with _exit, skipping destructors that could wait forever; an exception
/// out of `body` is exit code 98. Throws std::system_error when fork fails.
inline std::optional<int> run_in_child(const std::function<int()>& body, std::chrono::milliseconds limit) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (...) {
      code = 98;
    }
    std::fflush(nullptr);
    ::_exit(code);
  }
  auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid)
      return exit_code_of(status);
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return std::nullopt;
    }
    ::poll(nullptr, 0, 20);
  }
}

/// A fresh directory under /tmp (mkdtemp), removed with everything in it at the end.
class temp_dir {
public:
  explicit temp_dir(const std::string& prefix = "troupe-test") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + tmpl);
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// path() / name, as a string.
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

  /// Writes `content` to path() / name and returns that path.
  std::string write(const std::string& name, const std::string& content) const {
    auto p = path_ / name;
    std::ofstream f(p, std::ios::binary);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!f)
      throw std::runtime_error("cannot write " + p.string());
    return p.string();
  }

private:
  std::filesystem::path path_;
};

/// The whole content of a file; throws when it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

/// The concatenated `part-*` files of a save_as_text_file output, in name order.
inline std::string read_parts(const std::string& dir) {
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.rfind("part-", 0) == 0)
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::string all;
  for (auto& n : names)
    all += read_file(dir + "/" + n);
  return all;
}

} // namespace troupe::testing
