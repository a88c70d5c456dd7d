// The four roles as actors in one process, each checked against fake peers
// (scoped actors that play master, worker, driver or executor and look at
// every message; see fake_peers.hpp), then the real stack together: master,
// worker, executors and driver running fault_demo. Waits are on messages,
// each bounded; no sleeps.
#include "actors/driver.hpp"
#include "actors/executor.hpp"
#include "actors/master.hpp"
#include "actors/protocol.hpp"
#include "actors/worker.hpp"
#include "runtime/dataset.hpp"
#include "runtime/plan.hpp"
#include "runtime/serialize.hpp"
#include "tests/actors/fake_peers.hpp"
#include "tests/support/process.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using namespace troupe::testing;

BOOST_AUTO_TEST_SUITE(local_cluster)

// == master against fake workers and drivers ==================================================

BOOST_AUTO_TEST_CASE(master_places_an_executor) {
  actor_fixture fx;
  auto master = fx.master();
  caf::scoped_actor worker{fx.sys};
  caf::scoped_actor driver{fx.sys};
  register_as_worker(worker, master, "worker-a", 4, 4096);

  auto app = register_app(driver, master, app_desc(1024, 0));
  BOOST_TEST(app.rfind("app-", 0) == 0, "app id " << app);

  auto launch = expect<troupe::launch_executor>(worker, "launch_executor");
  BOOST_TEST(launch.app == app);
  BOOST_TEST(launch.cores == 4);
  BOOST_TEST(launch.memory_mb == 1024);
  BOOST_TEST((launch.driver == caf::actor{driver}));
  BOOST_TEST(launch.desc.name == "fake_app");

  auto added = expect<troupe::executor_added>(driver, "executor_added");
  BOOST_TEST(added.exec == launch.exec);
  BOOST_TEST(added.worker == "worker-a");
  BOOST_TEST(added.host == "127.0.0.1");
  BOOST_TEST(added.cores == 4);

  // The worker is full: one executor, nothing more (the master sent
  // everything before answering the registration).
  BOOST_TEST(drain<troupe::launch_executor>(worker).empty());
  BOOST_TEST(drain<troupe::executor_added>(driver).empty());
}

BOOST_AUTO_TEST_CASE(master_refuses_a_worker_without_resources_or_with_a_taken_id) {
  actor_fixture fx;
  auto master = fx.master();
  caf::scoped_actor worker{fx.sys};
  caf::scoped_actor other{fx.sys};
  auto refused = [&](caf::scoped_actor& self, troupe::register_worker reg) {
    std::string error;
    self->request(master, wait_limit, std::move(reg))
      .receive([&](const troupe::registered_worker&) { error = ""; },
               [&](caf::error& e) { error = self->system().render(e); });
    return error;
  };
  auto no_cores = refused(worker, {"worker-z", "127.0.0.1", 0, 0, 1024, "w", caf::actor{worker}});
  BOOST_TEST(contains(no_cores, "cores and memory"), no_cores);

  register_as_worker(worker, master, "worker-a", 2, 1024);
  auto taken = refused(other, {"worker-a", "127.0.0.1", 0, 2, 1024, "w", caf::actor{other}});
  BOOST_TEST(contains(taken, "duplicate worker id worker-a"), taken);
}

BOOST_AUTO_TEST_CASE(master_keeps_the_accounts_of_a_worker_that_registers_twice) {
  // A worker whose registration answer was late (its request timed out)
  // registers again while the master already knows it alive with executors:
  // the worker is still full, and its executor still belongs to it.
  actor_fixture fx;
  auto master = fx.master();
  caf::scoped_actor worker{fx.sys};
  caf::scoped_actor driver{fx.sys};
  register_as_worker(worker, master, "worker-a", 4, 4096);
  register_app(driver, master, app_desc(1024, 0));
  auto first = expect<troupe::launch_executor>(worker, "launch_executor");
  BOOST_TEST(first.cores == 4);

  register_as_worker(worker, master, "worker-a", 4, 4096);
  auto extra = drain<troupe::launch_executor>(worker);
  BOOST_TEST(extra.empty(), extra.size() << " more executor(s) launched on a worker with no free core");
  auto st = cluster_state(driver, master);
  BOOST_REQUIRE(st.workers.size() == 1u);
  BOOST_TEST(st.workers[0].cores_used == 4);
  BOOST_TEST(st.workers[0].memory_used_mb == 1024);
  BOOST_REQUIRE(st.apps.size() == 1u);
  BOOST_TEST(st.apps[0].cores == 4);
  BOOST_TEST(st.apps[0].executors.size() == 1u);
}

