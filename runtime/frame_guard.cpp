#include "runtime/frame_guard.hpp"

#include "runtime/auth.hpp"
#include "runtime/log.hpp"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace troupe {

// -- frame_guard ------------------------------------------------------------------

namespace {

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

std::string peer_name(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  return std::string{host} + ":" + std::to_string(port);
}

/// Binds and listens on host:port with SO_REUSEADDR; -1 and `error` on failure.
int listen_on(const std::string& host, uint16_t port, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const char* node = host.empty() ? nullptr : host.c_str();
  auto service = std::to_string(port);
  if (int rc = ::getaddrinfo(node, service.c_str(), &hints, &res); rc != 0) {
    error = "cannot resolve '" + host + "': " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (auto* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
      continue;
    // A restarted node binds its port at once; a second listener still gets EADDRINUSE.
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 1024) == 0)
      break;
    error = std::string{"cannot listen on "} + host + ":" + service + ": " + std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd >= 0)
    set_nonblocking(fd);
  return fd;
}

uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

} // namespace

struct frame_guard::impl {
  // One direction's sending end: the bytes read from the other side that the
  // socket has not taken yet. At most one read's worth (backpressure: the
  // other side is not read while this is non-empty).
  struct end {
    int fd = -1;
    std::vector<char> pending;
    size_t offset = 0;
    bool eof = false;       // this side sent FIN
    bool shut = false;      // we sent FIN to this side
    uint32_t mask = 0;      // epoll interest registered
  };
  struct conn {
    uint64_t id = 0;
    end peer; // the stranger
    end node; // CAF on loopback
    bool connecting = true;
    basp_frame_checker check;
    std::string addr;
    // Set while the peer has not proven the secret; CAF is not connected yet.
    std::unique_ptr<auth::server_handshake> auth;
    std::chrono::steady_clock::time_point opened;
    explicit conn(uint64_t max) : check(max) {}
  };

  frame_guard_options opts;
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> accepted{0}, refused{0}, open{0}, auth_failed{0};
  size_t authenticating = 0; // connections with an auth handshake in progress
  // Hosts whose failed secret handshake was logged: once per address, not per retry.
  std::unordered_set<std::string> logged_hosts;
  std::unordered_map<uint64_t, std::unique_ptr<conn>> conns;
  uint64_t next_id = 1;
  std::vector<char> scratch;
  bool listener_paused = false;
  std::chrono::steady_clock::time_point resume_listener{};
  // Rate limit for refusal log lines: one per second, with a count of the others.
  std::chrono::steady_clock::time_point last_log{};
  uint64_t suppressed = 0;

  static constexpr uint64_t listen_tag = 0;
  static constexpr uint64_t wake_tag = 1;

  ~impl() {
    for (auto& [id, c] : conns) {
      if (c->peer.fd >= 0)
        ::close(c->peer.fd);
      if (c->node.fd >= 0)
        ::close(c->node.fd);
    }
    for (int fd : {listen_fd, epoll_fd, wake_fd})
      if (fd >= 0)
        ::close(fd);
  }

