// Issue 13's acceptance on every role: more than 2,000 hostile connections
// (random bytes, truncated frames, oversized length prefixes, protocol-shaped
// forgeries, half-open connections) to a master, a worker, an executor and a
// driver while a shuffle job runs, and to an HTTP port built by
// http_options_from; the job's answer is right, every node stays up with its
// peak RSS under its RSS at the start + 64 MB, and a second job runs. Then
// the same bytes against a master with the shared secret: all refused by the
// handshake before CAF, the master stays small, a holder of the secret works.

#include "runtime/http_options.hpp"
#include "runtime/settings.hpp"
#include "tests/integration/cluster.hpp"
#include "tests/support/sockets.hpp"

#include <boost/test/unit_test.hpp>

#include <httplib.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <string>
#include <vector>

using namespace troupe::itest;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {


std::string junk(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(rng());
  return s;
}

/// 500 hostile connections to `port`; returns how many were made.
int attack(uint16_t port, std::mt19937& rng) {
  using troupe::testing::basp_header;
  int made = 0;
  auto once = [&](const std::string& bytes) {
    int fd = troupe::testing::dial_loopback(port);
    if (fd < 0)
      return;
    ++made;
    send_some(fd, bytes);
    ::close(fd);
  };
  for (int i = 0; i < 30; ++i) // oversized length prefixes, first frame or after a handshake
    once(i % 3 == 0   ? basp_header(2, 0xfffffff0u)
         : i % 3 == 1 ? basp_header(1, 0xfffffff0u) + std::string(64, 'A')
                      : basp_header(1, 8) + std::string(8, '\x01') + basp_header(3, 0xffffff00u));
  for (int i = 0; i < 350; ++i) // random bytes
    once(junk(rng, 1 + rng() % 4096));
  for (int i = 0; i < 40; ++i) // truncated frames
    once(i % 2 ? basp_header(1, 100) + std::string(50, 'x') : basp_header(1, 100).substr(0, 13));
  for (int i = 0; i < 80; ++i) { // protocol-shaped forgeries: plausible headers, forged payloads
    auto hs = junk(rng, 40 + rng() % 200);
    auto msg = junk(rng, 16 + rng() % 512);
    auto op = static_cast<uint8_t>(2 + rng() % 5);
    once(basp_header(1, static_cast<uint32_t>(hs.size())) + hs + basp_header(op, static_cast<uint32_t>(msg.size()))
         + msg);
  }
  return made;
}

/// Public ports in files under `dir` ("executor started ... port=N").
std::vector<uint16_t> executor_ports(const fs::path& dir) {
  static const std::regex re{R"(executor started .* port=(\d+))"};
  std::vector<uint16_t> out;
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file())
      continue;
    std::ifstream in{e.path()};
    std::string line;
    while (std::getline(in, line)) {
      std::smatch m;
      if (std::regex_search(line, m, re))
        out.push_back(static_cast<uint16_t>(std::stoi(m[1])));
    }
  }
  return out;
}

/// The suite's executor processes and the driver port their command lines name.
std::vector<pid_t> executor_pids(uint16_t& driver_port) {
  static const std::regex re{R"(--driver-url troupe://127\.0\.0\.1:(\d+))"};
  std::vector<pid_t> out;
  for (auto& p : suite_processes())
    if (contains(p.cmdline, "--role executor")) {
      out.push_back(p.pid);
      std::smatch m;
      if (std::regex_search(p.cmdline, m, re))
        driver_port = static_cast<uint16_t>(std::stoi(m[1]));
    }
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_bytes)

