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


/// range(0, 80) in 8 partitions -> (x % 5, x) -> reduce_by_key(+) in 2: one
/// map stage of 8 tasks, one result stage of 2.
struct one_shuffle {
  testing::inline_runner planner{1, 1};
  context ctx{planner, {}};
  dataset<std::pair<int64_t, int64_t>> ds =
    ctx.range(0, 80, 1, 8)
      .map([](int64_t x) { return std::pair<int64_t, int64_t>{x % 5, x}; })
      .reduce_by_key([](int64_t a, int64_t b) { return a + b; }, 2);

  job_request collect_job() {
    return job_request{ds.plan(), std::make_shared<ops::collect_op<std::pair<int64_t, int64_t>>>(), {}, "collect"};
  }
  /// The job's rows summed per key, checked against the sequential answer.
  static bool exact(const job_outcome& done) {
    std::map<int64_t, int64_t> got;
    for (auto& r : done.results)
      for (auto& [k, v] : decode<std::vector<std::pair<int64_t, int64_t>>>(r))
        got[k] += v;
    std::map<int64_t, int64_t> want;
    for (int64_t x = 0; x < 80; ++x)
      want[x % 5] += x;
    return got == want;
  }
};

/// Runs one launch on its executor's store and reports the outcome.
void run_one(dag_scheduler& sched, std::map<executor_id, std::unique_ptr<block_store>>& stores,
             const std::string& app, const task_launch& t) {
  executor_fetcher fetcher(app, nullptr);
  auto out = run_task(t.payload, t.executor, *stores.at(t.executor), fetcher);
  if (out.ok)
    sched.task_succeeded(t.id, out.result, out.map_sizes, out.cached);
  else
    sched.task_failed(t.id, out.error, out.fetch);
}
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

BOOST_AUTO_TEST_CASE(losing_an_executor_resubmits_exactly_the_map_tasks_whose_outputs_it_held) {
  one_shuffle plan;
  fake_clock clock;
  dag_scheduler sched(1, clock.fn());  // task.max-failures = 1: a loss counted as a failure would fail the job
  stores_fixture f;
  f.add(sched, "a", 2);
  f.add(sched, "b", 2);
  f.add(sched, "c", 2);
  sched.submit_job(plan.collect_job());
  // The map stage runs to the end: its 8 outputs are spread over a, b and c.
  std::map<int32_t, executor_id> holder;
  stage_id map_stage = -1;
  while (holder.size() < 8) {
    auto launches = sched.schedule();
    BOOST_REQUIRE(!launches.empty());
    for (auto& t : launches) {
      map_stage = t.stage;
      holder[t.partition] = t.executor;
      run_one(sched, f.stores, f.app, t);
    }
  }
  BOOST_TEST(sched.available_outputs(0) == 8u);
  // Two result tasks start; one runs on b.
  auto reducers = sched.schedule();
  BOOST_REQUIRE(reducers.size() == 2u);
  for (auto& t : reducers)
    BOOST_TEST(t.stage != map_stage);
  std::set<int32_t> on_b;
  for (auto& [p, e] : holder)
    if (e == "b")
      on_b.insert(p);
  BOOST_REQUIRE(!on_b.empty());
  BOOST_REQUIRE(on_b.size() < 8u);
  auto loss = sched.remove_executor("b");
  BOOST_TEST(loss.lost_outputs == on_b.size());
  BOOST_TEST(sched.available_outputs(0) == 8u - on_b.size());
  size_t reducers_on_b = 0;
  for (auto& t : reducers)
    reducers_on_b += t.executor == "b" ? 1 : 0;
  BOOST_TEST(loss.lost_tasks.size() == reducers_on_b);
  // The reducers elsewhere read b's outputs before it died: they finish.
  for (auto& t : reducers)
    if (t.executor != "b")
      run_one(sched, f.stores, f.app, t);
  // Now exactly b's map partitions run again, on a and c, and nothing else
  // until they are back.
  auto again = sched.schedule();
  std::set<int32_t> resubmitted;
  for (auto& t : again) {
    BOOST_TEST(t.stage == map_stage);
    BOOST_TEST(t.executor != "b");
    resubmitted.insert(t.partition);
  }
  BOOST_TEST((resubmitted == on_b));
  for (auto& t : again)
    run_one(sched, f.stores, f.app, t);
  BOOST_TEST(sched.available_outputs(0) == 8u);
  // Then the reducer that was lost with b, and the job's answer is exact.
  job_outcome done;
  for (int round = 0; round < 10 && sched.active_jobs() > 0; ++round)
    for (auto& t : sched.schedule()) {
      BOOST_TEST(t.stage != map_stage);
      run_one(sched, f.stores, f.app, t);
    }
  auto finished = sched.take_finished();
  BOOST_REQUIRE(finished.size() == 1u);
  BOOST_TEST(finished[0].ok, finished[0].error);
  BOOST_TEST(one_shuffle::exact(finished[0]));
}

