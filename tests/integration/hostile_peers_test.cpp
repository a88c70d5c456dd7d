// Hostile bytes against a real master and workers on 127.0.0.1 (issue 13):
// oversized length prefixes, random bytes, truncated frames and half-open
// connections; then a job on the same cluster. Every node must stay alive and
// its peak RSS (VmHWM) under its idle VmRSS + 64 MB.

#include "tests/integration/cluster.hpp"
#include "tests/support/sockets.hpp"

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace troupe::itest;
using namespace std::chrono_literals;

namespace {






uint32_t be32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

/// Every attack against one public port.
void attack(uint16_t port, std::mt19937& rng) {
  // Oversized length prefixes: as a first frame, and after a forged handshake.
  for (int i = 0; i < 10; ++i) {
    int fd = dial_loopback(port);
    BOOST_REQUIRE(fd >= 0);
    if (i % 3 == 0)
      send_some(fd, basp_header(2, 0xfffffff0u));
    else if (i % 3 == 1) // what froze an unguarded node: a "client handshake" of 4 GB
      send_some(fd, basp_header(1, 0xfffffff0u) + std::string(64, 'A'));
    else
      send_some(fd, basp_header(1, 8) + std::string(8, '\x01') + basp_header(2, 0xffffff00u) + std::string(64, 'A'));
    ::close(fd);
  }
  // Random bytes on 200+ connections.
  for (int i = 0; i < 220; ++i) {
    int fd = dial_loopback(port);
    BOOST_REQUIRE(fd >= 0);
    std::string junk(1 + rng() % 4096, '\0');
    for (auto& c : junk)
      c = static_cast<char>(rng());
    send_some(fd, junk);
    ::close(fd);
  }
  // Truncated frames: a header that promises more than comes, a header cut short.
  for (int i = 0; i < 20; ++i) {
    int fd = dial_loopback(port);
    BOOST_REQUIRE(fd >= 0);
    send_some(fd, i % 2 ? basp_header(1, 100) + std::string(50, 'x') : basp_header(1, 100).substr(0, 13));
    ::close(fd);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_peers)

BOOST_AUTO_TEST_CASE(hostile_bytes_neither_inflate_nor_stop_nodes) {
  cluster c{{}, "troupe-hostile"};
  c.add_worker(1, "512m");
  c.add_worker(1, "512m");
  auto st = c.await_alive(2);
  BOOST_REQUIRE_MESSAGE(st.alive_workers() == 2, st.text);
  std::vector<uint16_t> ports{port_of(c.url())};
  for (auto& [id, state] : st.workers)
    ports.push_back(static_cast<uint16_t>(std::stoi(id.substr(id.rfind('-') + 1))));
  std::vector<pid_t> pids{c.master().pid(), c.worker(0).pid(), c.worker(1).pid()};
  std::vector<long> idle;
  for (auto p : pids)
    idle.push_back(proc_status_kb(p, "VmRSS"));

  // What a public port says first: a server handshake (operation 0) with a
  // small big-endian payload length, which is the order the guard parses.
  {
    int fd = dial_loopback(ports[0]);
    BOOST_REQUIRE(fd >= 0);
    auto hs = read_up_to(fd, 32, 3s);
    BOOST_REQUIRE_EQUAL(hs.size(), 32u);
    BOOST_CHECK_EQUAL(static_cast<int>(hs[0]), 0);
    BOOST_CHECK_GT(be32(hs, 4), 0u);
    BOOST_CHECK_LT(be32(hs, 4), 64u * 1024);
    ::close(fd);
  }

  auto seed = static_cast<uint32_t>(std::random_device{}());
  std::printf("hostile_peers seed=%u\n", seed);
  BOOST_TEST_MESSAGE("hostile_peers seed=" << seed);
  std::mt19937 rng{seed};
  // Half-open: connected, silent, held through the job.
  std::vector<int> half_open;
  for (auto port : ports)
    for (int i = 0; i < 30; ++i)
      if (int fd = dial_loopback(port); fd >= 0)
        half_open.push_back(fd);
  for (auto port : ports)
    attack(port, rng);

  auto r = troupe_cmd({"submit", "--master", c.url(), "--executor-memory", "256m", "pi", "200000"}, 90s);
  BOOST_CHECK_MESSAGE(r.exit_code == 0 && contains(r.out, "pi is roughly 3.1"), describe(r));
  // The workers the attack hit still count as alive.
  BOOST_CHECK_EQUAL(cluster_status(c.url()).alive_workers(), 2);
  for (size_t i = 0; i < pids.size(); ++i) {
    BOOST_CHECK_MESSAGE(is_running(pids[i]), "node " << i << " died");
    auto peak = proc_status_kb(pids[i], "VmHWM");
    BOOST_TEST_MESSAGE("node " << i << " idle VmRSS " << idle[i] << " KiB, peak VmHWM " << peak << " KiB");
    std::printf("node %zu idle VmRSS %ld KiB, peak VmHWM %ld KiB\n", i, idle[i], peak);
    BOOST_CHECK_LT(peak, idle[i] + 64 * 1024);
  }
  for (int fd : half_open)
    ::close(fd);
}

BOOST_AUTO_TEST_CASE(a_restarted_master_binds_its_port_at_once) {
  uint16_t port = 0;
  {
    cluster c{{}, "troupe-rebind"};
    port = port_of(c.url());
    c.add_worker(1, "256m");
    BOOST_REQUIRE_EQUAL(c.await_alive(1).alive_workers(), 1);
    // The master's side closes established connections at SIGTERM: TIME_WAIT on its port.
  }
  troupe::testing::temp_dir dir{"troupe-rebind2"};
  background_process m{{troupe_binary(), "node", "--role", "master", "--host", "127.0.0.1", "--port",
                        std::to_string(port)},
                       dir.path(), "master"};
  BOOST_CHECK_MESSAGE(wait_until([&] { return !printed_url(m.out()).empty() || m.poll(); }, 10s)
                        && port_of(printed_url(m.out())) == port,
                      m.describe());
  // A second master on the same port is refused: the port is in use.
  auto second = troupe_cmd({"node", "--role", "master", "--host", "127.0.0.1", "--port", std::to_string(port)}, 20s);
  BOOST_CHECK_MESSAGE(second.exit_code != 0 && contains(second.err, "in use"), describe(second));
}

BOOST_AUTO_TEST_SUITE_END()
