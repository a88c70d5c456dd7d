// Unit tests of task_set: Spark's TaskSetManager bookkeeping without actors.

#include "runtime/task_set.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace troupe;

BOOST_AUTO_TEST_SUITE(task_set_suite)

BOOST_AUTO_TEST_CASE(launches_lowest_pending_partition_first) {
  task_set ts{7, {2, 0, 1}, 4};
  BOOST_TEST(ts.stage() == 7);
  BOOST_TEST(ts.pending_count() == 3u);
  for (int32_t want = 0; want < 3; ++want) {
    auto t = ts.launch_next("e0", 100 + want);
    BOOST_REQUIRE(t.has_value());
    BOOST_TEST(t->partition == want);
    BOOST_TEST(t->attempt == 0);
    BOOST_TEST(t->id == 100 + want);
    BOOST_TEST(t->executor == "e0");
    BOOST_TEST((t->state == task_state::running));
  }
  BOOST_TEST(!ts.has_pending());
  BOOST_TEST(ts.running_count() == 3u);
  BOOST_TEST(!ts.launch_next("e0", 200).has_value());
  auto running = ts.running_tasks();
  std::sort(running.begin(), running.end());
  BOOST_TEST((running == std::vector<task_id>{100, 101, 102}));
}

BOOST_AUTO_TEST_CASE(prefers_partitions_whose_input_lives_on_the_executor) {
  task_set ts{0, {0, 1, 2, 3}, 4, {{2, {"e1"}}, {3, {"e1", "e2"}}}};
  auto a = ts.launch_next("e1", 1);
  BOOST_REQUIRE(a);
  BOOST_TEST(a->partition == 2);
  auto b = ts.launch_next("e2", 2);
  BOOST_REQUIRE(b);
  BOOST_TEST(b->partition == 3);
  // No preferred partition left for e1: falls back to the lowest pending.
  auto c = ts.launch_next("e1", 3);
  BOOST_REQUIRE(c);
  BOOST_TEST(c->partition == 0);
}

BOOST_AUTO_TEST_CASE(success_is_counted_once) {
  task_set ts{0, {0, 1}, 4};
  auto a = ts.launch_next("e0", 1);
  auto b = ts.launch_next("e0", 2);
  BOOST_REQUIRE(a && b);
  BOOST_TEST(ts.on_succeeded(1));
  BOOST_TEST(!ts.on_succeeded(1)); // late duplicate
  BOOST_TEST(!ts.on_succeeded(99)); // never launched
  BOOST_TEST(!ts.all_succeeded());
  BOOST_TEST(ts.on_succeeded(2));
  BOOST_TEST(ts.all_succeeded());
  BOOST_TEST(ts.running_count() == 0u);
  BOOST_REQUIRE(ts.find(1) != nullptr);
  BOOST_TEST((ts.find(1)->state == task_state::succeeded));
  BOOST_TEST(ts.find(99) == nullptr);
}

BOOST_AUTO_TEST_CASE(failure_retries_until_max_failures_then_aborts) {
  const int32_t max_failures = 3;
  task_set ts{0, {0, 5}, max_failures};
  task_id next_id = 1;
  // Partition 0 fails max_failures - 1 times and is retried each time.
  for (int32_t i = 0; i + 1 < max_failures; ++i) {
    auto t = ts.launch_next("e0", next_id++);
    BOOST_REQUIRE(t);
    BOOST_TEST(t->partition == 0);
    BOOST_TEST(t->attempt == i);
    auto d = ts.on_failed(t->id, "boom");
    BOOST_TEST(!d.abort);
    BOOST_TEST(ts.failures(0) == i + 1);
    BOOST_TEST(ts.has_pending());
  }
  auto other = ts.launch_next("e1", 50);
  auto last = ts.launch_next("e0", next_id++);
  BOOST_REQUIRE(last && other);
  BOOST_TEST(other->partition == 0); // the retried partition is still the lowest pending
  BOOST_TEST(other->attempt == max_failures - 1);
  BOOST_TEST(last->partition == 5);
  auto d = ts.on_failed(other->id, "disk on fire");
  BOOST_TEST(d.abort);
  BOOST_TEST(ts.aborted());
  BOOST_TEST(d.reason.find("partition 0") != std::string::npos);
  BOOST_TEST(d.reason.find(std::to_string(max_failures) + " times") != std::string::npos);
  BOOST_TEST(d.reason.find("disk on fire") != std::string::npos);
  // Nothing launches after an abort, and a late result is ignored.
  BOOST_TEST(!ts.launch_next("e0", 77).has_value());
  BOOST_TEST(!ts.on_succeeded(last->id));
  BOOST_TEST(!ts.all_succeeded());
}

BOOST_AUTO_TEST_CASE(lost_attempts_are_not_failures) {
  task_set ts{0, {0}, 1}; // a single failure would abort: losses must not count
  auto a = ts.launch_next("e0", 1);
  BOOST_REQUIRE(a);
  ts.on_lost(1);
  BOOST_TEST(ts.failures(0) == 0);
  BOOST_TEST(!ts.aborted());
  BOOST_TEST(ts.pending_count() == 1u);
  BOOST_TEST(!ts.on_succeeded(1)); // the lost attempt's result no longer counts
  auto b = ts.launch_next("e1", 2);
  BOOST_REQUIRE(b);
  BOOST_TEST(b->partition == 0);
  BOOST_TEST(b->attempt == 1);
  BOOST_TEST(ts.on_succeeded(2));
  BOOST_TEST(ts.all_succeeded());
}

BOOST_AUTO_TEST_CASE(executor_loss_returns_only_its_running_tasks) {
  task_set ts{0, {0, 1, 2}, 1};
  ts.launch_next("e0", 10);
  ts.launch_next("e1", 11);
  ts.launch_next("e0", 12);
  auto lost = ts.on_executor_lost("e0");
  std::sort(lost.begin(), lost.end());
  BOOST_TEST((lost == std::vector<task_id>{10, 12}));
  BOOST_TEST(ts.running_count() == 1u);
  BOOST_TEST(ts.pending_count() == 2u);
  BOOST_TEST(ts.failures(0) == 0);
  BOOST_TEST(ts.failures(2) == 0);
  BOOST_TEST(!ts.aborted());
  BOOST_TEST((ts.find(10)->state == task_state::lost));
  BOOST_TEST(ts.on_executor_lost("e0").empty());
}

BOOST_AUTO_TEST_CASE(resubmit_moves_a_succeeded_partition_back_to_pending) {
  task_set ts{0, {0, 1}, 4};
  ts.launch_next("e0", 1);
  ts.launch_next("e0", 2);
  ts.on_succeeded(1);
  ts.on_succeeded(2);
  BOOST_TEST(ts.all_succeeded());
  ts.resubmit(1);
  ts.resubmit(42); // not part of this set: no effect
  BOOST_TEST(!ts.all_succeeded());
  BOOST_TEST(ts.pending_count() == 1u);
  auto t = ts.launch_next("e1", 3);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->partition == 1);
  BOOST_TEST(t->attempt == 1);
  BOOST_TEST(ts.on_succeeded(3));
  BOOST_TEST(ts.all_succeeded());
}

BOOST_AUTO_TEST_SUITE_END()