BOOST_AUTO_TEST_CASE(outputs_lost_while_the_map_stage_still_runs_are_recomputed_with_its_running_tasks) {
  one_shuffle plan;
  fake_clock clock;  // tasks take no time: the queues stay at cores + 0
  dag_scheduler sched(1, clock.fn());
  stores_fixture f;
  f.add(sched, "a", 1);
  f.add(sched, "b", 1);
  sched.submit_job(plan.collect_job());
  // Round 1: partitions 0 (a) and 1 (b) succeed. Round 2: 2 (a) and 3 (b) are running.
  std::map<int32_t, executor_id> done_on;
  for (auto& t : sched.schedule()) {
    done_on[t.partition] = t.executor;
    run_one(sched, f.stores, f.app, t);
  }
  auto running = sched.schedule();
  BOOST_REQUIRE(running.size() == 2u);
  std::set<int32_t> expect;
  for (auto& [p, e] : done_on)
    if (e == "b")
      expect.insert(p);
  for (auto& t : running)
    if (t.executor == "b")
      expect.insert(t.partition);
  BOOST_REQUIRE(expect.size() == 2u);
  sched.remove_executor("b");
  for (auto& t : running)
    if (t.executor == "a")
      run_one(sched, f.stores, f.app, t);
  // Everything left runs on a; b's finished and running partitions each run
  // once more, and at once: the lowest pending partition is b's lost output.
  auto next = sched.schedule();
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(next[0].partition == *expect.begin());
  std::map<int32_t, int> launches_of{{next[0].partition, 1}};
  run_one(sched, f.stores, f.app, next[0]);
  for (int round = 0; round < 40 && sched.active_jobs() > 0; ++round)
    for (auto& t : sched.schedule()) {
      BOOST_TEST(t.executor == "a");
      if (t.stage == running.front().stage)
        ++launches_of[t.partition];
      run_one(sched, f.stores, f.app, t);
    }
  for (auto p : expect)
    BOOST_TEST(launches_of[p] == 1, "partition " << p);
  for (int32_t p = 4; p < 8; ++p)
    BOOST_TEST(launches_of[p] == 1, "partition " << p);
  BOOST_TEST(launches_of.size() == expect.size() + 4u);  // 0..3 not on b never run again
  auto finished = sched.take_finished();
  BOOST_REQUIRE(finished.size() == 1u);
  BOOST_TEST(finished[0].ok, finished[0].error);
  BOOST_TEST(one_shuffle::exact(finished[0]));
}

BOOST_AUTO_TEST_CASE(a_fetch_failure_loses_that_executors_outputs_reruns_them_and_retries_the_reducer) {
  one_shuffle plan;
  dag_scheduler sched(1);
  stores_fixture f;
  f.add(sched, "a", 4);
  f.add(sched, "b", 4);
  sched.submit_job(plan.collect_job());
  std::map<int32_t, executor_id> holder;
  stage_id map_stage = -1;
  while (holder.size() < 8)
    for (auto& t : sched.schedule()) {
      map_stage = t.stage;
      holder[t.partition] = t.executor;
      run_one(sched, f.stores, f.app, t);
    }
  std::set<int32_t> on_b;
  for (auto& [p, e] : holder)
    if (e == "b")
      on_b.insert(p);
  // b's store becomes unreachable (b stays registered: only its blocks are
  // gone): the reducers fail to fetch, as from a peer that reset the connection.
  local_stores::remove(f.app, "b");
  auto reducers = sched.schedule();
  BOOST_REQUIRE(reducers.size() == 2u);
  for (auto& t : reducers) {
    executor_fetcher fetcher(f.app, nullptr);
    auto out = run_task(t.payload, t.executor, *f.stores.at(t.executor), fetcher);
    BOOST_REQUIRE(!out.ok);
    BOOST_REQUIRE(out.fetch.has_value());
    BOOST_TEST(out.fetch->executor == "b");
    sched.task_failed(t.id, out.error, out.fetch);
  }
  BOOST_TEST(sched.available_outputs(0) == 8u - on_b.size());
  BOOST_TEST(sched.active_jobs() == 1u);  // two fetch failures of one stage attempt: 1 of 4
  // Only the map partitions that were on b run again; b is back (same store).
  local_stores::add(f.app, "b", f.stores.at("b").get());
  std::set<int32_t> rerun;
  for (int round = 0; round < 20 && sched.active_jobs() > 0; ++round)
    for (auto& t : sched.schedule()) {
      if (t.stage == map_stage)
        rerun.insert(t.partition);
      else
        BOOST_TEST(t.attempt == 1);  // the reducers' second attempt, not counted as a task failure
      run_one(sched, f.stores, f.app, t);
    }
  BOOST_TEST((rerun == on_b));
  auto finished = sched.take_finished();
  BOOST_REQUIRE(finished.size() == 1u);
  BOOST_TEST(finished[0].ok, finished[0].error);
  BOOST_TEST(one_shuffle::exact(finished[0]));
}

