// The frame guard with plain sockets: a fake "CAF" listener stands behind it.

#include "runtime/frame_guard.hpp"
#include "runtime/settings.hpp"
#include "tests/support/sockets.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace troupe;
using namespace troupe::testing;
using namespace std::chrono_literals;

namespace {


std::string frame(uint8_t op, const std::string& payload) {
  return basp_header(op, static_cast<uint32_t>(payload.size())) + payload;
}

int listen_loopback(uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto a = loopback_address(0);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  BOOST_REQUIRE(::listen(fd, 4096) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

int connect_to(uint16_t port) {
  int fd = dial_loopback(port);
  BOOST_REQUIRE(fd >= 0);
  return fd;
}

int accept_one(int lfd, std::chrono::milliseconds timeout = 2000ms) {
  pollfd p{lfd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return -1;
  return ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
}

void send_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    auto n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    BOOST_REQUIRE(n > 0);
    done += static_cast<size_t>(n);
  }
}


/// True when the peer closed `fd` (EOF or reset) within the timeout.
bool closed(int fd, std::chrono::milliseconds timeout = 2000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0)
      continue;
    auto k = ::recv(fd, buf, sizeof buf, 0);
    if (k <= 0)
      return true;
  }
  return false;
}


/// A guard in front of a fake node listener.
struct fixture {
  uint16_t node_port = 0;
  int node_listener = -1;
  std::unique_ptr<frame_guard> guard;