  void refuse_log(const std::string& addr, const std::string& why) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_log < std::chrono::seconds(1) && last_log.time_since_epoch().count() != 0) {
      ++suppressed;
      return;
    }
    last_log = now;
    if (suppressed > 0)
      log::net()->warn("refused connection guard={} peer={} reason=\"{}\" (and {} more refused in the last second)",
                       opts.name, addr, why, suppressed);
    else
      log::net()->warn("refused connection guard={} peer={} reason=\"{}\"", opts.name, addr, why);
    suppressed = 0;
  }

  // Logs a failed secret handshake once per peer host and reason (the port changes per retry).
  void refuse_once(const std::string& addr, const std::string& why) {
    auto host = addr.substr(0, addr.rfind(':')) + " " + why;
    if (logged_hosts.count(host) > 0)
      return;
    if (logged_hosts.size() >= 4096) {
      refuse_log(addr, why); // many strangers: rate-limited lines instead
      return;
    }
    logged_hosts.insert(host);
    log::net()->warn("refused peer guard={} peer={} reason=\"{}\" (logged once per host and reason)", opts.name, addr, why);
  }

  static uint64_t tag(const conn& c, bool node_side) { return (c.id << 1) | (node_side ? 1 : 0); }

  void update(conn& c, end& e, bool node_side, uint32_t want) {
    if (e.fd < 0 || e.mask == want)
      return;
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = tag(c, node_side);
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, e.fd, &ev);
    e.mask = want;
  }

  // Reads a side when the other side has nothing pending; writes a side that has.
  void rearm(conn& c) {
    uint32_t pm = 0, nm = 0;
    if (c.auth) {
      if (!c.peer.eof)
        pm |= EPOLLIN;
      if (!c.peer.pending.empty())
        pm |= EPOLLOUT;
    } else if (!c.connecting) {
      if (!c.peer.eof && c.node.pending.empty())
        pm |= EPOLLIN;
      if (!c.node.eof && c.peer.pending.empty())
        nm |= EPOLLIN;
      if (!c.peer.pending.empty())
        pm |= EPOLLOUT;
      if (!c.node.pending.empty())
        nm |= EPOLLOUT;
    } else {
      nm |= EPOLLOUT;
    }
    update(c, c.peer, false, pm);
    update(c, c.node, true, nm);
  }

  void close_conn(uint64_t id) {
    auto i = conns.find(id);
    if (i == conns.end())
      return;
    auto& c = *i->second;
    if (c.auth)
      --authenticating;
    for (int fd : {c.peer.fd, c.node.fd})
      if (fd >= 0)
        ::close(fd); // also removes it from the epoll set
    conns.erase(i);
    open = conns.size();
  }

  void add(int fd, uint64_t t, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = t;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }

  void accept_all() {
    for (;;) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: stop accepting for a moment rather than spin.
          refuse_log("-", std::string{"cannot accept: "} + std::strerror(errno));
          pause_listener();
        }
        return;
      }
      ++accepted;
      auto addr = peer_name(ss);
      if (conns.size() >= opts.max_connections) {
        ++refused;
        refuse_log(addr, "more than " + std::to_string(opts.max_connections) + " open connections");
        ::close(fd);
        continue;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<conn>(opts.max_frame_bytes);
      c->id = next_id++;
      c->addr = std::move(addr);
      c->peer.fd = fd;
      c->opened = std::chrono::steady_clock::now();
      add(fd, tag(*c, false), 0);
      if (!opts.secret.empty()) {
        // Nothing reaches CAF (not even a connection) before the peer proves the secret.
        c->auth = std::make_unique<auth::server_handshake>(opts.secret);
        c->connecting = false;
        ++authenticating;
        auto& ref = *c;
        conns.emplace(c->id, std::move(c));
        rearm(ref);
      } else {
        if (!connect_node(*c)) {
          ::close(fd);
          if (c->node.fd == -1)
            pause_listener(); // out of descriptors
          return;
        }
        conns.emplace(c->id, std::move(c));
      }
      open = conns.size();
    }
  }

  // Opens the connection to CAF's private port; false when it cannot.
  bool connect_node(conn& c) {
    int nfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (nfd < 0)
      return false;
    int one = 1;
    ::setsockopt(nfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(opts.target_port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(nfd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS) {
      ::close(nfd);
      c.node.fd = -2; // not out of descriptors: do not pause the listener
      return false;
    }
    c.node.fd = nfd;
    c.connecting = true;
    add(nfd, tag(c, true), EPOLLOUT);
    c.node.mask = EPOLLOUT;
    return true;
  }

  // Runs the secret handshake on the peer's bytes; false when the connection is to be closed.
  bool on_auth_event(conn& c, uint32_t events) {
    if ((events & EPOLLOUT) && !flush(c.peer))
      return false;
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
      return true;
    auto n = ::recv(c.peer.fd, scratch.data(), scratch.size(), 0);
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (n == 0) {
      // After our reply, a peer that hangs up found our proof wrong: it holds another secret.
      if (c.auth->current() == auth::server_handshake::state::want_proof) {
        ++refused;
        ++auth_failed;
        refuse_once(c.addr, "closed the connection before proving the secret (a different auth.secret-file?)");
      }
      return false;
    }
    auto taken = c.auth->feed(scratch.data(), static_cast<size_t>(n));
    if (c.auth->current() == auth::server_handshake::state::failed) {
      ++refused;
      ++auth_failed;
      refuse_once(c.addr, c.auth->reason());
      return false;
    }
    if (auto out = c.auth->take_output(); !out.empty() && !forward(c.peer, out.data(), out.size()))
      return false;
    if (c.auth->current() != auth::server_handshake::state::done)
      return true;
    c.auth.reset();
    --authenticating;
    // Protocol bytes that came with the proof: checked, then held until CAF is connected.
    auto rest = static_cast<size_t>(n) - taken;
    if (rest > 0) {
      if (opts.check_frames
          && c.check.feed(scratch.data() + taken, rest) != basp_frame_checker::verdict::ok) {
        ++refused;
        refuse_log(c.addr, c.check.reason());
        return false;
      }
      c.node.pending.assign(scratch.data() + taken, scratch.data() + n);
    }
    return connect_node(c);
  }

  // Closes connections still in the secret handshake past their deadline (half-open peers).
  void expire_handshakes() {
    auto limit = std::chrono::steady_clock::now() - std::chrono::milliseconds(opts.auth_timeout_ms);
    std::vector<uint64_t> late;
    for (auto& [id, c] : conns)
      if (c->auth && c->opened < limit)
        late.push_back(id);
    for (auto id : late)
      close_conn(id);
  }

  void pause_listener() {
    if (listener_paused)
      return;
    listener_paused = true;
    resume_listener = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    epoll_event ev{};
    ev.data.u64 = listen_tag;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);
  }

  void maybe_resume_listener() {
    if (!listener_paused || std::chrono::steady_clock::now() < resume_listener)
      return;
    listener_paused = false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = listen_tag;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);
  }

  // Writes what is pending on `e`; false when the connection is dead.
  bool flush(end& e) {
    while (e.offset < e.pending.size()) {
      auto n = ::send(e.fd, e.pending.data() + e.offset, e.pending.size() - e.offset, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
      }
      e.offset += static_cast<size_t>(n);
    }
    std::vector<char>{}.swap(e.pending); // an idle connection holds no buffer
    e.offset = 0;
    return true;
  }

  // Sends `n` scratch bytes to `dst`, keeping what the socket does not take.
  bool forward(end& dst, const char* data, size_t n) {
    size_t done = 0;
    while (done < n) {
      auto k = ::send(dst.fd, data + done, n - done, MSG_NOSIGNAL);
      if (k < 0) {
        if (errno == EINTR)
          continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          break;
        return false;
      }
      done += static_cast<size_t>(k);
    }
    if (done < n)
      dst.pending.assign(data + done, data + n);
    return true;
  }

  // Reads once from `src` and relays to `dst`; false when the connection ends.
  bool pump(conn& c, end& src, end& dst, bool checked) {
    auto n = ::recv(src.fd, scratch.data(), scratch.size(), 0);
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (n == 0) {
      src.eof = true;
      return true;
    }
    if (checked && opts.check_frames && c.check.feed(scratch.data(), static_cast<size_t>(n)) != basp_frame_checker::verdict::ok) {
      ++refused;
      refuse_log(c.addr, c.check.reason());
      return false;
    }
    return forward(dst, scratch.data(), static_cast<size_t>(n));
  }

  // Handles one epoll event; false when the connection is to be closed.
  bool on_event(conn& c, bool node_side, uint32_t events) {
    auto& self = node_side ? c.node : c.peer;
    auto& other = node_side ? c.peer : c.node;
    if (c.auth)
      return on_auth_event(c, events);
    if (c.connecting) {
      if (!node_side)
        return (events & (EPOLLHUP | EPOLLERR)) == 0;
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c.node.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || (events & EPOLLERR))
        return false;
      c.connecting = false;
      add_peer_interest(c);
      return true;
    }
    if (events & EPOLLOUT)
      if (!flush(self))
        return false;
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && other.pending.empty() && !self.eof)
      if (!pump(c, self, other, !node_side))
        return false;
    if ((events & EPOLLERR))
      return false;
    // A side that sent FIN: pass it on once its bytes are delivered; done when both did.
    for (auto* e : {&c.peer, &c.node}) {
      auto& o = e == &c.peer ? c.node : c.peer;
      if (e->eof && o.pending.empty() && !o.shut) {
        ::shutdown(o.fd, SHUT_WR);
        o.shut = true;
      }
    }
    // CAF closed its end: once its last bytes reached the peer, nothing more can happen.
    if (c.node.eof && c.peer.pending.empty())
      return false;
    if (c.peer.eof && c.node.eof)
      return false;
    return true;
  }

  void add_peer_interest(conn& c) { rearm(c); }

  void run() {
    std::vector<epoll_event> events(256);
    while (!stopping) {
      int timeout = listener_paused ? 100 : authenticating > 0 ? 1000 : -1;
      int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), timeout);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        break;
      }
      maybe_resume_listener();
      if (authenticating > 0)
        expire_handshakes();
      for (int i = 0; i < n && !stopping; ++i) {
        auto t = events[i].data.u64;
        if (t == listen_tag) {
          accept_all();
          continue;
        }
        if (t == wake_tag)
          continue;
        auto id = t >> 1;
        auto it = conns.find(id);
        if (it == conns.end())
          continue; // closed earlier in this batch
        auto& c = *it->second;
        if (!on_event(c, (t & 1) != 0, events[i].events))
          close_conn(id);
        else
          rearm(c);
      }
    }
  }
};

