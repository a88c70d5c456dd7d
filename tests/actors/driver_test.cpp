// The driver actor against a real master, a fake worker and a fake executor
// (fake_peers.hpp): retries, failing the job, going down when told to exit.
#include "actors/driver.hpp"
#include "actors/master.hpp"
#include "actors/protocol.hpp"
#include "runtime/plan.hpp"
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
                                           false, 0, 0, {}});
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

BOOST_AUTO_TEST_SUITE_END()