BOOST_AUTO_TEST_CASE(fetch_failures_in_stage_max_attempts_attempts_fail_the_job_naming_stage_and_executor) {
  one_shuffle plan;
  scheduler_options opts;
  opts.stage_max_attempts = 3;
  dag_scheduler sched(4, &std::chrono::steady_clock::now, opts);
  stores_fixture f;
  f.add(sched, "a", 4);
  sched.add_executor("ghost", 0);  // registered (not known lost), serves nothing
  sched.submit_job(plan.collect_job());
  int result_attempts = 0;
  for (int round = 0; round < 50 && sched.active_jobs() > 0; ++round) {
    auto launches = sched.schedule();
    bool reducers = false;
    for (auto& t : launches) {
      if (t.stage != 0) {  // the map stage (the result stage is created first: stage 0)
        run_one(sched, f.stores, f.app, t);
        continue;
      }
      // A result task: every attempt of the reducers fails to fetch from
      // executor "ghost" (both reducers of one attempt: counted once).
      reducers = true;
      sched.task_failed(t.id, "connection reset by peer", fetch_failure_info{0, 3, "ghost"});
    }
    if (reducers)
      ++result_attempts;
  }
  auto finished = sched.take_finished();
  BOOST_REQUIRE(finished.size() == 1u);
  BOOST_TEST(!finished[0].ok);
  auto& e = finished[0].error;
  BOOST_TEST(e.find("stage 0 (result) failed 3 attempts") != std::string::npos, e);
  BOOST_TEST(e.find("stage.max-attempts=3") != std::string::npos, e);
  BOOST_TEST(e.find("from executor ghost") != std::string::npos, e);
  BOOST_TEST(e.find("connection reset by peer") != std::string::npos, e);
  BOOST_TEST(result_attempts == 3);
  BOOST_TEST(sched.running_tasks() == 0u);
}

BOOST_AUTO_TEST_CASE(fetch_failures_from_an_executor_already_lost_do_not_use_up_stage_attempts) {
  one_shuffle plan;
  scheduler_options opts;
  opts.stage_max_attempts = 2;
  dag_scheduler sched(4, &std::chrono::steady_clock::now, opts);
  stores_fixture f;
  f.add(sched, "a", 4);
  sched.add_executor("gone", 1);
  sched.remove_executor("gone");  // its DOWN came first; reducers find out later
  sched.submit_job(plan.collect_job());
  int result_attempts = 0;
  for (int round = 0; round < 12 && sched.active_jobs() > 0; ++round) {
    bool reducers = false;
    for (auto& t : sched.schedule()) {
      if (t.stage != 0) {
        run_one(sched, f.stores, f.app, t);
        continue;
      }
      reducers = true;
      sched.task_failed(t.id, "cannot connect", fetch_failure_info{0, 1, "gone"});
    }
    if (reducers)
      ++result_attempts;
  }
  // Far more rounds than stage.max-attempts, and the job still runs: the loss was counted once, as a loss.
  BOOST_TEST(result_attempts > 2 * opts.stage_max_attempts);
  BOOST_TEST(sched.active_jobs() == 1u);
  BOOST_TEST(sched.take_finished().empty());
}

