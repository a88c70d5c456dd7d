// The real stack in one process: master, worker, executors (as threads) and
// a driver running fault_demo, twice on the same master and worker.
#include "actors/driver.hpp"
#include "actors/master.hpp"
#include "actors/protocol.hpp"
#include "actors/worker.hpp"
#include "tests/actors/fake_peers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/text.hpp"

#include <caf/all.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace troupe::testing;

BOOST_AUTO_TEST_SUITE(local_cluster)

BOOST_AUTO_TEST_CASE(local_stack_runs_fault_demo) {
  actor_fixture fx;
  temp_dir work("troupe-local-stack");
  auto master = fx.master(5000);
  troupe::worker_options wo;
  wo.id = "worker-local-test";
  wo.cores = 2;
  wo.memory_mb = 2048;
  wo.work_dir = work.path().string();
  wo.heartbeat_interval_ms = 200;
  wo.executor_isolation = troupe::isolation::thread;
  wo.master = master;
  fx.keep(troupe::spawn_worker(fx.sys, wo));

  auto run = [&](const std::vector<std::string>& args) {
    troupe::driver_options d;
    d.desc.name = "fault_demo";
    d.desc.args = args;
    d.desc.executor_memory_mb = 1024;
    d.desc.driver_host = "127.0.0.1";
    d.master = master;
    d.max_failures = 4;
    d.outcome = std::make_shared<troupe::driver_outcome>();
    auto driver = fx.keep(troupe::spawn_driver(fx.sys, d));
    caf::scoped_actor waiter{fx.sys};
    waiter->monitor(driver);
    bool down = false;
    waiter->receive([&](const caf::down_msg&) { down = true; }, caf::after(30s) >> [] {});
    BOOST_REQUIRE_MESSAGE(down, "the fault_demo " << args.at(0) << " driver did not finish within 30 s");
    return d.outcome;
  };

  auto ok = run({"none"});
  {
    std::lock_guard<std::mutex> guard{ok->mtx};
    BOOST_TEST(ok->exit_code == 0);
    BOOST_TEST(ok->error.empty(), ok->error);
    BOOST_TEST(ok->app.rfind("app-", 0) == 0, ok->app);
  }

  // The same master and worker take a second application after the first.
  auto bad = run({"always"});
  {
    std::lock_guard<std::mutex> guard{bad->mtx};
    BOOST_TEST(bad->exit_code == 1);
    BOOST_TEST(contains(bad->error, "record 13 is unlucky"), bad->error);
    BOOST_TEST(contains(bad->error, "failed 4 times"), bad->error);
    BOOST_TEST(bad->app != ok->app);
  }
}

BOOST_AUTO_TEST_SUITE_END()