std::unique_ptr<frame_guard> frame_guard::start(const frame_guard_options& opts, std::string& error) {
  auto p = std::make_unique<impl>();
  p->opts = opts;
  p->scratch.resize(std::max<size_t>(opts.buffer_bytes, 4096));
  p->listen_fd = listen_on(opts.host, opts.port, error);
  if (p->listen_fd < 0)
    return nullptr;
  p->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  p->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (p->epoll_fd < 0 || p->wake_fd < 0) {
    error = std::string{"cannot create the guard's epoll set: "} + std::strerror(errno);
    return nullptr;
  }
  p->add(p->listen_fd, impl::listen_tag, EPOLLIN);
  p->add(p->wake_fd, impl::wake_tag, EPOLLIN);
  auto port = bound_port(p->listen_fd);
  std::unique_ptr<frame_guard> g{new frame_guard(std::move(p))};
  g->port_ = port;
  g->thread_ = std::thread{[raw = g->impl_.get()] { raw->run(); }};
  return g;
}

frame_guard::frame_guard(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

frame_guard::~frame_guard() { stop(); }

void frame_guard::stop() {
  if (!thread_.joinable())
    return;
  impl_->stopping = true;
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(impl_->wake_fd, &one, sizeof one);
  thread_.join();
  // Close every socket now, so the port is free as soon as stop returns.
  for (auto& [id, c] : impl_->conns) {
    if (c->peer.fd >= 0)
      ::close(c->peer.fd);
    if (c->node.fd >= 0)
      ::close(c->node.fd);
  }
  impl_->conns.clear();
  impl_->open = 0;
  ::close(impl_->listen_fd);
  impl_->listen_fd = -1;
}

frame_guard::counters frame_guard::stats() const {
  return {impl_->accepted.load(), impl_->refused.load(), impl_->open.load(), impl_->auth_failed.load()};
}

} // namespace troupe
