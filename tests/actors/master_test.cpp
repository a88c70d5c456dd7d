// The master actor against fake workers and drivers (scoped actors that look
// at every message; see fake_peers.hpp). Waits are on messages, each
// bounded; no sleeps.
#include "actors/master.hpp"
#include "actors/protocol.hpp"
#include "tests/actors/fake_peers.hpp"
#include "tests/support/text.hpp"

#include <caf/all.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using namespace troupe::testing;

BOOST_AUTO_TEST_SUITE(local_cluster)

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

BOOST_AUTO_TEST_CASE(master_refuses_what_a_peer_claims_for_a_worker_executor_or_application_it_does_not_hold) {
  actor_fixture fx;
  auto master = fx.master();
  caf::scoped_actor worker{fx.sys};
  caf::scoped_actor driver{fx.sys};
  caf::scoped_actor stranger{fx.sys};
  register_as_worker(worker, master, "worker-a", 4, 4096);
  auto app = register_app(driver, master, app_desc(1024, 0));
  auto launch = expect<troupe::launch_executor>(worker, "launch_executor");
  expect<troupe::executor_added>(driver, "executor_added");

  // A stranger speaks for the worker, its executor and the application's driver.
  stranger->send(master, troupe::executor_state_changed{app, launch.exec, troupe::executor_state::failed, "forged", 1});
  stranger->send(master, troupe::unregister_application{app, troupe::app_state::killed});
  stranger->send(master, troupe::worker_stopping{"worker-a"});
  stranger->send(master, troupe::worker_heartbeat{"worker-a"});
  // Nothing changed (the status request is handled after the stranger's messages).
  auto st = cluster_state(stranger, master);
  BOOST_REQUIRE(st.workers.size() == 1u);
  BOOST_TEST(std::string{to_string(st.workers[0].state)} == "alive");
  BOOST_TEST(st.workers[0].cores_used == 4);
  BOOST_REQUIRE(st.apps.size() == 1u);
  BOOST_TEST(std::string{to_string(st.apps[0].state)} == "running");
  BOOST_REQUIRE(st.apps[0].executors.size() == 1u);
  BOOST_TEST(st.apps[0].executors[0].id == launch.exec);
  BOOST_TEST(drain<troupe::executor_removed>(driver).empty());
  BOOST_TEST(drain<troupe::kill_executor>(worker).empty());

  // The same claims from their holders are taken: the worker's report reaches the driver.
  worker->send(master, troupe::executor_state_changed{app, launch.exec, troupe::executor_state::exited, "bye", 0});
  auto removed = expect<troupe::executor_removed>(driver, "executor_removed from the real worker");
  BOOST_TEST(removed.exec == launch.exec);
  driver->send(master, troupe::unregister_application{app, troupe::app_state::finished});
  auto after = cluster_state(driver, master);
  BOOST_REQUIRE(after.apps.size() == 1u);
  BOOST_TEST(std::string{to_string(after.apps[0].state)} == "finished");
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

BOOST_AUTO_TEST_SUITE_END()
