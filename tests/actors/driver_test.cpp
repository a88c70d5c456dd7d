// The driver actor against a real master, a fake worker and a fake executor
// (fake_peers.hpp): retries, failing the job, going down when told to exit.
#include "actors/driver.hpp"
#include "actors/master.hpp"
#include "actors/protocol.hpp"
#include "runtime/block_store.hpp"
#include "runtime/plan.hpp"
#include "runtime/task_runner.hpp"
#include "tests/actors/fake_peers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/text.hpp"

#include <caf/all.hpp>

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace troupe::testing;

BOOST_AUTO_TEST_SUITE(local_cluster)

namespace {

/// A driver for fault_demo MODE with the given task attempts, its master
/// real, registered in `fx`.
troupe::driver_options fault_demo_driver(actor_fixture& fx, const caf::actor& master, const std::string& mode,
                                         int32_t max_failures) {
  troupe::driver_options d;
  d.desc.name = "fault_demo";
  d.desc.args = {mode};
  d.desc.executor_memory_mb = 1024;
  d.desc.driver_host = "127.0.0.1";
  d.master = master;
  d.max_failures = max_failures;
  d.extra_tasks = 0;  // one task at a time on a 1-core executor
  d.outcome = std::make_shared<troupe::driver_outcome>();
  return d;
}

} // namespace

BOOST_AUTO_TEST_CASE(driver_retries_a_failing_task_then_fails_the_job) {
  actor_fixture fx;
  auto master = fx.master();
  caf::scoped_actor worker{fx.sys};
  caf::scoped_actor executor{fx.sys};
  caf::scoped_actor watcher{fx.sys};
  register_as_worker(worker, master, "worker-fake", 1, 4096);
  auto d = fault_demo_driver(fx, master, "none", 2);
  auto driver = fx.keep(troupe::spawn_driver(fx.sys, d));
  watcher->monitor(driver);

  auto launch = expect<troupe::launch_executor>(worker, "launch_executor for the driver's app");
  BOOST_TEST(launch.desc.name == "fault_demo");
  BOOST_REQUIRE(launch.desc.driver_port != 0);
  connect_as_executor(fx, executor, launch.desc.driver_host, launch.desc.driver_port, launch.exec, 1);

  // Every task fails. Tasks arrive one at a time; the driver retries each
  // failed partition until one has failed twice, then ends the app.
  std::map<int32_t, std::vector<int32_t>> attempts;  // partition -> attempts seen
  bool stopped = false;
  for (int i = 0; i < 20 && !stopped; ++i) {
    bool got = false;
    executor->receive(
      [&](troupe::launch_task& t) {
        got = true;
        auto spec = troupe::decode_task(t.payload);
        attempts[spec.partition].push_back(spec.attempt);
        executor->send(caf::actor_cast<caf::actor>(executor->current_sender()),
                       troupe::task_failed{t.task, launch.exec, "boom in partition " + std::to_string(spec.partition),
                                           false, 0, 0, {}, {}});
      },
      [&](const troupe::stop_executor& s) {
        got = true;
        stopped = true;
        BOOST_TEST(s.reason == "application finished");
      },
      caf::after(wait_limit) >> [] {});
    BOOST_REQUIRE_MESSAGE(got, "neither launch_task nor stop_executor within 5 s");
  }
  BOOST_TEST(stopped);
  bool some_failed_twice = false;
  for (auto& [p, seen] : attempts) {
    BOOST_TEST_CONTEXT("partition " << p) {
      BOOST_TEST(seen.size() <= 2u);
      for (size_t k = 0; k < seen.size(); ++k)
        BOOST_TEST(seen[k] == static_cast<int32_t>(k));
      some_failed_twice = some_failed_twice || seen.size() == 2;
    }
  }
  BOOST_TEST(some_failed_twice);

  expect<caf::down_msg>(watcher, "the driver's down_msg");
  {
    std::lock_guard<std::mutex> guard{d.outcome->mtx};
    BOOST_TEST(d.outcome->exit_code == 1);
    BOOST_TEST(contains(d.outcome->error, "boom in partition"), d.outcome->error);
    BOOST_TEST(contains(d.outcome->error, "failed 2 times"), d.outcome->error);
  }
  // The driver unregistered: the master kills its executor on the worker.
  auto kill = expect<troupe::kill_executor>(worker, "kill_executor after the app ended");
  BOOST_TEST(kill.exec == launch.exec);
}

BOOST_AUTO_TEST_CASE(a_driver_told_to_exit_mid_job_goes_down) {
  // A driver whose task is out on an executor is told to exit, as a worker
  // does on kill_driver for a driver in its process. It must go down
  // promptly. Run in a child process: a driver that hangs in its exit would
  // also hang the actor system's shutdown, and with it this test binary.
  auto status = run_in_child(
    [] {
      actor_fixture fx;
      auto master = fx.master();
      caf::scoped_actor worker{fx.sys};
      caf::scoped_actor executor{fx.sys};
      caf::scoped_actor watcher{fx.sys};
      register_as_worker(worker, master, "worker-fake", 1, 4096);
      auto d = fault_demo_driver(fx, master, "none", 4);
      auto driver = troupe::spawn_driver(fx.sys, d);
      watcher->monitor(driver);
      auto launch = expect<troupe::launch_executor>(worker, "launch_executor");
      connect_as_executor(fx, executor, launch.desc.driver_host, launch.desc.driver_port, launch.exec, 1);
      // A task arrives: the application thread now waits for its job.
      expect<troupe::launch_task>(executor, "launch_task");
      caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
      bool down = try_receive<caf::down_msg>(watcher, wait_limit).has_value();
      std::fflush(nullptr);
      ::_exit(down ? 0 : 1);  // before the actor system's destructor, which would wait for the driver
      return 2;
    },
    std::chrono::seconds(20));
  BOOST_TEST(status.has_value(), "the child hung (killed after 20 s): the driver's exit blocked");
  if (status)
    BOOST_TEST(*status == 0, "child status " << *status
                                             << " (1: no down_msg within 5 s of the exit message; 98: a check failed)");
}