BOOST_AUTO_TEST_CASE(a_slow_result_task_gets_a_copy_elsewhere_and_the_first_to_finish_wins_once) {
  testing::inline_runner planner{1, 1};
  context ctx{planner, {}};
  auto ds = ctx.range(0, 8, 1, 4);
  fake_clock clock;
  scheduler_options opts;
  opts.speculation = true;
  dag_scheduler sched(4, clock.fn(), opts);
  stores_fixture f;
  f.add(sched, "a", 2);
  f.add(sched, "b", 2);
  sched.submit_job({ds.plan(), std::make_shared<ops::count_op<int64_t>>(), {}, "count"});
  auto first = sched.schedule();
  BOOST_REQUIRE(first.size() == 4u);
  clock.advance(std::chrono::milliseconds(200));
  for (size_t i = 0; i < 3; ++i)
    sched.task_succeeded(first[i].id, encode(int64_t{2}), {});
  auto slow = first[3];
  // Median 200 ms: the straggler is slow after 300 ms, not before.
  clock.advance(std::chrono::milliseconds(100));
  BOOST_TEST(sched.check_speculation().empty());
  BOOST_TEST(sched.schedule().empty());
  clock.advance(std::chrono::milliseconds(1));
  auto marked = sched.check_speculation();
  BOOST_REQUIRE(marked.size() == 1u);
  BOOST_TEST(marked[0].second == slow.partition);
  auto copies = sched.schedule();
  BOOST_REQUIRE(copies.size() == 1u);
  BOOST_TEST(copies[0].partition == slow.partition);
  BOOST_TEST(copies[0].executor != slow.executor);
  BOOST_TEST(copies[0].attempt == 1);
  BOOST_TEST(sched.running_tasks() == 2u);
  // The copy finishes first: the job ends with it, the original is killed.
  clock.advance(std::chrono::milliseconds(50));
  sched.task_succeeded(copies[0].id, encode(int64_t{2}), {});
  auto kills = sched.take_kills();
  BOOST_REQUIRE(kills.size() == 1u);
  BOOST_TEST(kills[0].first == slow.executor);
  BOOST_TEST(kills[0].second == slow.id);
  auto done = sched.take_finished();
  BOOST_REQUIRE(done.size() == 1u);
  BOOST_TEST(done[0].ok);
  int64_t total = 0;
  for (auto& r : done[0].results)
    total += decode<int64_t>(r);
  BOOST_TEST(total == 8);
  // The original's late answer changes nothing.
  sched.task_succeeded(slow.id, encode(int64_t{2}), {});
  BOOST_TEST(sched.take_finished().empty());
  BOOST_TEST(sched.running_tasks() == 0u);
}

BOOST_AUTO_TEST_CASE(a_slow_map_task_is_copied_and_its_output_registered_once) {
  one_shuffle plan;
  fake_clock clock;
  scheduler_options opts;
  opts.speculation = true;
  opts.speculation_rules.quantile = 0.5;
  dag_scheduler sched(4, clock.fn(), opts);
  stores_fixture f;
  f.add(sched, "a", 4);
  f.add(sched, "b", 4);
  sched.submit_job(plan.collect_job());
  auto maps = sched.schedule();
  BOOST_REQUIRE(maps.size() == 8u);
  clock.advance(std::chrono::milliseconds(100));
  auto slow = maps.back();
  for (auto& t : maps)
    if (t.id != slow.id)
      run_one(sched, f.stores, f.app, t);
  BOOST_TEST(sched.available_outputs(0) == 7u);
  clock.advance(std::chrono::milliseconds(200));
  BOOST_REQUIRE(sched.check_speculation().size() == 1u);
  auto copies = sched.schedule();
  BOOST_REQUIRE(copies.size() == 1u);
  BOOST_TEST(copies[0].partition == slow.partition);
  BOOST_TEST(copies[0].executor != slow.executor);
  // The original wins this time: the copy is the one killed.
  run_one(sched, f.stores, f.app, slow);
  auto kills = sched.take_kills();
  BOOST_REQUIRE(kills.size() == 1u);
  BOOST_TEST(kills[0].second == copies[0].id);
  BOOST_TEST(sched.available_outputs(0) == 8u);
  run_one(sched, f.stores, f.app, copies[0]);  // its late answer is ignored
  BOOST_TEST(sched.available_outputs(0) == 8u);
  for (int round = 0; round < 10 && sched.active_jobs() > 0; ++round)
    for (auto& t : sched.schedule())
      run_one(sched, f.stores, f.app, t);
  auto finished = sched.take_finished();
  BOOST_REQUIRE(finished.size() == 1u);
  BOOST_TEST(finished[0].ok, finished[0].error);
  BOOST_TEST(one_shuffle::exact(finished[0]));
}

BOOST_AUTO_TEST_CASE(speculation_is_off_by_default) {
  testing::inline_runner planner{1, 1};
  context ctx{planner, {}};
  auto ds = ctx.range(0, 8, 1, 4);
  fake_clock clock;
  dag_scheduler sched(4, clock.fn());
  sched.add_executor("a", 4);
  sched.add_executor("b", 4);
  sched.submit_job({ds.plan(), std::make_shared<ops::count_op<int64_t>>(), {}, "count"});
  auto first = sched.schedule();
  BOOST_REQUIRE(first.size() == 4u);
  clock.advance(std::chrono::milliseconds(10));
  for (size_t i = 0; i < 3; ++i)
    sched.task_succeeded(first[i].id, encode(int64_t{2}), {});
  clock.advance(std::chrono::hours(1));
  BOOST_TEST(sched.check_speculation().empty());
  BOOST_TEST(sched.schedule().empty());
}

BOOST_AUTO_TEST_SUITE_END()
