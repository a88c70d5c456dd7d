#include "runtime/text_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace troupe {

std::vector<file_split> make_splits(int64_t size, int64_t split_size, int32_t min_splits) {
  if (split_size <= 0)
    split_size = 32 << 20;
  int64_t n = (size + split_size - 1) / split_size;
  n = std::max<int64_t>({n, static_cast<int64_t>(min_splits), int64_t{1}});
  // Never more splits than bytes, except the one split of an empty file.
  n = std::min<int64_t>(n, std::max<int64_t>(size, 1));
  std::vector<file_split> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    out.push_back({size * i / n, size * (i + 1) / n});
  return out;
}

namespace {
std::runtime_error io_error(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " '" + path + "': " + std::strerror(errno));
}

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};
} // namespace

int64_t file_size_or_throw(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    throw io_error("cannot open input file", path);
  if (!S_ISREG(st.st_mode))
    throw std::runtime_error("input '" + path + "' is not a regular file");
  if (::access(path.c_str(), R_OK) != 0)
    throw io_error("cannot read input file", path);
  return static_cast<int64_t>(st.st_size);
}

lines_read read_lines(const std::string& path, const file_split& split, sink<std::string>& out) {
  fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0)
    throw io_error("cannot open input file", path);
  constexpr size_t block = 1 << 20;
  std::string buf;       // unconsumed bytes starting at file offset `base`
  int64_t base = split.start > 0 ? split.start - 1 : 0;
  int64_t next_read = base;
  bool eof = false;
  auto fill = [&] {
    size_t old = buf.size();
    buf.resize(old + block);
    ssize_t n;
    do {
      n = ::pread(f.fd, buf.data() + old, block, next_read);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
      throw io_error("cannot read input file", path);
    buf.resize(old + static_cast<size_t>(n));
    next_read += n;
    eof = n == 0;
  };
  size_t pos = 0;
  // A split not at 0 starts after the first '\n' at or after start - 1: the
  // line crossing `start` belongs to the split before.
  if (split.start > 0) {
    for (;;) {
      auto nl = buf.find('\n', pos);
      if (nl != std::string::npos) {
        pos = nl + 1;
        break;
      }
      pos = buf.size();
      if (eof)
        return {};
      buf.erase(0, pos);
      base += static_cast<int64_t>(pos);
      pos = 0;
      fill();
      if (eof && buf.empty())
        return {};
    }
  }
  // One line object reused: a consumer that only reads it (flat_map over a
  // const std::string&) leaves its capacity, so a line costs no allocation;
  // one that moves it away gets a fresh string next time.
  std::string line;
  lines_read read;
  const int64_t first = base + static_cast<int64_t>(pos);  // the split's first line starts here
  auto emit = [&](const char* p, size_t n) {
    ++read.lines;
    line.assign(p, n);
    out.push(std::move(line));
  };
  for (;;) {
    // `pos` is the start of a line at file offset base + pos.
    if (base + static_cast<int64_t>(pos) >= split.end) {
      read.bytes = base + static_cast<int64_t>(pos) - first;
      return read;
    }
    auto nl = buf.find('\n', pos);
    if (nl != std::string::npos) {
      emit(buf.data() + pos, nl - pos);
      pos = nl + 1;
      continue;
    }
    if (eof) {
      if (pos < buf.size())
        emit(buf.data() + pos, buf.size() - pos);
      read.bytes = base + static_cast<int64_t>(buf.size()) - first;
      return read;
    }
    buf.erase(0, pos);
    base += static_cast<int64_t>(pos);
    pos = 0;
    fill();
  }
}

} // namespace troupe
