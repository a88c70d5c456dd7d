// The executor memory bound (#13): past it a task fails with a message that
// says so, and the next task runs once the memory is back under the bound.
#include "runtime/memory_guard.hpp"
#include "tests/support/inline_runner.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
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

BOOST_AUTO_TEST_CASE(near_the_bound_the_reliever_is_asked_before_a_task_fails) {
  flag_reset reset;
  const size_t held_bytes = size_t{96} << 20;
  auto wait_for_pressure = [] {
    for (int i = 0; i < 500 && !memory_guard::under_pressure(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return memory_guard::under_pressure();
  };
  // Cached data that pushes the process over a bound set 32 MiB above its size.
  auto held = std::make_unique<std::vector<char>>(held_bytes, 'x');
  auto limit = memory_guard::resident_bytes() - held_bytes + (size_t{32} << 20);
  size_t asked = 0;
  memory_guard::set_reliever([&](size_t want) -> size_t {
    asked = want;
    held.reset();  // spilled: its pages go back
    return held_bytes;
  });
  memory_guard::start(limit);
  BOOST_TEST_REQUIRE(wait_for_pressure());
  memory_guard::check();  // relieved instead of failing
  BOOST_TEST(asked > 0u);
  BOOST_TEST(held == nullptr);
  BOOST_TEST(memory_guard::resident_bytes() < limit);

  // With nothing left to give, the same growth fails the task.
  asked = 0;
  memory_guard::set_reliever([&](size_t want) -> size_t {
    asked = want;
    return 0;
  });
  auto grown = std::make_unique<std::vector<char>>(held_bytes, 'y');
  BOOST_TEST_REQUIRE(wait_for_pressure());
  std::string error;
  for (int i = 0; i < 200 && error.empty(); ++i) {  // the first check may fall in an already relieved sample
    try {
      memory_guard::check();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    } catch (const memory_exceeded& e) {
      error = e.what();
    }
  }
  BOOST_TEST(asked > 0u);
  BOOST_TEST(error.find("executor memory exceeded") != std::string::npos, error);
  memory_guard::set_reliever({});
  memory_guard::start(0);
  BOOST_TEST(!memory_guard::under_pressure());
}

BOOST_AUTO_TEST_SUITE_END()
