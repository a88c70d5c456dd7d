#pragma once
// Plain-socket helpers for tests that talk to a port directly (the frame
// guard's unit tests, hostile peers against real nodes): loopback addresses,
// bounded reads, a BASP header, and a process's memory from /proc.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>

namespace troupe::testing {

/// 127.0.0.1:port.
inline sockaddr_in loopback_address(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/// A connection to 127.0.0.1:port, or -1.
inline int dial_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  auto a = loopback_address(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Sends what the socket takes without blocking; a peer that closes on us
/// (the expected outcome for hostile bytes) ends it quietly.
inline void send_some(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    auto n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0)
      return;
    done += static_cast<size_t>(n);
  }
}

/// Up to `n` bytes the peer sends within `limit` (less on EOF, reset or timeout).
inline std::string read_up_to(int fd, size_t n, std::chrono::milliseconds limit) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[65536];
  while (out.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      break;
    auto k = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (k <= 0)
      break;
    out.append(buf, static_cast<size_t>(k));
  }
  return out;
}

/// A 32-byte CAF 0.17 BASP header: operation `op`, payload length `len`
/// (big-endian, as CAF writes it), every other field zero.
inline std::string basp_header(uint8_t op, uint32_t len) {
  std::string h(32, '\0');
  h[0] = static_cast<char>(op);
  for (int i = 0; i < 4; ++i)
    h[4 + i] = static_cast<char>(len >> (24 - 8 * i));
  return h;
}

/// A field of /proc/PID/status in KiB (VmRSS, VmHWM), or -1; pid 0 = this process.
inline long proc_status_kb(pid_t pid, const std::string& field) {
  std::ifstream in{pid == 0 ? std::string{"/proc/self/status"} : "/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0)
      return std::stol(line.substr(field.size() + 1));
  return -1;
}

} // namespace troupe::testing
