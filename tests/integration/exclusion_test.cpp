// Integration test: a worker that cannot launch executors (its work dir is
// unusable) is excluded for the application, so the healthy worker beside it
// carries the job (issue 13).
#include "tests/integration/cluster.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

using namespace troupe::itest;

BOOST_AUTO_TEST_SUITE(exclusion, *boost::unit_test::timeout(90))

BOOST_AUTO_TEST_CASE(a_worker_with_an_unusable_work_dir_is_excluded_and_the_healthy_one_carries_the_job) {
  cluster c;
  c.add_worker(2, "1g");
  c.add_worker(2, "1g");
  auto st = c.await_alive(2);
  BOOST_TEST_REQUIRE(st.alive_workers() == 2, st.text);
  // A worker checks its work dir at start (and refuses to run without one), so
  // break worker 0's afterwards: it becomes a plain file, and every executor
  // the worker launches fails at once.
  std::filesystem::remove_all(c.path("work-0"));
  std::ofstream(c.path("work-0")) << "not a directory\n";

  // Before exclusion the bad worker's executors failed ten times within
  // milliseconds and the application failed with them.
  auto r = troupe_cmd({"submit", "--master", c.url(), "pi", "200000"}, 60s);
  BOOST_TEST(r.exit_code == 0, describe(r));
  BOOST_TEST(contains(r.out, "pi is roughly 3.1"), describe(r));
  auto after = cluster_status(c.url());
  BOOST_TEST_REQUIRE(after.apps.size() == 1u, after.text);
  BOOST_TEST(after.apps[0].state == "FINISHED", after.text);
  BOOST_TEST(after.alive_workers() == 2, after.text);
  // The master says which worker it excluded, once.
  auto err = c.master().err();
  BOOST_TEST(contains(err, "worker excluded for app="), err);
  BOOST_TEST(err.find("worker excluded") == err.rfind("worker excluded"), err);
}

BOOST_AUTO_TEST_SUITE_END()