BOOST_AUTO_TEST_CASE(every_role_survives_2000_hostile_connections_during_a_job) {
  cluster c{{}, "troupe-hostile-bytes"};
  // log.level=info: executors log their public port ("executor started ... port=N").
  c.add_worker(2, "1g", {"log.level=info"});
  c.add_worker(2, "1g", {"log.level=info"});
  auto st = c.await_alive(2);
  BOOST_REQUIRE_MESSAGE(st.alive_workers() == 2, st.text);
  std::vector<uint16_t> ports{port_of(c.url())};
  ports.push_back(static_cast<uint16_t>(std::stoi(st.workers.begin()->first.substr(st.workers.begin()->first.rfind('-') + 1))));

  // An HTTP port as every role builds it.
  troupe::settings s;
  s.host = "127.0.0.1";
  troupe::http::server_options ho;
  std::string err;
  BOOST_REQUIRE(troupe::http_options_from(s, "hostile", 0, 1, ho, err));
  troupe::http::server web;
  web.route("GET", "/json", troupe::http::access::read,
            [](const troupe::http::request&) { return troupe::http::response::json("{\"ok\":true}"); });
  BOOST_REQUIRE_MESSAGE(web.start(ho, err), err);

  // A shuffle job long enough to attack its driver and executors (24 map
  // tasks of 2.5 s on 4 cores, then 6 reduce tasks).
  background_process job{{troupe_binary(), "submit", "--master", c.url(), "--executor-memory", "256m", "fault_demo",
                          "shuffle", "100000", "2500"},
                         c.path("logs"), "job"};
  uint16_t driver_port = 0;
  std::vector<pid_t> execs;
  std::vector<uint16_t> exec_ports;
  BOOST_REQUIRE_MESSAGE(wait_until(
                          [&] {
                            execs = executor_pids(driver_port);
                            exec_ports = executor_ports(c.path(""));
                            return execs.size() >= 2 && exec_ports.size() >= 2 && driver_port != 0;
                          },
                          30s, 100ms),
                        job.describe());
  ports.push_back(exec_ports.front());
  ports.push_back(driver_port);

  std::vector<pid_t> pids{c.master().pid(), c.worker(0).pid(), c.worker(1).pid(), execs.front(), job.pid()};
  std::vector<long> start_rss;
  for (auto p : pids)
    start_rss.push_back(troupe::testing::proc_status_kb(p, "VmRSS"));

  auto seed = static_cast<uint32_t>(std::random_device{}());
  std::printf("hostile_bytes seed=%u\n", seed);
  std::mt19937 rng{seed};
  std::vector<int> half_open;
  for (auto port : ports)
    for (int i = 0; i < 20; ++i)
      if (int fd = troupe::testing::dial_loopback(port); fd >= 0)
        half_open.push_back(fd);
  for (int i = 0; i < 20; ++i)
    if (int fd = troupe::testing::dial_loopback(web.port()); fd >= 0)
      half_open.push_back(fd);
  int made = static_cast<int>(half_open.size());
  // The executor and the driver end with the job: their peak is sampled after each round, while they run.
  std::vector<long> peak_after_attack(pids.size(), -1);
  auto sample = [&] {
    for (size_t i = 0; i < pids.size(); ++i)
      peak_after_attack[i] = std::max(peak_after_attack[i], troupe::testing::proc_status_kb(pids[i], "VmHWM"));
  };
  for (auto port : ports) {
    made += attack(port, rng);
    sample();
  }
  made += attack(web.port(), rng);
  sample();
  std::printf("hostile_bytes connections=%d\n", made);
  BOOST_CHECK_GE(made, 2000);

  // The job attacked in flight gives the right answer.
  BOOST_CHECK(job.wait_exit(120s).value_or(-1) == 0);
  BOOST_CHECK_MESSAGE(contains(job.out(), "groups=97 total=4999950000"), job.describe());
  // HTTP still serves.
  // HTTP still serves, the half-open connections still held (each holds a
  // server thread until its read timeout).
  BOOST_CHECK(wait_until(
    [&] {
      httplib::Client hc("127.0.0.1", web.port());
      hc.set_read_timeout(3, 0);
      auto r = hc.Get("/json");
      return r && r->status == 200;
    },
    15s, 100ms));
  for (size_t i = 0; i < pids.size(); ++i) {
    auto peak = std::max(peak_after_attack[i], troupe::testing::proc_status_kb(pids[i], "VmHWM"));
    std::printf("hostile_bytes node %zu start VmRSS %ld KiB, peak VmHWM %ld KiB\n", i, start_rss[i], peak);
    if (i < 3) // the driver and the executor have exited with the job
      BOOST_CHECK_MESSAGE(is_running(pids[i]), "node " << i << " died");
    BOOST_CHECK_GT(peak, 0);
    BOOST_CHECK_LT(peak, start_rss[i] + 64 * 1024);
  }
  for (int fd : half_open)
    ::close(fd);
  // The same cluster runs the next job.
  auto next = troupe_cmd({"submit", "--master", c.url(), "--executor-memory", "256m", "pi", "100000"}, 90s);
  BOOST_CHECK_MESSAGE(next.exit_code == 0 && contains(next.out, "pi is roughly 3.1"), describe(next));
  BOOST_CHECK_EQUAL(cluster_status(c.url()).alive_workers(), 2);
}

BOOST_AUTO_TEST_CASE(with_the_secret_hostile_bytes_never_reach_caf) {
  troupe::testing::temp_dir d{"troupe-hostile-secret"};
  auto secret = d.write("secret", "hostile secret");
  ::chmod(secret.c_str(), 0600);
  std::vector<std::string> conf{"auth.secret-file=" + secret};
  cluster c{conf, "troupe-hostile-secret"};
  c.add_worker(1, "512m", conf);
  auto idle = troupe::testing::proc_status_kb(c.master().pid(), "VmRSS");
  std::mt19937 rng{7};
  int made = attack(port_of(c.url()), rng);
  BOOST_CHECK_GE(made, 400);
  auto r = troupe_cmd({"submit", "--master", c.url(), "--conf", conf[0], "--executor-memory", "128m", "pi", "20000"},
                      90s);
  BOOST_CHECK_MESSAGE(r.exit_code == 0 && contains(r.out, "pi is roughly 3.1"), describe(r));
  BOOST_CHECK(is_running(c.master().pid()));
  auto peak = troupe::testing::proc_status_kb(c.master().pid(), "VmHWM");
  std::printf("hostile_bytes secret master idle VmRSS %ld KiB, peak VmHWM %ld KiB\n", idle, peak);
  BOOST_CHECK_LT(peak, idle + 64 * 1024);
  // Every stranger's connection was refused by the handshake, one log line per reason.
  auto log = c.master().err() + c.master().out();
  size_t lines = 0;
  for (auto& l : lines_of(log))
    lines += contains(l, "refused peer") ? 1 : 0;
  BOOST_CHECK_MESSAGE(lines >= 1 && lines <= 3, log);
}

BOOST_AUTO_TEST_SUITE_END()