BOOST_AUTO_TEST_CASE(a_silent_executor_is_lost_told_to_stop_and_never_trusted_again) {
  actor_fixture fx;
  auto master = fx.master();
  caf::scoped_actor worker_a{fx.sys};
  caf::scoped_actor worker_b{fx.sys};
  caf::scoped_actor frozen{fx.sys};  // executor A: takes a task, then goes silent (as if SIGSTOPped)
  caf::scoped_actor healthy{fx.sys}; // executor B: heartbeats and runs every task it gets
  caf::scoped_actor watcher{fx.sys};
  register_as_worker(worker_a, master, "worker-a", 1, 4096);
  register_as_worker(worker_b, master, "worker-b", 1, 4096);
  auto d = fault_demo_driver(fx, master, "none", 1);  // task.max-failures = 1: a loss counted as failure fails the job
  d.executor_timeout_ms = 400;                        // executor.heartbeat-timeout
  auto driver = fx.keep(troupe::spawn_driver(fx.sys, d));
  watcher->monitor(driver);
  auto launch_a = expect<troupe::launch_executor>(worker_a, "launch_executor on worker-a");
  auto launch_b = expect<troupe::launch_executor>(worker_b, "launch_executor on worker-b");
  auto to_driver = connect_as_executor(fx, frozen, launch_a.desc.driver_host, launch_a.desc.driver_port, launch_a.exec, 1);
  connect_as_executor(fx, healthy, launch_b.desc.driver_host, launch_b.desc.driver_port, launch_b.exec, 1);
  auto held = expect<troupe::launch_task>(frozen, "a task for executor A");

  // B runs its tasks for real (fault_demo none: one stage, 4 partitions).
  troupe::block_store store(64 << 20, "/tmp/troupe-driver-test-" + std::to_string(::getpid()));
  troupe::executor_fetcher fetcher("driver-test", nullptr);
  auto answer = [&](const troupe::launch_task& t) {
    auto out = troupe::run_task(t.payload, launch_b.exec, store, fetcher);
    BOOST_REQUIRE_MESSAGE(out.ok, out.error);
    healthy->send(to_driver, troupe::task_finished{t.task, launch_b.exec, out.result, out.map_sizes, {}, {}, out.counters});
  };
  // Until A is dropped: B heartbeats every 100 ms and answers; A says
  // nothing. Dropped, A's partition goes to B (not counted as a failure:
  // max-failures is 1 and the job goes on).
  std::optional<troupe::launch_task> relaunched;
  auto held_partition = troupe::decode_task(held.payload).partition;
  auto start = std::chrono::steady_clock::now();
  while (!relaunched && std::chrono::steady_clock::now() - start < 10s) {
    healthy->send(to_driver, troupe::executor_heartbeat{launch_b.exec});
    if (auto t = try_receive<troupe::launch_task>(healthy, 100ms)) {
      if (troupe::decode_task(t->payload).partition == held_partition)
        relaunched = *t;  // held back: the job must still run when A wakes up
      else
        answer(*t);
    }
  }
  BOOST_REQUIRE_MESSAGE(relaunched.has_value(), "executor A's task was not given to B within 10 s of A going silent");
  auto lost_after = std::chrono::steady_clock::now() - start;
  BOOST_TEST((lost_after < 2s), "lost after " << std::chrono::duration_cast<std::chrono::milliseconds>(lost_after).count() << " ms");

  // Tasks A was given before it went silent (its queue) are old news.
  drain<troupe::launch_task>(frozen);
  // A wakes up: its result for the dead attempt, a heartbeat and a
  // re-registration are each ignored and answered with stop_executor.
  frozen->send(to_driver, troupe::task_finished{held.task, launch_a.exec, "bogus", {}, {}, {}, {}});
  frozen->send(to_driver, troupe::executor_heartbeat{launch_a.exec});
  frozen->send(to_driver, troupe::register_executor{launch_a.exec, "127.0.0.1", 0, 1, caf::actor{frozen}});
  for (int i = 0; i < 3; ++i) {
    healthy->send(to_driver, troupe::executor_heartbeat{launch_b.exec});
    auto again = try_receive<troupe::stop_executor>(frozen, 2s);
    BOOST_REQUIRE_MESSAGE(again.has_value(), "stop_executor #" << i + 1 << " for the woken executor");
    BOOST_TEST(contains(again->reason, "lost"), again->reason);
  }
  BOOST_TEST(!try_receive<troupe::launch_task>(frozen, 300ms).has_value(), "a lost executor got a task");
  // B finishes the job: the application succeeds with the bogus result ignored
  // (a counted "bogus" would fail to decode and fail the job).
  answer(*relaunched);
  bool finished = false;
  for (int i = 0; i < 50 && !finished; ++i) {
    healthy->send(to_driver, troupe::executor_heartbeat{launch_b.exec});
    healthy->receive([&](troupe::launch_task& t) { answer(t); },
                     [&](const troupe::stop_executor& s) { finished = s.reason == "application finished"; },
                     [&](const troupe::executor_peers&) {}, caf::after(100ms) >> [] {});
  }
  BOOST_TEST(finished);
  expect<caf::down_msg>(watcher, "the driver's down_msg");
  std::lock_guard<std::mutex> guard{d.outcome->mtx};
  BOOST_TEST(d.outcome->exit_code == 0, d.outcome->error);
}

BOOST_AUTO_TEST_SUITE_END()
