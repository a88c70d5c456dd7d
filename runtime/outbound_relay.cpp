#include "runtime/outbound_relay.hpp"

#include "runtime/auth.hpp"
#include "runtime/log.hpp"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace troupe {

namespace {

using clock_type = std::chrono::steady_clock;
constexpr auto first_backoff = std::chrono::milliseconds(100);
constexpr auto max_backoff = std::chrono::milliseconds(10000);
constexpr int handshake_timeout_ms = 5000;

void no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/// Connects to host:port within `timeout_ms`; -1 and `error` when it cannot.
int dial(const std::string& host, uint16_t port, int timeout_ms, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  auto service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    error = "cannot resolve '" + host + "': " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (auto* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0)
      continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      error = std::strerror(errno);
      ::close(fd);
      fd = -1;
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, timeout_ms) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      error = err != 0 ? std::strerror(err) : "connect timed out";
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd >= 0) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    no_delay(fd);
  }
  return fd;
}

/// Sends all of `data`; false on error.
bool send_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    auto k = ::send(fd, data, n, MSG_NOSIGNAL);
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

/// Runs the client handshake on `fd`; bytes the server sent past its reply
/// land in `rest`. False and `error` when the peer is not proven.
bool client_side(int fd, const std::string& secret, std::string& rest, std::string& error) {
  auth::client_handshake hs{secret};
  auto hello = hs.take_output();
  if (!send_all(fd, hello.data(), hello.size())) {
    error = std::string{"cannot send the secret handshake: "} + std::strerror(errno);
    return false;
  }
  char buf[256];
  auto deadline = clock_type::now() + std::chrono::milliseconds(handshake_timeout_ms);
  while (hs.current() == auth::client_handshake::state::want_reply) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) != 1) {
      error = "no answer to the secret handshake within " + std::to_string(handshake_timeout_ms) + " ms";
      return false;
    }
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      error = "the peer closed the connection during the secret handshake (a node without auth.secret-file, "
              "a different secret, or not a troupe node)";
      return false;
    }
    auto taken = hs.feed(buf, static_cast<size_t>(n));
    if (hs.current() == auth::client_handshake::state::failed) {
      error = hs.reason();
      return false;
    }
    rest.assign(buf + taken, buf + n);
  }
  auto proof = hs.take_output();
  if (!send_all(fd, proof.data(), proof.size())) {
    error = std::string{"cannot send the secret proof: "} + std::strerror(errno);
    return false;
  }
  return true;
}

/// Copies bytes both ways until either side ends.
void relay(int a, int b) {
  char buf[64 * 1024];
  pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  bool open_a = true, open_b = true;
  while (open_a || open_b) {
    p[0].events = open_a ? POLLIN : 0;
    p[1].events = open_b ? POLLIN : 0;
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      int from = p[i].fd, to = p[1 - i].fd;
      auto n = ::recv(from, buf, sizeof buf, 0);
      if (n <= 0) {
        // Either side gone: nothing more can be relayed meaningfully for BASP.
        return;
      }
      if (!send_all(to, buf, static_cast<size_t>(n)))
        return;
    }
  }
}

} // namespace

struct outbound_relay::impl {
  struct target {
    std::string secret, host;
    uint16_t port = 0;
    int listen_fd = -1;
    uint16_t local_port = 0;
    // Backoff after failed handshakes.
    std::mutex mtx;
    int failures = 0;
    clock_type::time_point next_try{};
    bool logged = false;
  };
  std::mutex mtx;
  std::map<std::string, std::unique_ptr<target>> targets; // "secret-hash host:port"
  std::atomic<uint64_t> failures{0};

  void serve(int local, target* t) {
    {
      std::lock_guard<std::mutex> g{t->mtx};
      if (clock_type::now() < t->next_try) {
        ::close(local); // backing off: CAF's connect fails at once, no packet to the peer
        return;
      }
    }
    std::string error, rest;
    int remote = dial(t->host, t->port, handshake_timeout_ms, error);
    if (remote < 0) {
      // Not up (yet): the caller's own retries pace these; no backoff here.
      ::close(local);
      return;
    }
    if (!client_side(remote, t->secret, rest, error)) {
      ++failures;
      {
        std::lock_guard<std::mutex> g{t->mtx};
        auto pause = std::min<std::chrono::milliseconds>(first_backoff * (1 << std::min(t->failures, 10)), max_backoff);
        ++t->failures;
        t->next_try = clock_type::now() + pause;
        if (!t->logged) {
          t->logged = true;
          log::net()->warn("refused peer target={}:{} reason=\"{}\" (logged once; retries back off up to {} ms)",
                           t->host, t->port, error, max_backoff.count());
        }
      }
      ::close(remote);
      ::close(local);
      return;
    }
    {
      std::lock_guard<std::mutex> g{t->mtx};
      if (t->logged)
        log::net()->info("peer proven target={}:{} after {} failed handshakes", t->host, t->port, t->failures);
      t->failures = 0;
      t->logged = false;
    }
    no_delay(local);
    if (rest.empty() || send_all(local, rest.data(), rest.size()))
      relay(local, remote);
    ::close(remote);
    ::close(local);
  }

  void accept_loop(target* t) {
    for (;;) {
      int fd = ::accept4(t->listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        std::this_thread::sleep_for(std::chrono::milliseconds(50)); // out of descriptors
        continue;
      }
      std::thread{[this, fd, t] { serve(fd, t); }}.detach();
    }
  }
};

outbound_relay::outbound_relay() : impl_(new impl) {}

outbound_relay& outbound_relay::instance() {
  static auto* r = new outbound_relay;
  return *r;
}

uint64_t outbound_relay::failures() const { return impl_->failures.load(); }

uint16_t outbound_relay::port_for(const std::string& secret, const std::string& host, uint16_t port,
                                  std::string& error) {
  auto key = auth::to_hex(auth::hmac_sha256(secret, "troupe-relay")) + " " + host + ":" + std::to_string(port);
  std::lock_guard<std::mutex> g{impl_->mtx};
  if (auto i = impl_->targets.find(key); i != impl_->targets.end())
    return i->second->local_port;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 128) != 0) {
    error = std::string{"cannot open an outbound relay for "} + host + ":" + std::to_string(port) + ": "
            + std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
    return 0;
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  auto t = std::make_unique<impl::target>();
  t->secret = secret;
  t->host = host;
  t->port = port;
  t->listen_fd = fd;
  t->local_port = ntohs(a.sin_port);
  auto* raw = t.get();
  impl_->targets.emplace(key, std::move(t));
  std::thread{[this, raw] { impl_->accept_loop(raw); }}.detach();
  return raw->local_port;
}

} // namespace troupe
