// The driver's scheduling policy, driven directly: stages, slots, failures,
// lost executors. Tasks are "run" by run_task on a fake executor's store.
#include "tests/support/inline_runner.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <map>
#include <set>

using namespace troupe;

namespace {

/// A job over a two-shuffle chain: range -> reduce_by_key -> map -> reduce_by_key.
struct two_shuffles {
  testing::inline_runner planner{1, 1};  // only builds plans; jobs go to `sched`
  context ctx{planner, {}};
  dataset<std::pair<int64_t, int64_t>> ds =
    ctx.range(0, 100, 1, 4)
      .map([](int64_t x) { return std::pair<int64_t, int64_t>{x % 10, 1}; })
      .reduce_by_key([](int64_t a, int64_t b) { return a + b; }, 3)
      .map([](std::pair<int64_t, int64_t> kv) { return std::pair<int64_t, int64_t>{kv.first % 2, kv.second}; })
      .reduce_by_key([](int64_t a, int64_t b) { return a + b; }, 2);

  job_request count_job() {
    return job_request{ds.plan(), std::make_shared<ops::count_op<std::pair<int64_t, int64_t>>>(), {}, "count"};
  }
};

/// Runs launched tasks on the given stores until the job ends; returns stage ids per launch.
std::vector<stage_id> drive(dag_scheduler& sched, std::map<executor_id, std::unique_ptr<block_store>>& stores,
                            const std::string& app, job_outcome& done) {
  std::vector<stage_id> stages;
  executor_fetcher fetcher(app, nullptr);
  for (int round = 0; round < 1000; ++round) {
    for (auto& f : sched.take_finished()) {
      done = f;
      return stages;
    }
    auto launches = sched.schedule();
    BOOST_REQUIRE(!launches.empty());
    for (auto& t : launches) {
      stages.push_back(t.stage);
      auto out = run_task(t.payload, t.executor, *stores.at(t.executor), fetcher);
      if (out.ok)
        sched.task_succeeded(t.id, out.result, out.map_sizes, out.cached);
      else
        sched.task_failed(t.id, out.error, out.fetch);
    }
  }
  BOOST_FAIL("job did not end");
  return stages;
}

/// A clock that moves only when told to: a task takes as long as the test says.
struct fake_clock {
  std::chrono::steady_clock::time_point t{};
  scheduler_clock fn() {
    return [this] { return t; };
  }
  void advance(std::chrono::microseconds d) { t += d; }
};

struct stores_fixture {
  std::string app = "dag-test-" + std::to_string(::getpid());
  std::map<executor_id, std::unique_ptr<block_store>> stores;
  void add(dag_scheduler& sched, const executor_id& id, int32_t cores, int32_t extra = 0) {
    stores[id] = std::make_unique<block_store>(64 << 20, "/tmp/" + app + "-" + id);
    local_stores::add(app, id, stores[id].get());
    sched.add_executor(id, cores, extra);
  }
  ~stores_fixture() {
    for (auto& [id, s] : stores)
      local_stores::remove(app, id);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(dag_scheduler_policy)

BOOST_AUTO_TEST_CASE(stages_are_cut_at_shuffles_and_run_in_order) {
  two_shuffles plan;
  dag_scheduler sched(4);
  stores_fixture f;
  f.add(sched, "0", 2);
  sched.submit_job(plan.count_job());
  job_outcome done;
  auto stages = drive(sched, f.stores, f.app, done);
  BOOST_TEST(done.ok, done.error);
  // 4 map tasks, then 3 tasks of the middle stage, then 2 result tasks.
  BOOST_TEST(stages.size() == 4u + 3u + 2u);
  std::map<stage_id, int> per_stage;
  for (auto s : stages)
    ++per_stage[s];
  BOOST_TEST(per_stage.size() == 3u);
  std::vector<int> counts;
  for (size_t i = 0; i < stages.size(); ++i)
    if (i == 0 || stages[i] != stages[i - 1])
      counts.push_back(per_stage[stages[i]]);
  BOOST_TEST((counts == std::vector<int>{4, 3, 2}));  // parents strictly before children
  int64_t rows = 0;
  for (auto& r : done.results)
    rows += decode<int64_t>(r);
  BOOST_TEST(rows == 2);
}

BOOST_AUTO_TEST_CASE(tasks_spread_over_executors_and_respect_slots) {
  testing::inline_runner planner{1, 1};
  context ctx{planner, {}};
  auto ds = ctx.range(0, 40, 1, 20);
  fake_clock clock;
  dag_scheduler sched(4, clock.fn());
  stores_fixture f;
  f.add(sched, "a", 2, 1);
  f.add(sched, "b", 1, 0);
  sched.submit_job({ds.plan(), std::make_shared<ops::count_op<int64_t>>(), {}, "count"});
  auto launches = sched.schedule();
  std::map<executor_id, int> per_exec;
  for (auto& t : launches)
    ++per_exec[t.executor];
  BOOST_TEST(per_exec["a"] == 3);  // 2 cores + 1 queued
  BOOST_TEST(per_exec["b"] == 1);
  BOOST_TEST(sched.schedule().empty());  // every slot taken
  clock.advance(std::chrono::microseconds(50));
  sched.task_succeeded(launches.front().id, encode(int64_t{2}), {});
  BOOST_TEST(sched.average_task_us() == 50.0);
  // That task took 50 us, so the queues deepen; the schedule fills every
  // executor exactly up to its slots, no further.
  auto more = sched.schedule();
  for (auto& t : more)
    ++per_exec[t.executor];
  --per_exec[launches.front().executor];
  BOOST_TEST(per_exec["a"] == sched.slots("a"));
  BOOST_TEST(per_exec["b"] == sched.slots("b"));
  BOOST_TEST(sched.slots("a") > 3);
  BOOST_TEST(sched.schedule().empty());
  BOOST_TEST(sched.total_cores() == 3);
}

BOOST_AUTO_TEST_CASE(short_tasks_deepen_the_queue) {
  testing::inline_runner planner{1, 1};
  context ctx{planner, {}};
  auto ds = ctx.range(0, 1000, 1, 1000);
  fake_clock clock;
  dag_scheduler sched(4, clock.fn());
  stores_fixture f;
  f.add(sched, "0", 2, 1);
  BOOST_TEST(sched.slots("0") == 3);  // nothing measured yet: cores + configured queue
  sched.submit_job({ds.plan(), std::make_shared<ops::count_op<int64_t>>(), {}, "count"});
  auto first = sched.schedule();
  BOOST_TEST(first.size() == 3u);
  clock.advance(std::chrono::microseconds(100));
  for (auto& t : first)
    sched.task_succeeded(t.id, encode(int64_t{1}), {});  // each took 100 us
  BOOST_TEST(std::abs(sched.average_task_us() - 100.0) < 1e-9, sched.average_task_us());
  BOOST_TEST(sched.slots("0") == 2 + 8);  // 4 queued per core
  auto second = sched.schedule();
  BOOST_TEST(second.size() == 10u);
  BOOST_TEST(sched.slots("nobody") == 0);

  // Tasks of 5 ms: the average climbs past 1 ms and the queue is back to
  // what was configured.
  clock.advance(std::chrono::milliseconds(5));
  for (auto& t : second)
    sched.task_succeeded(t.id, encode(int64_t{1}), {});
  BOOST_TEST(sched.average_task_us() > 1000.0, sched.average_task_us());
  BOOST_TEST(sched.slots("0") == 3);

  // Long tasks from the start never deepen it.
  fake_clock slow_clock;
  dag_scheduler slow(4, slow_clock.fn());
  slow.add_executor("0", 2, 1);  // no tasks run here: no store needed
  slow.submit_job({ds.plan(), std::make_shared<ops::count_op<int64_t>>(), {}, "count"});
  auto launched = slow.schedule();
  BOOST_TEST(launched.size() == 3u);
  slow_clock.advance(std::chrono::milliseconds(2));
  for (auto& t : launched)
    slow.task_succeeded(t.id, encode(int64_t{1}), {});
  BOOST_TEST(std::abs(slow.average_task_us() - 2000.0) < 1e-9, slow.average_task_us());
  BOOST_TEST(slow.slots("0") == 3);
}

BOOST_AUTO_TEST_CASE(a_lost_executor_gives_its_tasks_to_another) {
  testing::inline_runner planner{1, 1};
  context ctx{planner, {}};
  auto ds = ctx.range(0, 8, 1, 4);
  dag_scheduler sched(2);
  stores_fixture f;
  f.add(sched, "0", 2);
  f.add(sched, "1", 2);
  sched.submit_job({ds.plan(), std::make_shared<ops::count_op<int64_t>>(), {}, "count"});
  auto first = sched.schedule();
  BOOST_TEST(first.size() == 4u);
  std::set<int32_t> lost_partitions;
  for (auto& t : first)
    if (t.executor == "1")
      lost_partitions.insert(t.partition);
  BOOST_TEST(lost_partitions.size() == 2u);
  sched.remove_executor("1");
  BOOST_TEST(sched.total_cores() == 2);
  for (auto& t : first)
    if (t.executor == "0")
      sched.task_succeeded(t.id, encode(int64_t{2}), {});
  auto again = sched.schedule();
  BOOST_TEST(again.size() == 2u);
  std::set<int32_t> relaunched;
  for (auto& t : again) {
    BOOST_TEST(t.executor == "0");
    relaunched.insert(t.partition);
    sched.task_succeeded(t.id, encode(int64_t{2}), {});
  }
  BOOST_TEST((relaunched == lost_partitions));
  auto done = sched.take_finished();
  BOOST_TEST_REQUIRE(done.size() == 1u);
  BOOST_TEST(done[0].ok);
  // Losing an executor is not a task failure: no attempt was counted.
  BOOST_TEST(sched.running_tasks() == 0u);
}

BOOST_AUTO_TEST_CASE(repeated_failures_fail_the_job_and_kill_the_rest) {
  testing::inline_runner planner{1, 1};
  context ctx{planner, {}};
  auto ds = ctx.range(0, 8, 1, 4);
  dag_scheduler sched(2);
  stores_fixture f;
  f.add(sched, "0", 4);
  sched.submit_job({ds.plan(), std::make_shared<ops::count_op<int64_t>>(), {}, "count"});
  auto first = sched.schedule();
  BOOST_TEST_REQUIRE(first.size() == 4u);
  auto bad = first.front();
  sched.task_failed(bad.id, "boom");
  auto retry = sched.schedule();
  BOOST_TEST_REQUIRE(retry.size() == 1u);
  BOOST_TEST(retry.front().partition == bad.partition);
  BOOST_TEST(retry.front().attempt == 1);
  sched.task_failed(retry.front().id, "boom again");
  auto done = sched.take_finished();
  BOOST_TEST_REQUIRE(done.size() == 1u);
  BOOST_TEST(!done[0].ok);
  BOOST_TEST(done[0].error.find("boom again") != std::string::npos, done[0].error);
  BOOST_TEST(sched.take_kills().size() == 3u);  // the other partitions' tasks
  BOOST_TEST(sched.running_tasks() == 0u);
  BOOST_TEST(sched.active_jobs() == 0u);
}

BOOST_AUTO_TEST_CASE(an_empty_partition_list_finishes_at_once) {
  testing::inline_runner planner{1, 1};
  context ctx{planner, {}};
  auto ds = ctx.range(0, 8, 1, 4);
  dag_scheduler sched(2);
  job_request req{ds.plan(), std::make_shared<ops::count_op<int64_t>>(), {}, "count"};
  req.node->partitions = 0;
  sched.submit_job(req);
  auto done = sched.take_finished();
  BOOST_TEST_REQUIRE(done.size() == 1u);
  BOOST_TEST(done[0].ok);
  BOOST_TEST(done[0].results.empty());
  req.node->partitions = 4;
}

BOOST_AUTO_TEST_SUITE_END()
