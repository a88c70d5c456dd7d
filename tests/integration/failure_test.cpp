// Integration, failure detection: the master notices a killed and a frozen
// worker; a thawed worker registers again.
#include "tests/integration/cluster.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <string>
#include <vector>

using namespace troupe::itest;

BOOST_AUTO_TEST_SUITE(failure, *boost::unit_test::timeout(90))

BOOST_AUTO_TEST_CASE(a_killed_worker_and_a_frozen_worker_turn_dead_and_a_thawed_one_comes_back) {
  const std::vector<std::string> conf{"worker.timeout=1500", "heartbeat.interval=200", "network.timeout=1000"};
  cluster c{conf, "troupe-itest-failure"};
  // One worker at a time, to know which id is whose.
  c.add_worker(1, "1g", conf);
  auto st = c.await_alive(1);
  BOOST_TEST_REQUIRE(st.workers.size() == 1u, st.text);
  auto first = st.workers.begin()->first;
  c.add_worker(1, "1g", conf);
  st = c.await_alive(2);
  BOOST_TEST_REQUIRE(st.workers.size() == 2u, st.text);
  std::string second;
  for (auto& [id, s] : st.workers)
    if (id != first)
      second = id;

  // SIGKILL: DEAD within 3 s.
  auto start = clock::now();
  ::kill(c.worker(0).pid(), SIGKILL);
  bool dead = wait_until(
    [&] {
      st = cluster_status(c.url());
      return st.worker_state(first) == "DEAD";
    },
    3s, 100ms);
  BOOST_TEST(dead, "not DEAD " << seconds_since(start) << " s after SIGKILL:\n" << st.text);
  BOOST_TEST_MESSAGE("SIGKILLed worker DEAD after " << seconds_since(start) << " s");
  BOOST_TEST(st.worker_state(second) == "ALIVE", st.text);
  BOOST_TEST(c.worker(0).wait_exit(2s).value_or(-1) == 128 + SIGKILL);

  // SIGSTOP: no heartbeats, DEAD within ~3 s (worker.timeout is 1.5 s).
  start = clock::now();
  c.worker(1).signal(SIGSTOP);
  dead = wait_until(
    [&] {
      st = cluster_status(c.url());
      return st.worker_state(second) == "DEAD";
    },
    3s, 100ms);
  BOOST_TEST(dead, "not DEAD " << seconds_since(start) << " s after SIGSTOP:\n" << st.text);
  BOOST_TEST_MESSAGE("SIGSTOPped worker DEAD after " << seconds_since(start) << " s");

  // SIGCONT: it registers again (under its id or a new one) within ~5 s.
  start = clock::now();
  c.worker(1).signal(SIGCONT);
  bool back = wait_until(
    [&] {
      st = cluster_status(c.url());
      return st.alive_workers() == 1;
    },
    5s, 100ms);
  BOOST_TEST(back, "the thawed worker did not register again within " << seconds_since(start) << " s:\n"
                                                                        << st.text << c.worker(1).describe());
  BOOST_TEST_MESSAGE("thawed worker ALIVE again after " << seconds_since(start) << " s");
  BOOST_TEST(st.worker_state(first) == "DEAD", st.text);
  BOOST_TEST(!c.worker(1).poll().has_value(), "the thawed worker exited:\n" << c.worker(1).describe());
  // And it is usable: a job runs on it.
  if (back) {
    auto r = troupe_cmd({"submit", "--master", c.url(), "pi", "100000"}, 30s);
    BOOST_TEST(r.exit_code == 0, describe(r));
    BOOST_TEST(contains(r.out, "pi is roughly"), describe(r));
  }
}

BOOST_AUTO_TEST_SUITE_END()
