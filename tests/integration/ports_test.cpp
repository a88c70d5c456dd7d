// Integration, wrong ports: nothing listening, port taken.
#include "tests/integration/cluster.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace troupe::itest;

BOOST_AUTO_TEST_SUITE(ports, *boost::unit_test::timeout(60))

BOOST_AUTO_TEST_CASE(a_worker_without_a_master_exits_non_zero) {
  temp_dir dir{"troupe-itest-ports"};
  auto port = unused_port();
  background_process w({troupe_binary(), "node", "--role", "worker", "--master",
                        "troupe://127.0.0.1:" + std::to_string(port), "--host", "127.0.0.1", "--cores", "1", "--memory",
                        "1g", "--work-dir", dir / "work", "--conf", "register.timeout=1000"},
                       dir.path(), "worker");
  auto code = w.wait_exit(5s);
  BOOST_TEST_REQUIRE(code.has_value(), "the worker still runs after 5 s:\n" << w.describe());
  BOOST_TEST(*code != 0, w.describe());
  BOOST_TEST(w.term_signal() == 0, "died of a signal:\n" << w.describe());
  BOOST_TEST(contains(w.err(), "no master answers"), w.describe());
  BOOST_TEST_MESSAGE("worker gave up after " << w.lifetime() << " s");
}

BOOST_AUTO_TEST_CASE(a_client_mode_submit_without_a_master_is_exit_1) {
  temp_dir dir{"troupe-itest-ports"};
  auto port = unused_port();
  auto start = clock::now();
  auto r = troupe_cmd({"submit", "--master", "troupe://127.0.0.1:" + std::to_string(port), "--conf",
                       "register.timeout=1000", "pi", "1000"},
                      10s);
  auto took = seconds_since(start);
  BOOST_TEST(r.exit_code == 1, describe(r));
  BOOST_TEST(took < 5.0, took << " s");
  BOOST_TEST(contains(r.err, "no master answers"), describe(r));
  // Same for cluster mode.
  r = troupe_cmd({"submit", "--master", "troupe://127.0.0.1:" + std::to_string(port), "--deploy-mode", "cluster",
                  "--conf", "register.timeout=1000", "pi", "1000"},
                 10s);
  BOOST_TEST(r.exit_code == 1, describe(r));
  BOOST_TEST(contains(r.err, "no master answers"), describe(r));
}

BOOST_AUTO_TEST_CASE(a_second_master_on_a_taken_port_is_exit_1) {
  cluster c{{}, "troupe-itest-ports"};
  temp_dir dir{"troupe-itest-ports"};
  background_process second({troupe_binary(), "node", "--role", "master", "--host", "127.0.0.1", "--port",
                             std::to_string(port_of(c.url()))},
                            dir.path(), "second-master");
  auto code = second.wait_exit(5s);
  BOOST_TEST_REQUIRE(code.has_value(), "the second master still runs after 5 s:\n" << second.describe());
  BOOST_TEST(*code == 1, second.describe());
  BOOST_TEST(contains(second.err(), "cannot listen"), second.describe());
  // The first one is unharmed.
  BOOST_TEST(!c.master().poll().has_value(), c.master().describe());
  BOOST_TEST(cluster_status(c.url()).ok);
}

BOOST_AUTO_TEST_CASE(status_without_a_master_is_exit_1) {
  auto port = unused_port();
  auto start = clock::now();
  auto r = troupe_cmd({"status", "--master", "troupe://127.0.0.1:" + std::to_string(port)}, 20s);
  auto took = seconds_since(start);
  BOOST_TEST_MESSAGE("status against a dead port gave up after " << took << " s");
  BOOST_TEST(!r.timed_out, describe(r));
  BOOST_TEST(r.exit_code == 1, describe(r));
  BOOST_TEST(took < 15.0);
  BOOST_TEST(contains(r.err, "no master answers"), describe(r));
}

BOOST_AUTO_TEST_SUITE_END()
