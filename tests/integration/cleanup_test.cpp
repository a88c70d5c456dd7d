// Integration, cleanup: no process started by the suite is left. This file
// must be the last of test_integration's sources in meson.build: Boost runs
// test cases in registration order, which is the link order; the case below
// checks that it is the last one registered.
#include "tests/integration/cluster.hpp"

#include <boost/test/tree/traverse.hpp>
#include <boost/test/tree/visitor.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace troupe::itest;

namespace {

/// The last test case of the whole tree in registration (= run) order.
struct last_case_finder : boost::unit_test::test_tree_visitor {
  boost::unit_test::test_unit_id last = boost::unit_test::INV_TEST_UNIT_ID;
  std::string name;
  void visit(const boost::unit_test::test_case& tc) override {
    last = tc.p_id;
    name = tc.full_name();
  }
};

} // namespace

namespace {

/// After everything: SIGKILL (by pid, our marker checked) for anything of ours still there.
struct last_resort_cleanup {
  ~last_resort_cleanup() {
    auto left = kill_suite_processes();
    if (!left.empty())
      BOOST_TEST_MESSAGE("killed processes left by the integration tests:\n" << describe(left));
  }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(last_resort_cleanup);

BOOST_AUTO_TEST_SUITE(cleanup)

// Registered last (cleanup_test.cpp is linked last), so it runs after every other case.
BOOST_AUTO_TEST_CASE(no_process_started_by_the_suite_is_left) {
  last_case_finder finder;
  boost::unit_test::traverse_test_tree(boost::unit_test::framework::master_test_suite(), finder, true);
  BOOST_TEST(finder.last == boost::unit_test::framework::current_test_case().p_id,
             "the last registered case is " << finder.name
                                            << ": list tests/integration/cleanup_test.cpp last in meson.build");
  {
    // The tracking sees what this suite starts, and stops it.
    temp_dir dir{"troupe-itest-cleanup"};
    background_process probe({troupe_binary(), "node", "--role", "master", "--host", "127.0.0.1", "--port", "0"},
                             dir.path(), "probe");
    BOOST_TEST_REQUIRE(wait_until([&] { return !printed_url(probe.out()).empty(); }, 10s), probe.describe());
    auto ours = suite_processes();
    BOOST_TEST(std::any_of(ours.begin(), ours.end(), [&](auto& p) { return p.pid == probe.pid(); }),
               "the probe " << probe.pid() << " is not among the suite's processes:\n" << describe(ours));
    BOOST_TEST(probe.stop() == 0, probe.describe());
  }
  std::vector<proc_info> left;
  wait_until(
    [&] {
      left = suite_processes();
      return left.empty();
    },
    3s);
  BOOST_TEST(left.empty(), "still running:\n" << describe(left));
}

BOOST_AUTO_TEST_SUITE_END()