BOOST_AUTO_TEST_CASE(master_spreads_executors_or_packs_them) {
  actor_fixture fx;
  for (bool spread : {true, false}) {
    BOOST_TEST_CONTEXT("spread_out=" << spread) {
      auto master = fx.master(60'000, spread);
      caf::scoped_actor wa{fx.sys};
      caf::scoped_actor wb{fx.sys};
      caf::scoped_actor driver{fx.sys};
      register_as_worker(wa, master, "worker-a", 4, 4096);
      register_as_worker(wb, master, "worker-b", 4, 4096);
      register_app(driver, master, app_desc(512, 4));

      auto at_a = drain<troupe::launch_executor>(wa);
      auto at_b = drain<troupe::launch_executor>(wb);
      auto added = drain<troupe::executor_added>(driver);
      if (spread) {
        BOOST_REQUIRE(at_a.size() == 1u);
        BOOST_REQUIRE(at_b.size() == 1u);
        BOOST_TEST(at_a[0].cores == 2);
        BOOST_TEST(at_b[0].cores == 2);
        BOOST_TEST(at_a[0].exec != at_b[0].exec);
        BOOST_TEST(added.size() == 2u);
      } else {
        BOOST_REQUIRE(at_a.size() + at_b.size() == 1u);
        auto& only = at_a.empty() ? at_b[0] : at_a[0];
        BOOST_TEST(only.cores == 4);
        BOOST_REQUIRE(added.size() == 1u);
        BOOST_TEST(added[0].cores == 4);
        BOOST_TEST(added[0].worker == (at_a.empty() ? "worker-b" : "worker-a"));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(master_keeps_an_app_that_does_not_fit_waiting) {
  actor_fixture fx;
  auto master = fx.master();
  caf::scoped_actor small{fx.sys};
  caf::scoped_actor big{fx.sys};
  caf::scoped_actor driver{fx.sys};
  register_as_worker(small, master, "worker-small", 4, 512);
  register_app(driver, master, app_desc(1024, 0));
  // Nothing fits: the master answered the registration without a launch.
  BOOST_TEST(!try_receive<troupe::launch_executor>(small, 300ms).has_value());
  BOOST_TEST(drain<troupe::executor_added>(driver).empty());
  auto waiting = cluster_state(driver, master);
  BOOST_REQUIRE(waiting.apps.size() == 1u);
  BOOST_TEST(std::string{troupe::to_string(waiting.apps[0].state)} == "waiting");
  BOOST_TEST(waiting.apps[0].executors.empty());

  register_as_worker(big, master, "worker-big", 2, 2048);
  auto launch = expect<troupe::launch_executor>(big, "launch_executor on the worker with room");
  BOOST_TEST(launch.cores == 2);
  BOOST_TEST(launch.memory_mb == 1024);
  auto added = expect<troupe::executor_added>(driver, "executor_added");
  BOOST_TEST(added.worker == "worker-big");
  BOOST_TEST(drain<troupe::launch_executor>(small).empty());
  auto running = cluster_state(driver, master);
  BOOST_REQUIRE(running.apps.size() == 1u);
  BOOST_TEST(std::string{troupe::to_string(running.apps[0].state)} == "running");
  BOOST_TEST(running.apps[0].cores == 2);
}

BOOST_AUTO_TEST_CASE(master_reports_an_exited_executor_and_replaces_it) {
  actor_fixture fx;
  auto master = fx.master();
  caf::scoped_actor worker{fx.sys};
  caf::scoped_actor driver{fx.sys};
  register_as_worker(worker, master, "worker-a", 4, 4096);
  auto app = register_app(driver, master, app_desc(1024, 0));
  auto first = expect<troupe::launch_executor>(worker, "launch_executor");
  expect<troupe::executor_added>(driver, "executor_added");

  worker->send(master, troupe::executor_state_changed{app, first.exec, troupe::executor_state::exited, "bye", 0});
  auto removed = expect<troupe::executor_removed>(driver, "executor_removed");
  BOOST_TEST(removed.exec == first.exec);
  BOOST_TEST(state_name(removed.state) == "exited");
  BOOST_TEST(removed.message == "bye");

  // The application still wants cores: a replacement with a new id.
  auto second = expect<troupe::launch_executor>(worker, "replacement launch_executor");
  BOOST_TEST(second.app == app);
  BOOST_TEST(second.exec != first.exec);
  BOOST_TEST(second.cores == 4);
  auto added = expect<troupe::executor_added>(driver, "executor_added for the replacement");
  BOOST_TEST(added.exec == second.exec);
}

BOOST_AUTO_TEST_CASE(master_fails_an_app_whose_executors_keep_failing) {
  actor_fixture fx;
  auto master = fx.master();
  caf::scoped_actor worker{fx.sys};
  caf::scoped_actor driver{fx.sys};
  register_as_worker(worker, master, "worker-a", 2, 4096);
  auto app = register_app(driver, master, app_desc(1024, 0));
  std::set<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto l = expect<troupe::launch_executor>(worker, "launch_executor #" + std::to_string(i));
    ids.insert(l.exec);
    worker->send(master, troupe::executor_state_changed{app, l.exec, troupe::executor_state::failed,
                                                         "crash " + std::to_string(i), 1});
  }
  BOOST_TEST(ids.size() == 10u);
  auto changed = expect<troupe::application_state_changed>(driver, "application_state_changed");
  BOOST_TEST(changed.app == app);
  BOOST_TEST(std::string{troupe::to_string(changed.state)} == "failed");
  BOOST_TEST(contains(changed.message, "crash 9"), changed.message);
  // A failed application gets no more executors.
  caf::scoped_actor probe{fx.sys};
  register_as_worker(probe, master, "worker-b", 2, 4096);
  BOOST_TEST(drain<troupe::launch_executor>(worker).empty());
  BOOST_TEST(drain<troupe::launch_executor>(probe).empty());
}

BOOST_AUTO_TEST_CASE(master_drops_a_worker_that_stops_heartbeating) {
  actor_fixture fx;
  auto master = fx.master(300);
  caf::scoped_actor worker{fx.sys};
  caf::scoped_actor driver{fx.sys};
  register_as_worker(worker, master, "worker-silent", 2, 2048);
  register_app(driver, master, app_desc(1024, 0));
  auto launch = expect<troupe::launch_executor>(worker, "launch_executor");
  expect<troupe::executor_added>(driver, "executor_added");

  // Never heartbeats: after 300 ms the worker is dead and its executor lost.
  auto start = std::chrono::steady_clock::now();
  auto removed = expect<troupe::executor_removed>(driver, "executor_removed after the heartbeat timeout", 2s);
  BOOST_TEST((std::chrono::steady_clock::now() - start >= 200ms));
  BOOST_TEST(removed.exec == launch.exec);
  BOOST_TEST(state_name(removed.state) == "lost");
  BOOST_TEST(contains(removed.message, "worker-silent"), removed.message);
  BOOST_TEST(contains(removed.message, "heartbeat"), removed.message);
  auto after_loss = cluster_state(driver, master);
  BOOST_REQUIRE(after_loss.workers.size() == 1u);
  BOOST_TEST(std::string{troupe::to_string(after_loss.workers[0].state)} == "dead");
  BOOST_REQUIRE(after_loss.apps.size() == 1u);
  BOOST_TEST(after_loss.apps[0].cores == 0);

  // A late heartbeat from the dropped worker is told to register again; when
  // it does, the application gets an executor there again.
  worker->send(master, troupe::worker_heartbeat{"worker-silent"});
  auto again = expect<troupe::reconnect_worker>(worker, "reconnect_worker");
  BOOST_TEST(contains(again.reason, "worker-silent"), again.reason);
  register_as_worker(worker, master, "worker-silent", 2, 2048);
  auto relaunch = expect<troupe::launch_executor>(worker, "launch_executor after re-registering");
  BOOST_TEST(relaunch.exec != launch.exec);
}

BOOST_AUTO_TEST_CASE(master_notices_a_worker_or_a_driver_going_down) {
  actor_fixture fx;
  auto master = fx.master();
  caf::scoped_actor driver{fx.sys};
  caf::scoped_actor survivor{fx.sys};
  // The worker actor ends: its executor is lost at once (no heartbeat wait).
  troupe::executor_id lost_exec;
  {
    caf::scoped_actor worker{fx.sys};
    register_as_worker(worker, master, "worker-short", 2, 2048);
    register_app(driver, master, app_desc(1024, 0));
    lost_exec = expect<troupe::launch_executor>(worker, "launch_executor").exec;
    expect<troupe::executor_added>(driver, "executor_added");
  }
  auto removed = expect<troupe::executor_removed>(driver, "executor_removed after the worker went down");
  BOOST_TEST(removed.exec == lost_exec);
  BOOST_TEST(state_name(removed.state) == "lost");
  BOOST_TEST(contains(removed.message, "worker-short"), removed.message);

  // The driver actor ends: its application fails and its executors are killed.
  auto first_app = cluster_state(survivor, master).apps.at(0).id;
  driver->send(master, troupe::unregister_application{first_app, troupe::app_state::finished});
  caf::scoped_actor worker{fx.sys};
  register_as_worker(worker, master, "worker-long", 2, 2048);
  troupe::app_id second_app;
  troupe::executor_id orphan;
  {
    caf::scoped_actor short_driver{fx.sys};
    second_app = register_app(short_driver, master, app_desc(1024, 0));
    orphan = expect<troupe::launch_executor>(worker, "launch_executor for the second app").exec;
  }
  auto kill = expect<troupe::kill_executor>(worker, "kill_executor for the dead driver's executor");
  BOOST_TEST(kill.app == second_app);
  BOOST_TEST(kill.exec == orphan);
  auto st = cluster_state(survivor, master);
  BOOST_REQUIRE(st.apps.size() == 2u);
  BOOST_TEST(std::string{troupe::to_string(st.apps[1].state)} == "failed");
}

BOOST_AUTO_TEST_CASE(master_kills_the_executors_of_an_unregistered_app) {
  actor_fixture fx;
  auto master = fx.master();
  caf::scoped_actor worker{fx.sys};
  caf::scoped_actor driver{fx.sys};
  register_as_worker(worker, master, "worker-a", 4, 4096);
  auto app = register_app(driver, master, app_desc(1024, 0, 2));
  auto launches = drain<troupe::launch_executor>(worker);
  BOOST_REQUIRE(launches.size() == 2u);
  std::set<std::string> launched{launches[0].exec, launches[1].exec};
  BOOST_TEST(launched.size() == 2u);

  driver->send(master, troupe::unregister_application{app, troupe::app_state::finished});
  std::set<std::string> killed;
  for (int i = 0; i < 2; ++i) {
    auto k = expect<troupe::kill_executor>(worker, "kill_executor #" + std::to_string(i));
    BOOST_TEST(k.app == app);
    killed.insert(k.exec);
  }
  BOOST_TEST((killed == launched));
  auto done = cluster_state(driver, master);
  BOOST_REQUIRE(done.apps.size() == 1u);
  BOOST_TEST(std::string{troupe::to_string(done.apps[0].state)} == "finished");
  BOOST_REQUIRE(done.workers.size() == 1u);
  BOOST_TEST(done.workers[0].cores_used == 0);
  BOOST_TEST(done.workers[0].memory_used_mb == 0);
  // A finished application gets no more executors, even when room appears
  // (the registration answer orders everything the master did before it).
  caf::scoped_actor other{fx.sys};
  register_as_worker(other, master, "worker-b", 4, 4096);
  BOOST_TEST(drain<troupe::launch_executor>(other).empty());
  BOOST_TEST(drain<troupe::launch_executor>(worker).empty());
  BOOST_TEST(drain<troupe::kill_executor>(worker).empty());
}

// == worker against a fake master and driver ==================================================

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

// == executor against a fake driver ===========================================================

BOOST_AUTO_TEST_CASE(executor_runs_a_task_and_rejects_garbage) {
  actor_fixture fx;
  temp_dir dir("troupe-executor-test");
  caf::scoped_actor driver{fx.sys};
  auto exec = start_executor(fx, driver, caf::actor{driver}, "app-exec-task", "3", dir.path().string());

  plan_only_runner runner;
  troupe::context ctx(runner, {});
  auto ds = ctx.range(0, 10, 1, 2);
  troupe::task_spec spec;
  spec.stage = 0;
  spec.partition = 1;
  spec.attempt = 0;
  spec.node = ds.plan();
  spec.op = std::make_shared<troupe::ops::count_op<int64_t>>();
  driver->send(exec, troupe::launch_task{42, troupe::encode_task(spec)});
  auto done = expect<troupe::task_finished>(driver, "task_finished");
  BOOST_TEST(done.task == 42);
  BOOST_TEST(done.exec == "3");
  BOOST_TEST(troupe::decode<int64_t>(done.result) == 5);
  BOOST_TEST(done.map_sizes.empty());

  // Bytes that are no task: a failed task with a clear reason, and the
  // executor carries on.
  const std::vector<std::string> garbage{
    std::string("\xc1\xc1\xc1\xc1", 4),   // not msgpack at all
    "this is not a task",                 // msgpack, but not a task's layout
    std::string(),                        // nothing
    troupe::encode_task(spec).substr(0, 7),  // a task cut short
  };
  for (size_t i = 0; i < garbage.size(); ++i) {
    BOOST_TEST_CONTEXT("garbage payload #" << i) {
      auto task = static_cast<troupe::task_id>(100 + i);
      driver->send(exec, troupe::launch_task{task, garbage[i]});
      auto failed = expect<troupe::task_failed>(driver, "task_failed for garbage");
      BOOST_TEST(failed.task == task);
      BOOST_TEST(failed.exec == "3");
      BOOST_TEST(!failed.fetch_failed);
      BOOST_TEST((contains(failed.error, "malformed") || contains(failed.error, "unknown")), failed.error);
    }
  }

  // A well-formed task naming an operation this binary does not have (a
  // driver of another build): the error says so.
  auto foreign = troupe::encode_task(spec);
  std::string name = ds.plan()->impl();
  auto at = foreign.find(name);
  BOOST_REQUIRE(at != std::string::npos);
  foreign.replace(at, name.size(), std::string(name.size(), 'X'));
  driver->send(exec, troupe::launch_task{200, foreign});
  auto unknown = expect<troupe::task_failed>(driver, "task_failed for an unknown operation");
  BOOST_TEST(unknown.task == 200);
  BOOST_TEST(contains(unknown.error, "unknown operation"), unknown.error);
  BOOST_TEST(contains(unknown.error, "different build"), unknown.error);

  // Still alive and working after the garbage.
  driver->send(exec, troupe::launch_task{43, troupe::encode_task(spec)});
  auto again = expect<troupe::task_finished>(driver, "task_finished after garbage");
  BOOST_TEST(again.task == 43);
  BOOST_TEST(troupe::decode<int64_t>(again.result) == 5);

  driver->monitor(exec);
  driver->send(exec, troupe::stop_executor{"test done"});
  auto down = expect<caf::down_msg>(driver, "the executor's down_msg after stop_executor");
  BOOST_TEST((down.source == exec.address()));
  BOOST_TEST((down.reason == caf::exit_reason::normal), driver->system().render(down.reason));
}

BOOST_AUTO_TEST_CASE(executor_serves_map_outputs_it_has_and_only_those) {
  actor_fixture fx;
  temp_dir dir("troupe-executor-test");
  caf::scoped_actor driver{fx.sys};
  auto exec = start_executor(fx, driver, caf::actor{driver}, "app-exec-fetch", "0", dir.path().string());
  int64_t next_request = 1;
  // Asks for bytes [offset, offset + max_bytes) of block (shuffle, map, reduce).
  auto fetch = [&](troupe::shuffle_id s, int32_t map, int32_t reduce, int64_t offset, int32_t max_bytes) {
    auto request = next_request++;
    driver->send(exec, troupe::fetch_block{request, s, map, reduce, offset, max_bytes, caf::actor{driver}});
    auto got = expect<troupe::fetched_block>(driver, "fetched_block for request " + std::to_string(request));
    BOOST_TEST(got.request == request);
    return got;
  };

  // No such shuffle: every map is reported missing.
  for (int32_t m = 0; m < 3; ++m) {
    BOOST_TEST_CONTEXT("unknown shuffle, map " << m) {
      auto got = fetch(7, m, 0, 0, 1 << 20);
      BOOST_TEST(!got.found);
      BOOST_TEST(got.bytes.empty());
    }
  }

  // Run map 0 of a shuffle on it, then ask for maps 0 and 1 of each reducer.
  plan_only_runner runner;
  troupe::context ctx(runner, {});
  auto summed = ctx.range(0, 100, 1, 2)
                  .map([](int64_t x) { return std::pair<int64_t, int64_t>{x % 3, x}; })
                  .reduce_by_key([](int64_t a, int64_t b) { return a + b; }, 3);
  BOOST_REQUIRE(summed.plan()->shuffles.size() == 1u);
  auto dep = summed.plan()->shuffles[0];
  troupe::task_spec spec;
  spec.stage = 0;
  spec.partition = 0;
  spec.node = dep->parent;
  spec.shuffle = dep;
  driver->send(exec, troupe::launch_task{1, troupe::encode_task(spec)});
  auto done = expect<troupe::task_finished>(driver, "task_finished for the map task");
  BOOST_TEST(done.map_sizes.size() == 3u);

  int64_t total = 0;
  for (int32_t r = 0; r < 3; ++r) {
    BOOST_TEST_CONTEXT("reducer " << r) {
      auto whole = fetch(dep->id, 0, r, 0, 1 << 20);
      BOOST_TEST(whole.found);
      BOOST_TEST(whole.total == static_cast<int64_t>(whole.bytes.size()));
      total += whole.total;
      // The same block in chunks of 5 bytes reassembles to the same bytes.
      std::string pieces;
      for (int64_t off = 0; off < whole.total; off += 5) {
        auto chunk = fetch(dep->id, 0, r, off, 5);
        BOOST_TEST(chunk.found);
        BOOST_TEST(chunk.total == whole.total);
        BOOST_TEST(chunk.bytes.size() <= 5u);
        pieces += chunk.bytes;
      }
      BOOST_TEST(pieces == whole.bytes);
      auto missing = fetch(dep->id, 1, r, 0, 1 << 20);
      BOOST_TEST(!missing.found);
    }
  }
  BOOST_TEST(total > 0);

  // Odd requests (a stranger's, or a buggy peer's) are clamped, never fatal.
  auto whole = fetch(dep->id, 0, 0, 0, 1 << 20);
  BOOST_REQUIRE(whole.total > 2);
  auto negative = fetch(dep->id, 0, 0, -5, 0);  // offset < 0, max_bytes 0
  BOOST_TEST(negative.found);
  BOOST_TEST(negative.bytes.size() <= 1u);
  BOOST_TEST(whole.bytes.compare(0, negative.bytes.size(), negative.bytes) == 0);
  auto beyond = fetch(dep->id, 0, 0, whole.total + 100, 10);
  BOOST_TEST(beyond.found);
  BOOST_TEST(beyond.bytes.empty());
  BOOST_TEST(beyond.total == whole.total);
  driver->send(exec, troupe::fetch_block{999, dep->id, 0, 0, 0, 16, caf::actor{}});  // nobody to answer to
  auto still = fetch(dep->id, -1, -1, 0, 16);  // no such map
  BOOST_TEST(!still.found);
}

BOOST_AUTO_TEST_CASE(executor_quits_with_its_driver_or_its_owner) {
  actor_fixture fx;
  temp_dir dir("troupe-executor-test");
  caf::scoped_actor watcher{fx.sys};
  caf::actor exec;
  {
    caf::scoped_actor driver{fx.sys};
    exec = start_executor(fx, driver, caf::actor{}, "app-exec-orphan", "0", dir.path().string());
    watcher->monitor(exec);
  }  // the driver is gone
  auto down = expect<caf::down_msg>(watcher, "the down_msg of the executor whose driver went");
  BOOST_TEST((down.source == exec.address()));

  caf::scoped_actor driver{fx.sys};
  {
    caf::scoped_actor owner{fx.sys};
    exec = start_executor(fx, driver, caf::actor{owner}, "app-exec-orphan", "1", dir.path().string());
    watcher->monitor(exec);
  }  // the owning worker is gone
  down = expect<caf::down_msg>(watcher, "the down_msg of the executor whose owner went");
  BOOST_TEST((down.source == exec.address()));
}

BOOST_AUTO_TEST_CASE(executor_without_a_reachable_driver_quits_with_an_error) {
  actor_fixture fx;
  temp_dir dir("troupe-executor-test");
  // A port nobody listens on: take a free one and close it again.
  uint16_t port = 0;
  {
    caf::scoped_actor gone{fx.sys};
    port = publish(fx, gone);
    BOOST_REQUIRE(fx.sys.middleman().unpublish(caf::actor{gone}, port));
  }
  caf::scoped_actor watcher{fx.sys};
  troupe::executor_options eo;
  eo.app = "app-exec-lonely";
  eo.id = "0";
  eo.dir = dir.path().string();
  eo.driver_host = "127.0.0.1";
  eo.driver_port = port;
  auto exec = fx.keep(troupe::spawn_executor(fx.sys, eo));
  watcher->monitor(exec);
  auto down = expect<caf::down_msg>(watcher, "the down_msg of an executor that cannot reach its driver", 10s);
  BOOST_TEST((down.reason != caf::exit_reason::normal), fx.sys.render(down.reason));
  BOOST_TEST(static_cast<bool>(down.reason));
}

// == the whole stack in one process =============================================================

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

// == driver against a real master, a fake worker and a fake executor ==========================

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