  explicit fixture(uint64_t max = 1 << 20) {
    node_listener = listen_loopback(node_port);
    frame_guard_options o;
    o.host = "127.0.0.1";
    o.target_port = node_port;
    o.max_frame_bytes = max;
    o.name = "test";
    std::string err;
    guard = frame_guard::start(o, err);
    BOOST_REQUIRE_MESSAGE(guard, err);
  }
  ~fixture() {
    guard.reset();
    ::close(node_listener);
  }
  /// A client connection and the node's end of it.
  std::pair<int, int> pair() {
    int c = connect_to(guard->port());
    int n = accept_one(node_listener);
    BOOST_REQUIRE(n >= 0);
    return {c, n};
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(frame_guard_suite)

BOOST_AUTO_TEST_CASE(checker_accepts_frames_split_anywhere) {
  std::string stream = frame(1, "hello") + frame(2, std::string(1000, 'x')) + frame(6, "") + frame(4, "abc");
  for (size_t step : {size_t{1}, size_t{3}, size_t{31}, size_t{33}, stream.size()}) {
    basp_frame_checker c{1 << 20};
    for (size_t i = 0; i < stream.size(); i += step)
      BOOST_REQUIRE(c.feed(stream.data() + i, std::min(step, stream.size() - i)) == basp_frame_checker::verdict::ok);
    BOOST_CHECK_EQUAL(c.frames(), 4u);
  }
}

BOOST_AUTO_TEST_CASE(checker_refuses_bad_frames) {
  using v = basp_frame_checker::verdict;
  {
    basp_frame_checker c{1 << 20};
    auto s = frame(1, "hs") + basp_header(2, 0xffffffffu);
    BOOST_CHECK(c.feed(s.data(), s.size() - 1) == v::ok); // the length is not complete yet
    BOOST_CHECK(c.feed(s.data() + s.size() - 1, 1) == v::oversized);
    BOOST_CHECK(c.reason().find("network.max-frame-size") != std::string::npos);
  }
  {
    basp_frame_checker c{1 << 20};
    auto s = frame(1, "hs") + basp_header(7, 0);
    BOOST_CHECK(c.feed(s.data(), s.size()) == v::bad_operation);
    BOOST_CHECK(c.feed("x", 1) == v::bad_operation); // sticky
  }
  {
    basp_frame_checker c{1 << 20};
    auto s = basp_header(2, 10);
    BOOST_CHECK(c.feed(s.data(), s.size()) == v::bad_first_frame);
  }
  {
    basp_frame_checker c{1u << 30};
    auto s = basp_header(1, basp_first_frame_max + 1); // a huge "handshake"
    BOOST_CHECK(c.feed(s.data(), s.size()) == v::bad_first_frame);
  }
  {
    basp_frame_checker c{1 << 20};
    auto s = frame(1, "hs") + basp_header(2, 1 << 20); // exactly the maximum is fine
    BOOST_CHECK(c.feed(s.data(), s.size()) == v::ok);
  }
}

BOOST_AUTO_TEST_CASE(relays_byte_exact_both_ways_with_partial_headers) {
  fixture f;
  auto [c, n] = f.pair();
  std::mt19937 rng{42};
  std::string up = frame(1, "client handshake");
  for (int i = 0; i < 200; ++i) {
    std::string payload(rng() % 5000, '\0');
    for (auto& ch : payload)
      ch = static_cast<char>(rng());
    up += frame(static_cast<uint8_t>(2 + rng() % 5), payload);
  }
  // Sent in odd pieces, with pauses, so headers arrive split across reads.
  std::thread writer{[&, c = c] {
    for (size_t i = 0; i < up.size(); i += 17) {
      send_all(c, up.substr(i, 17));
      if (i % 1700 == 0)
        std::this_thread::sleep_for(1ms);
    }
  }};
  BOOST_CHECK(read_up_to(n, up.size(), 3000ms) == up);
  writer.join();
  std::string down(3 << 20, '\0');
  for (auto& ch : down)
    ch = static_cast<char>(rng());
  std::thread writer2{[&, n = n] { send_all(n, down); }};
  BOOST_CHECK(read_up_to(c, down.size(), 3000ms) == down);
  writer2.join();
  ::close(c);
  BOOST_CHECK(closed(n)); // a peer's close reaches the node
  ::close(n);
}

BOOST_AUTO_TEST_CASE(oversized_header_closes_both_sides_without_allocating) {
  fixture f{64 << 20};
  auto before = proc_status_kb(0, "VmRSS");
  std::vector<std::pair<int, int>> conns;
  for (int i = 0; i < 20; ++i) {
    auto [c, n] = f.pair();
    send_all(c, frame(1, "hs"));
    BOOST_CHECK_EQUAL(read_up_to(n, 34, 3000ms).size(), 34u); // the handshake gets through
    send_all(c, basp_header(2, 0xfffffff0u) + std::string(1000, 'z'));
    conns.emplace_back(c, n);
  }
  for (auto [c, n] : conns) {
    BOOST_CHECK(closed(n)); // nothing of the bad frame reaches the node
    BOOST_CHECK(closed(c));
    ::close(c);
    ::close(n);
  }
  BOOST_CHECK_LT(proc_status_kb(0, "VmRSS") - before, 16 * 1024); // KiB
  BOOST_CHECK_EQUAL(f.guard->stats().refused, 20u);
}

BOOST_AUTO_TEST_CASE(bad_operation_byte_closes) {
  fixture f;
  auto [c, n] = f.pair();
  send_all(c, frame(1, "hs") + basp_header(0x42, 0));
  BOOST_CHECK(closed(c));
  BOOST_CHECK(closed(n));
  ::close(c);
  ::close(n);
}

BOOST_AUTO_TEST_CASE(many_idle_connections_are_cheap) {
  fixture f;
  auto before = proc_status_kb(0, "VmRSS");
  std::vector<std::pair<int, int>> conns;
  for (int i = 0; i < 1000; ++i)
    conns.push_back(f.pair());
  std::this_thread::sleep_for(100ms);
  BOOST_CHECK_EQUAL(f.guard->stats().open, 1000u);
  BOOST_CHECK_LT(proc_status_kb(0, "VmRSS") - before, 8 * 1024);
  // All still relay.
  for (size_t i = 0; i < conns.size(); i += 97) {
    send_all(conns[i].first, frame(1, "x"));
    BOOST_CHECK_EQUAL(read_up_to(conns[i].second, 33, 3000ms).size(), 33u);
  }
  for (auto [c, n] : conns) {
    ::close(c);
    ::close(n);
  }
}

BOOST_AUTO_TEST_CASE(reuse_addr_rebinds_after_close_but_not_while_listening) {
  uint16_t node_port = 0;
  int nl = listen_loopback(node_port);
  frame_guard_options o;
  o.target_port = node_port;
  std::string err;
  auto g = frame_guard::start(o, err);
  BOOST_REQUIRE(g);
  auto port = g->port();
  // Leave a connection in TIME_WAIT on the guard's side: it closes first.
  int c = connect_to(port);
  int n = accept_one(nl);
  send_all(c, basp_header(9, 0));
  BOOST_CHECK(closed(c));
  ::close(c);
  ::close(n);
  // A second listener on the same port is refused while the first listens.
  o.port = port;
  std::string err2;
  BOOST_CHECK(!frame_guard::start(o, err2));
  BOOST_CHECK_MESSAGE(err2.find("in use") != std::string::npos, err2);
  g->stop();
  g.reset();
  // A restarted guard binds the same port at once.
  std::string err3;
  auto g2 = frame_guard::start(o, err3);
  BOOST_REQUIRE_MESSAGE(g2, err3);
  BOOST_CHECK_EQUAL(g2->port(), port);
  g2.reset();
  ::close(nl);
}

BOOST_AUTO_TEST_CASE(max_frame_must_hold_a_fetch_chunk) {
  settings s;
  BOOST_CHECK_EQUAL(check_conf(s), "");
  BOOST_CHECK_EQUAL(apply_conf(s, "network.max-frame-size", "1m"), "");
  BOOST_CHECK(check_conf(s).find("shuffle.fetch-chunk-size") != std::string::npos);
  BOOST_CHECK_EQUAL(apply_conf(s, "shuffle.fetch-chunk-size", "512"), "");
  BOOST_CHECK_EQUAL(check_conf(s), "");
  BOOST_CHECK_EQUAL(apply_conf(s, "network.max-frame-size", "8g"), "");
  BOOST_CHECK(!check_conf(s).empty());
}

// Throughput of the relay: 1 GiB through the guard vs. direct, printed.
BOOST_AUTO_TEST_CASE(relay_throughput) {
  constexpr size_t total = size_t{1} << 30;
  constexpr size_t chunk = 4 << 20;
  auto measure = [&](int c, int n) {
    std::string block = frame(2, std::string(chunk - basp_header_size, 'q'));
    auto t0 = std::chrono::steady_clock::now();
    std::thread writer{[&] {
      send_all(c, frame(1, "hs"));
      for (size_t sent = 0; sent < total; sent += block.size())
        send_all(c, block);
    }};
    size_t got = 0;
    std::vector<char> buf(1 << 20);
    size_t want = total + basp_header_size + 2;
    while (got < want) {
      auto k = ::recv(n, buf.data(), buf.size(), 0);
      if (k <= 0)
        break;
      got += static_cast<size_t>(k);
    }
    writer.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    BOOST_CHECK_EQUAL(got, want);
    return static_cast<double>(total) / s / 1e9;
  };
  fixture f{64 << 20};
  auto [c, n] = f.pair();
  double guarded = measure(c, n);
  ::close(c);
  ::close(n);
  uint16_t p = 0;
  int l = listen_loopback(p);
  int dc = connect_to(p);
  int dn = accept_one(l);
  double direct = measure(dc, dn);
  ::close(dc);
  ::close(dn);
  ::close(l);
  BOOST_TEST_MESSAGE("relay throughput: direct " << direct << " GB/s, through the guard " << guarded << " GB/s");
  std::printf("relay throughput 1 GiB: direct %.2f GB/s, through the guard %.2f GB/s\n", direct, guarded);
  BOOST_CHECK_GT(guarded, 0.1);
}

BOOST_AUTO_TEST_SUITE_END()
