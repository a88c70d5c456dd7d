#include "runtime/process.hpp"

#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace troupe {

namespace {
child_exit from_status(pid_t pid, int status) {
  child_exit e;
  e.pid = pid;
  if (WIFSIGNALED(status)) {
    e.signaled = true;
    e.signal = WTERMSIG(status);
  } else {
    e.exit_code = WEXITSTATUS(status);
  }
  return e;
}
} // namespace

std::string child_exit::describe() const {
  if (signaled)
    return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
  return "exit " + std::to_string(exit_code);
}

pid_t start_process(const std::vector<std::string>& argv, const std::string& stdout_path,
                    const std::string& stderr_path, const std::string& cwd) {
  if (argv.empty())
    throw std::runtime_error("start_process: empty command");
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A pipe with O_CLOEXEC reports an exec failure from the child.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error("cannot fork to start " + argv[0] + ": " + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent)
      ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    auto redirect = [&](const std::string& path, int target) {
      if (path.empty())
        return true;
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd < 0)
        return false;
      ::dup2(fd, target);
      ::close(fd);
      return true;
    };
    int err = 0;
    if (!redirect(stdout_path, STDOUT_FILENO) || !redirect(stderr_path, STDERR_FILENO)
        || (!cwd.empty() && ::chdir(cwd.c_str()) != 0))
      err = errno;
    else {
      ::execvp(args[0], args.data());
      err = errno;
    }
    [[maybe_unused]] auto n = ::write(fds[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(fds[1]);
  int err = 0;
  ssize_t n;
  do {
    n = ::read(fds[0], &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  ::close(fds[0]);
  if (n == static_cast<ssize_t>(sizeof err)) {
    int status;
    ::waitpid(pid, &status, 0);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(err));
  }
  return pid;
}

std::optional<child_exit> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto pause = std::chrono::milliseconds(1);; pause = std::min(pause * 2, std::chrono::milliseconds(50))) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return from_status(pid, status);
    if (r < 0)
      return child_exit{pid, 0, 0, false};  // not our child, or already reaped
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(pause);
  }
}

child_exit stop_process(pid_t pid, std::chrono::milliseconds grace) {
  ::kill(pid, SIGTERM);
  if (auto e = wait_for(pid, grace))
    return *e;
  ::kill(pid, SIGKILL);
  if (auto e = wait_for(pid, std::chrono::seconds(10)))
    return *e;
  return child_exit{pid, 0, SIGKILL, true};
}

std::string host_name() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  return host;
}

std::string self_executable() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return "troupe";
  return std::string(buf, static_cast<size_t>(n));
}

std::string read_tail(const std::string& path, size_t max_bytes) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f)
    return {};
  auto size = static_cast<size_t>(f.tellg());
  auto start = size > max_bytes ? size - max_bytes : 0;
  f.seekg(static_cast<std::streamoff>(start));
  std::string out(size - start, '\0');
  f.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(f.gcount()));
  return out;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr)
    return out;
  while (auto* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && pid > 0)
      out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(d);
  return out;
}

} // namespace troupe
