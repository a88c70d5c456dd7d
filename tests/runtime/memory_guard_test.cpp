// The executor memory bound (#13): past it a task fails with a message that
// says so, and the next task runs once the memory is back under the bound.
#include "runtime/memory_guard.hpp"
#include "tests/support/inline_runner.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace troupe;
using troupe::testing::inline_runner;

namespace {
/// Clears the flag whatever a test did.
struct flag_reset {
  ~flag_reset() { memory_guard::set_over_for_test(false); }
};
} // namespace

BOOST_AUTO_TEST_SUITE(memory_guard_suite)

BOOST_AUTO_TEST_CASE(resident_size_is_measured) {
  auto rss = memory_guard::resident_bytes();
  BOOST_TEST(rss > (1u << 20));
  BOOST_TEST(memory_guard::peak_resident_bytes() >= rss / 2);  // peak from getrusage, sampled differently
}

BOOST_AUTO_TEST_CASE(a_task_over_the_bound_fails_with_a_message_and_the_next_one_runs) {
  flag_reset reset;
  inline_runner runner(1, 1, 2);
  context ctx(runner, {});
  std::vector<std::pair<int64_t, int64_t>> kv;
  for (int64_t i = 0; i < 100; ++i)
    kv.emplace_back(i % 7, i);
  auto grouped = ctx.parallelize(kv, 3).group_by_key(2);
  memory_guard::set_over_for_test(true);
  std::string error;
  try {
    grouped.count();
  } catch (const std::exception& e) {
    error = e.what();
  }
  BOOST_TEST(error.find("executor memory exceeded") != std::string::npos, error);
  BOOST_TEST(error.find("--executor-memory") != std::string::npos, error);
  memory_guard::set_over_for_test(false);
  BOOST_TEST(grouped.count() == 7);
}

BOOST_AUTO_TEST_CASE(a_generous_bound_is_not_hit) {
  flag_reset reset;
  memory_guard::start(size_t{1} << 40);
  BOOST_TEST(memory_guard::limit_bytes() == (size_t{1} << 40));
  memory_guard::check();  // does not throw
  memory_guard::start(0);  // no bound again for the other tests
  BOOST_TEST(memory_guard::limit_bytes() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
