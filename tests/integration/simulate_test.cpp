// Integration, simulate: troupe simulate, as processes and as threads, runs
// a job and stops on SIGTERM leaving nothing behind.
#include "tests/integration/cluster.hpp"
#include "tests/integration/inputs.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <string>
#include <vector>

using namespace troupe::itest;

namespace {

void check_simulate(bool threads) {
  temp_dir dir{"troupe-itest-simulate"};
  auto input = dir.write("words.txt", make_text());
  std::vector<std::string> argv{troupe_binary(), "simulate", "--workers", "3", "--cores", "1", "--memory", "512m",
                                "--port", "0"};
  if (threads)
    argv.push_back("--threads");
  background_process sim(argv, dir.path(), "simulate");
  BOOST_TEST_REQUIRE(wait_until([&] { return !printed_url(sim.out()).empty() || sim.poll(); }, 20s),
                     "no URL within 20 s:\n" << sim.describe());
  auto url = printed_url(sim.out());
  BOOST_TEST_REQUIRE(!url.empty(), sim.describe());
  BOOST_TEST(port_of(url) != 0);

  auto st = cluster_status(url);
  BOOST_TEST(st.ok, st.text);
  BOOST_TEST(st.alive_workers() == 3, st.text);

  auto local = troupe_cmd({"submit", "--master", "local[2]", "word_count", input});
  BOOST_TEST(local.exit_code == 0, describe(local));
  {
    // The submitter in the background, to follow its driver meanwhile.
    // 512 MiB workers: the driver (driver.memory, 512m by default) fills one,
    // the executors must be small enough for the others.
    background_process sub({troupe_binary(), "submit", "--master", url, "--deploy-mode", "cluster", "--wait",
                            "--executor-memory", "256m", "word_count", input},
                           dir.path(), "submit");
    std::string driver;
    BOOST_TEST_REQUIRE(wait_until(
                         [&] {
                           driver = submitted_driver(sub.out());
                           return !driver.empty() || sub.poll();
                         },
                         10s),
                       sub.describe());
    BOOST_TEST_REQUIRE(!driver.empty(), sub.describe());
    driver_report d;
    bool placed = wait_until(
      [&] {
        d = driver_status(url, driver);
        return !d.state.empty() && d.state != "SUBMITTED";
      },
      10s, 100ms);
    BOOST_TEST(placed, "driver " << driver << " is still " << d.state << " after 10 s on a cluster of 3 idle workers:\n"
                                 << cluster_status(url).text);
    if (placed) {
      auto code = sub.wait_exit(30s);
      BOOST_TEST(code.has_value(), "the submitter still waits:\n" << sub.describe());
      BOOST_TEST(code.value_or(-1) == 0, sub.describe());
      BOOST_TEST(contains(sub.out(), local.out), "the driver's output is missing:\n" << sub.describe());
      BOOST_TEST(contains(sub.err(), "driver " + driver + " finished on worker"), sub.describe());
    } else {
      sub.stop(1s);  // SIGTERM, then SIGKILL: it waits for a driver that never starts
    }
  }

  // As processes: a master and three workers (plus what they run).
  auto children = descendants(sim.pid());
  if (threads)
    BOOST_TEST(children.empty(), describe(children));
  else
    BOOST_TEST(children.size() >= 4u, describe(children));

  auto start = clock::now();
  sim.signal(SIGTERM);
  auto code = sim.wait_exit(10s);
  BOOST_TEST_REQUIRE(code.has_value(), "simulate still runs 10 s after SIGTERM:\n" << sim.describe());
  BOOST_TEST(*code == 0, sim.describe());
  BOOST_TEST(sim.term_signal() == 0, sim.describe());
  BOOST_TEST_MESSAGE("simulate" << (threads ? " --threads" : "") << " stopped " << seconds_since(start)
                                << " s after SIGTERM");
  std::vector<proc_info> left;
  wait_until(
    [&] {
      left.clear();
      for (auto& p : children)
        if (is_running(p.pid) && has_marker(p.pid))
          left.push_back(p);
      return left.empty();
    },
    2s);
  BOOST_TEST(left.empty(), "left behind by simulate:\n" << describe(left));
}

} // namespace

BOOST_AUTO_TEST_SUITE(simulate, *boost::unit_test::timeout(90))

BOOST_AUTO_TEST_CASE(simulate_as_processes_runs_a_job_and_stops_on_sigterm) { check_simulate(false); }

BOOST_AUTO_TEST_CASE(simulate_as_threads_runs_a_job_and_stops_on_sigterm) { check_simulate(true); }

BOOST_AUTO_TEST_SUITE_END()
