// Unit tests of task_set: Spark's TaskSetManager bookkeeping without actors.

#include "runtime/task_set.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <string>

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

BOOST_AUTO_TEST_CASE(executor_losses_never_use_up_task_max_failures) {
  // task.max-failures = 2: one real failure is allowed, the second aborts.
  // Five executor losses of the same partition in between change nothing.
  task_set ts{0, {0}, 2};
  task_id id = 1;
  for (int i = 0; i < 5; ++i) {
    auto a = ts.launch_next("e" + std::to_string(i), id);
    BOOST_REQUIRE(a);
    BOOST_TEST(a->attempt == i);
    BOOST_TEST((ts.on_executor_lost(a->executor) == std::vector<task_id>{id}));
    BOOST_TEST((ts.find(id)->state == task_state::lost));
    ++id;
  }
  BOOST_TEST(ts.failures(0) == 0);
  BOOST_TEST(!ts.aborted());
  auto a = ts.launch_next("e9", id);
  BOOST_REQUIRE(a);
  BOOST_TEST(!ts.on_failed(id++, "boom").abort);  // the first failure counted: 1 of 2
  BOOST_TEST(ts.failures(0) == 1);
  auto b = ts.launch_next("e9", id);
  BOOST_REQUIRE(b);
  auto d = ts.on_failed(id, "boom");
  BOOST_TEST(d.abort);
  BOOST_TEST(d.reason.find("failed 2 times") != std::string::npos, d.reason);
}

namespace {
using ms = std::chrono::milliseconds;
std::chrono::steady_clock::time_point at(int64_t millis) {
  return std::chrono::steady_clock::time_point{} + ms(millis);
}
} // namespace

BOOST_AUTO_TEST_CASE(speculation_waits_for_the_quantile_and_the_multiplier) {
  speculation_policy policy;  // 1.5 x median, 75 %, at least 100 ms
  task_set ts{0, {0, 1, 2, 3}, 4};
  for (task_id t = 0; t < 4; ++t)
    BOOST_REQUIRE(ts.launch_next(t < 2 ? "a" : "b", t, at(0)));
  // Two of four done (50 % < 75 %): nothing is speculated, however slow.
  BOOST_TEST(ts.on_succeeded(0, at(1000)));
  BOOST_TEST(ts.on_succeeded(1, at(1000)));
  BOOST_TEST(ts.check_speculation(at(60000), policy).empty());
  // Three done at 1 s each: the median is 1 s, the threshold 1.5 s.
  BOOST_TEST(ts.on_succeeded(2, at(1000)));
  BOOST_TEST((ts.median_duration() == ms(1000)));
  BOOST_TEST(ts.check_speculation(at(1500), policy).empty());  // not longer than 1.5 s yet
  BOOST_TEST(!ts.has_speculatable());
  BOOST_TEST((ts.check_speculation(at(1501), policy) == std::vector<int32_t>{3}));
  BOOST_TEST(ts.has_speculatable());
  BOOST_TEST(!ts.has_pending());
  BOOST_TEST(ts.check_speculation(at(5000), policy).empty());  // marked once
  // The copy never goes where the original runs ("b"); it goes to "a".
  BOOST_TEST(!ts.launch_next("b", 10, at(1600)).has_value());
  auto copy = ts.launch_next("a", 11, at(1600));
  BOOST_REQUIRE(copy);
  BOOST_TEST(copy->partition == 3);
  BOOST_TEST(copy->attempt == 1);
  BOOST_TEST(copy->speculative);
  BOOST_TEST(!ts.has_speculatable());
  BOOST_TEST(ts.running_count() == 2u);
  BOOST_TEST(ts.check_speculation(at(9000), policy).empty());  // two copies run: no third
  // The copy wins: the original is the one to kill, and its late success does not count.
  BOOST_TEST(ts.on_succeeded(11, at(1700)));
  BOOST_TEST((ts.other_copies(3, 11) == std::vector<task_id>{3}));
  ts.on_killed(3);
  BOOST_TEST((ts.find(3)->state == task_state::killed));
  BOOST_TEST(!ts.on_succeeded(3, at(2000)));
  BOOST_TEST(ts.all_succeeded());
  BOOST_TEST(ts.failures(3) == 0);
}

BOOST_AUTO_TEST_CASE(speculation_respects_the_minimum_runtime_and_a_custom_policy) {
  speculation_policy policy;
  policy.multiplier = 2.0;
  policy.quantile = 0.5;
  policy.min_runtime = ms(100);
  task_set ts{0, {0, 1}, 4};
  BOOST_REQUIRE(ts.launch_next("a", 0, at(0)));
  BOOST_REQUIRE(ts.launch_next("b", 1, at(0)));
  BOOST_TEST(ts.on_succeeded(0, at(10)));  // 10 ms: 2 x median = 20 ms, but the floor is 100 ms
  BOOST_TEST(ts.check_speculation(at(99), policy).empty());
  BOOST_TEST((ts.check_speculation(at(101), policy) == std::vector<int32_t>{1}));
  // A pending partition (its attempt failed) is launched normally, not as a copy.
  auto& mark = ts;
  BOOST_TEST(!mark.on_failed(1, "boom").abort);
  BOOST_TEST(!ts.has_speculatable());
  auto again = ts.launch_next("b", 2, at(200));
  BOOST_REQUIRE(again);
  BOOST_TEST(!again->speculative);
}

BOOST_AUTO_TEST_SUITE_END()
