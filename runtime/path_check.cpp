#include "runtime/path_check.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace troupe {

namespace {

std::string why(const std::string& what, const std::string& path, const std::string& doing, int err) {
  return what + " '" + path + "': cannot " + doing + ": " + std::strerror(err);
}

} // namespace

std::string check_writable_dir(const std::string& what, const std::string& dir) {
  if (dir.empty())
    return what + " is empty";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return what + " '" + dir + "': cannot create it: " + ec.message();
  if (!std::filesystem::is_directory(dir, ec))
    return what + " '" + dir + "': not a directory";
  auto probe = (std::filesystem::path{dir} / (".troupe-probe-" + std::to_string(::getpid()))).string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return why(what, dir, "write in it", errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

std::string check_readable_file(const std::string& what, const std::string& path) {
  if (path.empty())
    return what + " is empty";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return why(what, path, "read it", errno);
  struct stat st{};
  int rc = ::fstat(fd, &st);
  ::close(fd);
  if (rc != 0 || !S_ISREG(st.st_mode))
    return what + " '" + path + "': not a regular file";
  return {};
}

std::string check_new_output_dir(const std::string& what, const std::string& path) {
  if (path.empty())
    return what + " is empty";
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    return what + " '" + path + "' already exists";
  auto parent = std::filesystem::absolute(path, ec).parent_path();
  if (::access(parent.c_str(), W_OK | X_OK) != 0)
    return why(what, path, "create it in " + parent.string(), errno);
  return {};
}

} // namespace troupe
