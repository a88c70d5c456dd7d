// The worker actor against a fake master and a fake driver (fake_peers.hpp).
#include "actors/protocol.hpp"
#include "actors/worker.hpp"
#include "tests/actors/fake_peers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/text.hpp"

#include <caf/all.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

using namespace std::chrono_literals;
using namespace troupe::testing;

BOOST_AUTO_TEST_SUITE(local_cluster)

BOOST_AUTO_TEST_CASE(worker_registers_heartbeats_launches_and_kills_executors) {
  actor_fixture fx;
  temp_dir work("troupe-worker-test");
  caf::scoped_actor master{fx.sys};
  caf::scoped_actor driver{fx.sys};
  troupe::worker_options wo;
  wo.id = "worker-test";
  wo.cores = 3;
  wo.memory_mb = 3000;
  wo.work_dir = work.path().string();
  wo.heartbeat_interval_ms = 50;
  wo.executor_isolation = troupe::isolation::thread;  // a child process would run this test binary
  wo.master = caf::actor{master};
  auto worker = fx.keep(troupe::spawn_worker(fx.sys, wo));

  std::optional<troupe::register_worker> reg;
  master->receive(
    [&](troupe::register_worker& r) -> troupe::registered_worker {
      reg = r;
      return {"troupe://fake:7077"};
    },
    caf::after(wait_limit) >> [] {});
  BOOST_REQUIRE_MESSAGE(reg.has_value(), "no register_worker from the worker");
  BOOST_TEST(reg->id == "worker-test");
  BOOST_TEST(reg->cores == 3);
  BOOST_TEST(reg->memory_mb == 3000);
  BOOST_TEST((reg->worker == worker));
  auto hb = expect<troupe::worker_heartbeat>(master, "worker_heartbeat");
  BOOST_TEST(hb.id == "worker-test");

  troupe::app_description desc = app_desc(256, 0);
  desc.driver_port = publish(fx, driver);
  master->send(worker, troupe::launch_executor{"app-w", "7", 2, 256, caf::actor{driver}, desc});
  auto running = expect<troupe::executor_state_changed>(master, "executor_state_changed running");
  BOOST_TEST(running.app == "app-w");
  BOOST_TEST(running.exec == "7");
  BOOST_TEST(state_name(running.state) == "running");
  auto r = expect<troupe::register_executor>(driver, "register_executor from the launched executor");
  BOOST_TEST(r.exec == "7");
  BOOST_TEST(r.cores == 2);
  BOOST_TEST(std::filesystem::is_directory(work.path() / "app-w" / "7"));

  driver->monitor(r.executor);
  master->send(worker, troupe::kill_executor{"app-w", "7"});
  auto killed = expect<troupe::executor_state_changed>(master, "executor_state_changed killed");
  BOOST_TEST(killed.exec == "7");
  BOOST_TEST(state_name(killed.state) == "killed");
  auto down = expect<caf::down_msg>(driver, "the killed executor's down_msg");
  BOOST_TEST((down.source == r.executor.address()));
}

BOOST_AUTO_TEST_CASE(worker_reports_an_executor_it_cannot_launch) {
  actor_fixture fx;
  temp_dir work("troupe-worker-test");
  // A file where the work directory should be: no folder can be made in it.
  auto blocker = work.write("not-a-dir", "x");
  caf::scoped_actor master{fx.sys};
  caf::scoped_actor driver{fx.sys};
  troupe::worker_options wo;
  wo.id = "worker-test";
  wo.cores = 2;
  wo.memory_mb = 2048;
  wo.work_dir = blocker;
  wo.heartbeat_interval_ms = 1000;
  wo.executor_isolation = troupe::isolation::thread;
  wo.master = caf::actor{master};
  auto worker = fx.keep(troupe::spawn_worker(fx.sys, wo));
  bool registered = false;
  master->receive(
    [&](troupe::register_worker&) -> troupe::registered_worker {
      registered = true;
      return {"troupe://fake:7077"};
    },
    caf::after(wait_limit) >> [] {});
  BOOST_REQUIRE(registered);

  master->send(worker, troupe::launch_executor{"app-w", "0", 2, 256, caf::actor{driver}, app_desc(256, 0)});
  auto failed = expect<troupe::executor_state_changed>(master, "executor_state_changed failed");
  BOOST_TEST(failed.exec == "0");
  BOOST_TEST(state_name(failed.state) == "failed");
  BOOST_TEST(contains(failed.message, "cannot create"), failed.message);
  BOOST_TEST(!try_receive<troupe::register_executor>(driver, 100ms).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
