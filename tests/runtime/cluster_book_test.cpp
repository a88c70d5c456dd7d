// Unit tests of the master's book: fabricated event sequences, no actors.

#include "runtime/cluster_book.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

using namespace troupe;

namespace {

/// Every decision of type T, in order.
template <class T>
std::vector<T> all_of(const book_decisions& ds) {
  std::vector<T> out;
  for (auto& d : ds)
    if (auto* x = std::get_if<T>(&d))
      out.push_back(*x);
  return out;
}

/// Executor cores launched per worker.
std::map<worker_id, int32_t> cores_by_worker(const book_decisions& ds) {
  std::map<worker_id, int32_t> out;
  for (auto& l : all_of<launch_executor_order>(ds))
    out[l.worker] += l.cores;
  return out;
}

app_request app_asking(int64_t memory_mb, int32_t cores_max, int32_t executor_cores = 0) {
  app_request r;
  r.name = "fake_app";
  r.executor_memory_mb = memory_mb;
  r.cores_max = cores_max;
  r.executor_cores = executor_cores;
  r.driver_host = "127.0.0.1";
  return r;
}

driver_request driver_asking(int32_t cores, int64_t memory_mb, bool supervise = false) {
  driver_request r;
  r.app = "pi";
  r.cores = cores;
  r.memory_mb = memory_mb;
  r.supervise = supervise;
  return r;
}

/// A book with helpers that register things and keep the decisions.
struct book_fixture {
  cluster_book book;
  monotonic_ms now = 1000;

  explicit book_fixture(book_options o = {}) : book(o) {}

  book_decisions add_worker(const worker_id& id, int32_t cores, int64_t memory_mb) {
    book_decisions out;
    std::string error;
    auto r = book.register_worker({id, "host-" + id, 7078, cores, memory_mb}, now, out, error);
    BOOST_REQUIRE_MESSAGE(r == registration::accepted, "worker " << id << " refused: " << error);
    return out;
  }
  book_decisions add_app(const app_id& id, app_request req) {
    book_decisions out;
    BOOST_REQUIRE(book.register_application(id, std::move(req), 42, out));
    return out;
  }
  book_decisions add_driver(const driver_id& id, driver_request req) {
    book_decisions out;
    BOOST_REQUIRE(book.submit_driver(id, std::move(req), 43, out));
    return out;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_book_suite)

// -- registration and placement ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(registers_workers_and_refuses_ones_without_resources) {
  book_fixture fx;
  fx.add_worker("w1", 4, 4096);
  book_decisions out;
  std::string error;
  BOOST_TEST((fx.book.register_worker({"w0", "h", 1, 0, 1024}, fx.now, out, error) == registration::refused));
  BOOST_TEST(error == "worker must offer cores and memory");
  error.clear();
  BOOST_TEST((fx.book.register_worker({"w2", "h", 1, 2, 0}, fx.now, out, error) == registration::refused));
  BOOST_TEST(!error.empty());
  BOOST_TEST(out.empty());
  BOOST_TEST(fx.book.workers().size() == 1u);
  BOOST_TEST(fx.book.is_alive("w1"));
  BOOST_TEST(!fx.book.is_alive("w0"));
}

BOOST_AUTO_TEST_CASE(an_app_gets_executors_and_its_driver_is_told) {
  book_fixture fx;
  fx.add_worker("w1", 4, 4096);
  auto out = fx.add_app("app-0", app_asking(1024, 0));
  auto launches = all_of<launch_executor_order>(out);
  BOOST_REQUIRE(launches.size() == 1u);
  BOOST_TEST(launches[0].app == "app-0");
  BOOST_TEST(launches[0].worker == "w1");
  BOOST_TEST(launches[0].cores == 4);
  BOOST_TEST(launches[0].memory_mb == 1024);
  auto added = all_of<executor_added_note>(out);
  BOOST_REQUIRE(added.size() == 1u);
  BOOST_TEST(added[0].exec == launches[0].exec);
  BOOST_TEST(added[0].host == "host-w1");
  // The order to launch comes before the note to the driver.
  BOOST_TEST(std::holds_alternative<launch_executor_order>(out.at(0)));
  BOOST_TEST(std::holds_alternative<executor_added_note>(out.at(1)));
  auto* app = fx.book.app("app-0");
  BOOST_REQUIRE(app);
  BOOST_TEST((app->state == app_state::running));
  BOOST_TEST(app->cores_granted == 4);
  auto* w = fx.book.worker("w1");
  BOOST_TEST(w->cores_used == 4);
  BOOST_TEST(w->memory_used == 1024);
}

BOOST_AUTO_TEST_CASE(an_app_registered_before_any_worker_waits_then_gets_one) {
  book_fixture fx;
  auto out = fx.add_app("app-0", app_asking(1024, 0));
  BOOST_TEST(out.empty());
  BOOST_TEST((fx.book.app("app-0")->state == app_state::waiting));
  out = fx.add_worker("w1", 2, 2048);
  BOOST_TEST(all_of<launch_executor_order>(out).size() == 1u);
  BOOST_TEST((fx.book.app("app-0")->state == app_state::running));
}

BOOST_AUTO_TEST_CASE(spreads_executors_or_packs_them) {
  for (bool spread : {true, false}) {
    book_options o;
    o.spread_out = spread;
    book_fixture fx{o};
    fx.add_worker("w1", 4, 8192);
    fx.add_worker("w2", 4, 8192);
    auto out = fx.add_app("app-0", app_asking(512, 4, 1));
    auto by = cores_by_worker(out);
    if (spread) {
      BOOST_TEST(by["w1"] == 2);
      BOOST_TEST(by["w2"] == 2);
    } else {
      BOOST_TEST(by["w1"] == 4);
      BOOST_TEST(by.count("w2") == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_app_that_does_not_fit_waits_and_ids_are_not_reused) {
  book_fixture fx;
  fx.add_worker("small", 2, 512);
  auto out = fx.add_app("app-0", app_asking(1024, 0));
  BOOST_TEST(out.empty());
  book_decisions dup;
  BOOST_TEST(!fx.book.register_application("app-0", app_asking(1, 1), 0, dup));
  BOOST_TEST(!fx.book.register_application("", app_asking(1, 1), 0, dup));
  BOOST_TEST(dup.empty());
  BOOST_TEST(fx.book.apps().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_retried_registration_keeps_the_accounts) {
  book_fixture fx;
  fx.add_worker("w1", 4, 4096);
  fx.add_app("app-0", app_asking(1024, 2));
  BOOST_TEST(fx.book.worker("w1")->cores_used == 2);
  book_decisions out;
  std::string error;
  fx.now += 100;
  BOOST_TEST((fx.book.register_worker({"w1", "h", 1, 4, 4096}, fx.now, out, error) == registration::refreshed));
  BOOST_TEST(out.empty());
  BOOST_TEST(fx.book.worker("w1")->cores_used == 2);
  BOOST_TEST(fx.book.worker("w1")->last_heartbeat == fx.now);
}

// -- workers lost --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_lost_worker_loses_its_executors_and_they_are_placed_again) {
  book_fixture fx;
  fx.add_worker("w1", 2, 4096);
  fx.add_worker("w2", 2, 4096);
  fx.add_app("app-0", app_asking(1024, 3, 1));  // spread: 2 on w1, 1 on w2
  BOOST_TEST(fx.book.app("app-0")->cores_granted == 3);
  auto on_w1 = fx.book.worker("w1")->executors.size();
  BOOST_REQUIRE(on_w1 == 2u);

  auto out = fx.book.worker_lost("w1", "connection closed");
  auto removed = all_of<executor_removed_note>(out);
  BOOST_REQUIRE(removed.size() == 2u);
  for (auto& r : removed) {
    BOOST_TEST(r.app == "app-0");
    BOOST_TEST((r.state == executor_state::lost));
    BOOST_TEST(r.message == "worker w1 lost: connection closed");
  }
  // One core is left on w2: the app gets it there (and nothing on the dead worker).
  auto launches = all_of<launch_executor_order>(out);
  BOOST_REQUIRE(launches.size() == 1u);
  BOOST_TEST(launches[0].worker == "w2");
  BOOST_TEST(launches[0].exec != removed[0].exec);
  BOOST_TEST(launches[0].exec != removed[1].exec);
  BOOST_TEST(all_of<kill_executor_order>(out).empty());  // nobody to tell on a dead worker
  auto* w1 = fx.book.worker("w1");
  BOOST_TEST((w1->state == worker_state::dead));
  BOOST_TEST(w1->cores_used == 0);
  BOOST_TEST(w1->executors.empty());
  BOOST_TEST(fx.book.app("app-0")->cores_granted == 2);
  // Lost twice or unknown: nothing more happens.
  BOOST_TEST(fx.book.worker_lost("w1", "again").empty());
  BOOST_TEST(fx.book.worker_lost("nobody", "?").empty());
}

BOOST_AUTO_TEST_CASE(a_silent_worker_is_lost_after_the_timeout_and_may_register_again) {
  book_options o;
  o.worker_timeout_ms = 300;
  book_fixture fx{o};
  fx.add_worker("w1", 2, 2048);
  fx.add_worker("w2", 2, 2048);
  fx.add_app("app-0", app_asking(1024, 0));
  fx.now += 250;
  BOOST_TEST(fx.book.heartbeat("w2", fx.now));
  BOOST_TEST(fx.book.check_heartbeats(fx.now).empty());
  fx.now += 100;  // w1: 350 ms silent; w2: 100 ms
  auto out = fx.book.check_heartbeats(fx.now);
  auto removed = all_of<executor_removed_note>(out);
  BOOST_REQUIRE(removed.size() == 1u);
  BOOST_TEST(removed[0].message == "worker w1 lost: no heartbeat for 300 ms");
  BOOST_TEST(!fx.book.is_alive("w1"));
  BOOST_TEST(fx.book.is_alive("w2"));
  BOOST_TEST(!fx.book.heartbeat("w1", fx.now));      // told to register again
  BOOST_TEST(!fx.book.heartbeat("nobody", fx.now));
  // Registering again starts it afresh, and the app gets executors there again.
  out = fx.add_worker("w1", 2, 2048);
  auto launches = all_of<launch_executor_order>(out);
  BOOST_REQUIRE(launches.size() == 1u);
  BOOST_TEST(launches[0].worker == "w1");
}

BOOST_AUTO_TEST_CASE(a_stopping_worker_is_decommissioned) {
  book_fixture fx;
  fx.add_worker("w1", 2, 2048);
  fx.add_app("app-0", app_asking(1024, 0));
  auto out = fx.book.worker_stopping("w1");
  BOOST_TEST(all_of<executor_removed_note>(out).size() == 1u);
  BOOST_TEST(all_of<executor_removed_note>(out)[0].message == "worker w1 lost: stopped");
  BOOST_TEST((fx.book.worker("w1")->state == worker_state::decommissioned));
  BOOST_TEST(fx.book.worker_stopping("unknown").empty());
}

BOOST_AUTO_TEST_CASE(a_lost_worker_fails_its_unsupervised_drivers_and_relaunches_supervised_ones) {
  book_fixture fx;
  fx.add_worker("w1", 4, 4096);
  auto out = fx.add_driver("driver-0", driver_asking(1, 512, false));
  out = fx.add_driver("driver-1", driver_asking(1, 512, true));
  BOOST_TEST((fx.book.driver("driver-1")->state == driver_state::running));
  BOOST_TEST(fx.book.worker("w1")->drivers.size() == 2u);
  out = fx.book.worker_lost("w1", "gone");
  // Without --supervise: failed, saying why.
  auto* d0 = fx.book.driver("driver-0");
  BOOST_REQUIRE(d0);
  BOOST_TEST((d0->state == driver_state::failed));
  BOOST_TEST(d0->message == "worker w1 lost: gone");
  BOOST_TEST(d0->relaunches == 0);
  // With it: relaunching, and nowhere to go yet.
  auto* d1 = fx.book.driver("driver-1");
  BOOST_REQUIRE(d1);
  BOOST_TEST((d1->state == driver_state::relaunching));
  BOOST_TEST(d1->relaunches == 1);
  BOOST_TEST(d1->worker.empty());
  BOOST_TEST(d1->message == "relaunch 1 of 3 after: worker w1 lost: gone");
  BOOST_TEST(all_of<launch_driver_order>(out).empty());
  // A worker with room comes: the same driver id is launched there, running.
  out = fx.add_worker("w2", 2, 2048);
  auto launches = all_of<launch_driver_order>(out);
  BOOST_REQUIRE(launches.size() == 1u);
  BOOST_TEST(launches[0].driver == "driver-1");
  BOOST_TEST(launches[0].worker == "w2");
  BOOST_TEST((d1->state == driver_state::running));
  BOOST_TEST(d1->worker == "w2");
  BOOST_TEST(fx.book.worker("w2")->cores_used == 1);
  BOOST_TEST((d0->state == driver_state::failed));  // the unsupervised one stays failed
}

// -- drivers ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(drivers_are_placed_before_executors_and_free_their_resources_on_exit) {
  book_fixture fx;
  fx.add_worker("w1", 2, 2048);
  fx.add_app("app-0", app_asking(1024, 0));
  BOOST_TEST(fx.book.worker("w1")->cores_used == 2);
  // No room for a driver while the executor holds the worker.
  auto out = fx.add_driver("driver-0", driver_asking(1, 512));
  BOOST_TEST(out.empty());
  BOOST_TEST((fx.book.driver("driver-0")->state == driver_state::submitted));
  BOOST_TEST(fx.book.driver("driver-0")->message
             == "waiting: the driver asks for 1 core and 512 MiB; the largest free offer is 0 cores and 1024 MiB on w1");
  // The executor exits: its cores go to the waiting driver first, the rest to the app.
  out = fx.book.executor_state_changed("app-0", "0", executor_state::exited, "bye", fx.now);
  BOOST_REQUIRE(out.size() >= 2u);
  BOOST_TEST(fx.book.driver("driver-0")->message.empty());
  BOOST_TEST(std::holds_alternative<executor_removed_note>(out[0]));
  BOOST_REQUIRE(std::holds_alternative<launch_driver_order>(out[1]));
  BOOST_TEST(std::get<launch_driver_order>(out[1]).worker == "w1");
  BOOST_TEST(cores_by_worker(out)["w1"] == 1);
  auto* d = fx.book.driver("driver-0");
  BOOST_TEST((d->state == driver_state::running));
  BOOST_TEST(d->worker == "w1");
  BOOST_TEST(d->start_ms == 43);

  out = fx.book.driver_state_changed("driver-0", driver_state::running, "");
  BOOST_TEST(out.empty());
  // The driver exits: its core goes back; the app wants all cores, so it gets another executor.
  out = fx.book.driver_state_changed("driver-0", driver_state::finished, "exit 0");
  BOOST_TEST((fx.book.driver("driver-0")->state == driver_state::finished));
  BOOST_TEST(fx.book.driver("driver-0")->message == "exit 0");
  BOOST_TEST(cores_by_worker(out)["w1"] == 1);
  BOOST_TEST(fx.book.worker("w1")->cores_used == 2);
  BOOST_TEST(fx.book.worker("w1")->drivers.empty());
  // A late or unknown report changes nothing.
  BOOST_TEST(fx.book.driver_state_changed("driver-0", driver_state::failed, "late").empty());
  BOOST_TEST((fx.book.driver("driver-0")->state == driver_state::finished));
  BOOST_TEST(fx.book.driver_state_changed("driver-9", driver_state::failed, "?").empty());
  book_decisions dup;
  BOOST_TEST(!fx.book.submit_driver("driver-0", driver_asking(1, 1), 0, dup));
}

BOOST_AUTO_TEST_CASE(kill_requests_stop_a_running_driver_and_keep_killed_over_its_exit) {
  book_fixture fx;
  fx.add_worker("w1", 2, 2048);
  fx.add_driver("driver-0", driver_asking(1, 512));
  book_decisions out;
  auto* d = fx.book.kill_driver("driver-0", out);
  BOOST_REQUIRE(d);
  BOOST_TEST((d->state == driver_state::killed));
  BOOST_TEST(d->message == "killed on request");
  auto kills = all_of<kill_driver_order>(out);
  BOOST_REQUIRE(kills.size() == 1u);
  BOOST_TEST(kills[0].worker == "w1");
  BOOST_TEST(fx.book.worker("w1")->cores_used == 0);
  // The killed process then reports failure: "killed" stays.
  BOOST_TEST(fx.book.driver_state_changed("driver-0", driver_state::failed, "signal 15").empty());
  BOOST_TEST((fx.book.driver("driver-0")->state == driver_state::killed));
  // Killing again, or an unknown driver: no orders, no throw.
  out.clear();
  BOOST_TEST(fx.book.kill_driver("driver-0", out) != nullptr);
  BOOST_TEST(fx.book.kill_driver("driver-7", out) == nullptr);
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(killing_a_driver_not_yet_placed_sends_no_order) {
  book_fixture fx;
  fx.add_driver("driver-0", driver_asking(1, 512));
  book_decisions out;
  auto* d = fx.book.kill_driver("driver-0", out);
  BOOST_REQUIRE(d);
  BOOST_TEST((d->state == driver_state::killed));
  BOOST_TEST(out.empty());
  // A worker that comes later does not get it.
  BOOST_TEST(all_of<launch_driver_order>(fx.add_worker("w1", 2, 2048)).empty());
}

// -- executors -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_exited_executor_is_reported_and_replaced) {
  book_fixture fx;
  fx.add_worker("w1", 4, 4096);
  auto first = all_of<launch_executor_order>(fx.add_app("app-0", app_asking(1024, 0))).at(0);
  BOOST_TEST(fx.book.executor_state_changed("app-0", first.exec, executor_state::running, "", fx.now).empty());
  BOOST_TEST((fx.book.app("app-0")->executors.at(first.exec).state == executor_state::running));
  auto out = fx.book.executor_state_changed("app-0", first.exec, executor_state::exited, "bye", fx.now);
  auto removed = all_of<executor_removed_note>(out);
  BOOST_REQUIRE(removed.size() == 1u);
  BOOST_TEST(removed[0].exec == first.exec);
  BOOST_TEST((removed[0].state == executor_state::exited));
  BOOST_TEST(removed[0].message == "bye");
  auto again = all_of<launch_executor_order>(out);
  BOOST_REQUIRE(again.size() == 1u);
  BOOST_TEST(again[0].exec != first.exec);
  BOOST_TEST(again[0].cores == 4);
  BOOST_TEST(fx.book.app("app-0")->executor_failures == 0);  // exited is no failure
  BOOST_TEST(fx.book.app("app-0")->ran_on == std::set<worker_id>{"w1"});  // kept after its executor ended
  // Unknown apps and executors, repeated reports: nothing.
  BOOST_TEST(fx.book.executor_state_changed("app-0", first.exec, executor_state::exited, "bye", fx.now).empty());
  BOOST_TEST(fx.book.executor_state_changed("app-9", "0", executor_state::failed, "?", fx.now).empty());
  BOOST_TEST(fx.book.executor_state_changed("app-0", "99", executor_state::failed, "?", fx.now).empty());
}

BOOST_AUTO_TEST_CASE(an_app_whose_executors_keep_failing_fails) {
  book_options o;
  o.max_executor_failures = 3;
  book_fixture fx{o};
  fx.add_worker("w1", 2, 4096);
  auto exec = all_of<launch_executor_order>(fx.add_app("app-0", app_asking(1024, 0))).at(0).exec;
  book_decisions out;
  for (int i = 0; i < 3; ++i) {
    out = fx.book.executor_state_changed("app-0", exec, executor_state::failed, "crash " + std::to_string(i), fx.now);
    BOOST_TEST(fx.book.app("app-0")->executor_failures == i + 1);
    if (i < 2)
      exec = all_of<launch_executor_order>(out).at(0).exec;
  }
  auto notes = all_of<app_state_note>(out);
  BOOST_REQUIRE(notes.size() == 1u);
  BOOST_TEST((notes[0].state == app_state::failed));
  BOOST_TEST(notes[0].message == "executors failed 3 times; last: crash 2");
  BOOST_TEST(all_of<launch_executor_order>(out).empty());
  BOOST_TEST((fx.book.app("app-0")->state == app_state::failed));
  // A failed application gets no more executors.
  BOOST_TEST(all_of<launch_executor_order>(fx.add_worker("w2", 2, 4096)).empty());
}

BOOST_AUTO_TEST_CASE(a_worker_that_keeps_failing_executors_is_excluded_for_that_app) {
  book_fixture fx;  // the default: excluded after 2 failures there
  BOOST_TEST(fx.book.options().max_failures_per_worker == 2);
  fx.add_worker("bad", 2, 4096);
  fx.add_worker("good", 2, 4096);
  auto out = fx.add_app("app-0", app_asking(1024, 0));
  BOOST_TEST(cores_by_worker(out)["bad"] == 2);
  BOOST_TEST(cores_by_worker(out)["good"] == 2);
  auto on_bad = [&](const book_decisions& ds) {
    for (auto& l : all_of<launch_executor_order>(ds))
      if (l.worker == "bad")
        return l.exec;
    return executor_id{};
  };
  auto exec = on_bad(out);
  // First failure there: it may try again on that worker.
  out = fx.book.executor_state_changed("app-0", exec, executor_state::failed, "cannot create work/app-0/0", fx.now);
  exec = on_bad(out);
  BOOST_REQUIRE(!exec.empty());
  BOOST_TEST(fx.book.app("app-0")->excluded.empty());
  // Second: excluded for this application; the healthy worker carries it.
  out = fx.book.executor_state_changed("app-0", exec, executor_state::failed, "cannot create work/app-0/1", fx.now);
  BOOST_TEST(all_of<executor_removed_note>(out).size() == 1u);
  BOOST_TEST(all_of<launch_executor_order>(out).empty());
  auto* app = fx.book.app("app-0");
  BOOST_TEST(app->excluded.count("bad") == 1u);
  BOOST_TEST(app->failures_on.at("bad") == 2);
  BOOST_TEST((app->state == app_state::running));
  BOOST_TEST(app->cores_granted == 2);
  BOOST_TEST(app->executor_failures == 2);
  BOOST_TEST(fx.book.worker("bad")->cores_used == 0);
  // New room elsewhere is taken; the excluded worker stays idle for this app ...
  out = fx.add_worker("more", 2, 4096);
  BOOST_TEST(cores_by_worker(out)["more"] == 2);
  BOOST_TEST(cores_by_worker(out).count("bad") == 0u);
  // ... but not for another application.
  out = fx.add_app("app-1", app_asking(1024, 0));
  BOOST_TEST(cores_by_worker(out)["bad"] == 2);
  // Exited or lost executors are no launch failures.
  auto exec1 = on_bad(out);
  fx.book.executor_state_changed("app-1", exec1, executor_state::exited, "done", fx.now);
  BOOST_TEST(fx.book.app("app-1")->excluded.empty());
}

BOOST_AUTO_TEST_CASE(an_app_with_nowhere_else_to_go_retries_an_excluded_worker_until_its_failure_limit) {
  book_options o;
  o.max_executor_failures = 4;
  book_fixture fx{o};
  fx.add_worker("bad", 2, 4096);
  auto exec = all_of<launch_executor_order>(fx.add_app("app-0", app_asking(1024, 0))).at(0).exec;
  book_decisions out;
  for (int i = 0; i < 4; ++i) {
    out = fx.book.executor_state_changed("app-0", exec, executor_state::failed, "crash " + std::to_string(i), fx.now);
    if (i < 3) {
      auto again = all_of<launch_executor_order>(out);
      BOOST_REQUIRE_MESSAGE(again.size() == 1u, "failure " << i);
      BOOST_TEST(again[0].worker == "bad");
      exec = again[0].exec;
    }
  }
  BOOST_TEST(fx.book.app("app-0")->excluded.count("bad") == 1u);
  BOOST_TEST((fx.book.app("app-0")->state == app_state::failed));
  BOOST_TEST(all_of<app_state_note>(out).at(0).message == "executors failed 4 times; last: crash 3");
}

// -- applications end ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_unregistered_app_has_its_executors_killed) {
  book_fixture fx;
  fx.add_worker("w1", 4, 4096);
  fx.add_worker("w2", 4, 4096);
  fx.add_app("app-0", app_asking(1024, 0, 2));
  BOOST_TEST(fx.book.app("app-0")->executors.size() == 4u);
  fx.book.worker_lost("w2", "gone");  // its executors are gone already: no kill for them
  auto out = fx.book.unregister_application("app-0", app_state::finished);
  auto kills = all_of<kill_executor_order>(out);
  BOOST_TEST(kills.size() == 2u);
  for (auto& k : kills)
    BOOST_TEST(k.worker == "w1");
  BOOST_TEST(all_of<app_state_note>(out).empty());  // its driver asked for it
  BOOST_TEST((fx.book.app("app-0")->state == app_state::finished));
  BOOST_TEST(fx.book.worker("w1")->cores_used == 0);
  BOOST_TEST(fx.book.worker("w1")->memory_used == 0);
  BOOST_TEST(all_of<launch_executor_order>(fx.add_worker("w3", 4, 4096)).empty());
  BOOST_TEST(fx.book.unregister_application("app-0", app_state::failed).empty());
  BOOST_TEST((fx.book.app("app-0")->state == app_state::finished));
  BOOST_TEST(fx.book.unregister_application("app-9", app_state::finished).empty());
}

BOOST_AUTO_TEST_CASE(an_app_whose_driver_is_gone_fails_and_frees_room_for_others) {
  book_fixture fx;
  fx.add_worker("w1", 2, 2048);
  fx.add_app("app-0", app_asking(1024, 0));
  fx.add_app("app-1", app_asking(1024, 0));  // waits: app-0 took the worker
  BOOST_TEST(fx.book.app("app-1")->executors.empty());
  auto out = fx.book.driver_gone("app-0");
  BOOST_TEST(all_of<kill_executor_order>(out).size() == 1u);
  BOOST_TEST(all_of<app_state_note>(out).empty());  // nobody to tell
  BOOST_TEST((fx.book.app("app-0")->state == app_state::failed));
  auto launches = all_of<launch_executor_order>(out);
  BOOST_REQUIRE(launches.size() == 1u);
  BOOST_TEST(launches[0].app == "app-1");
  BOOST_TEST(fx.book.driver_gone("app-0").empty());
  BOOST_TEST(fx.book.driver_gone("app-9").empty());
}

BOOST_AUTO_TEST_CASE(a_killed_app_tells_its_driver) {
  book_fixture fx;
  fx.add_worker("w1", 2, 2048);
  fx.add_app("app-0", app_asking(1024, 0));
  auto out = fx.book.kill_application("app-0", "killed by the operator");
  BOOST_REQUIRE(!out.empty());
  BOOST_REQUIRE(std::holds_alternative<app_state_note>(out[0]));
  BOOST_TEST((std::get<app_state_note>(out[0]).state == app_state::killed));
  BOOST_TEST(std::get<app_state_note>(out[0]).message == "killed by the operator");
  BOOST_TEST(all_of<kill_executor_order>(out).size() == 1u);
  BOOST_TEST((fx.book.app("app-0")->state == app_state::killed));
  BOOST_TEST(fx.book.kill_application("app-0", "again").empty());
  BOOST_TEST(fx.book.kill_application("app-9", "?").empty());
}

// -- retention ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(finished_apps_are_retained_up_to_the_bound_oldest_dropped_first) {
  book_fixture fx;  // the default: 200, as Spark's retainedApplications
  BOOST_TEST(fx.book.options().retained_applications == 200u);
  fx.add_app("app-live", app_asking(1024, 0));  // never finishes: never dropped
  auto name = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "app-%04d", i);
    return std::string{buf};
  };
  for (int i = 0; i < 200; ++i) {
    fx.add_app(name(i), app_asking(1024, 0));
    auto out = fx.book.unregister_application(name(i), app_state::finished);
    BOOST_TEST(all_of<app_forgotten>(out).empty());
  }
  BOOST_TEST(fx.book.apps().size() == 201u);
  // The 201st finished application evicts the oldest finished one.
  fx.add_app(name(200), app_asking(1024, 0));
  auto out = fx.book.unregister_application(name(200), app_state::failed);
  auto gone = all_of<app_forgotten>(out);
  BOOST_REQUIRE(gone.size() == 1u);
  BOOST_TEST(gone[0].app == name(0));
  BOOST_TEST(fx.book.app(name(0)) == nullptr);
  BOOST_TEST(fx.book.app(name(1)) != nullptr);
  BOOST_TEST(fx.book.app(name(200)) != nullptr);
  BOOST_TEST(fx.book.app("app-live") != nullptr);
  BOOST_TEST(fx.book.apps().size() == 201u);
  // Events naming a forgotten application are ignored.
  BOOST_TEST(fx.book.executor_state_changed(name(0), "0", executor_state::failed, "?", fx.now).empty());
  BOOST_TEST(fx.book.unregister_application(name(0), app_state::finished).empty());
}

BOOST_AUTO_TEST_CASE(finished_drivers_are_retained_up_to_the_bound) {
  book_options o;
  o.retained_drivers = 2;
  book_fixture fx{o};
  fx.add_worker("w1", 8, 8192);
  for (auto id : {"driver-0", "driver-1", "driver-2"}) {
    fx.add_driver(id, driver_asking(1, 512));
  }
  fx.add_driver("driver-3", driver_asking(1, 512));  // stays running
  book_decisions out;
  fx.book.driver_state_changed("driver-1", driver_state::finished, "");
  fx.book.kill_driver("driver-0", out);
  BOOST_TEST(all_of<driver_forgotten>(out).empty());
  out = fx.book.driver_state_changed("driver-2", driver_state::failed, "exit 1");
  auto gone = all_of<driver_forgotten>(out);
  BOOST_REQUIRE(gone.size() == 1u);
  BOOST_TEST(gone[0].driver == "driver-1");  // finished first
  BOOST_TEST(fx.book.driver("driver-1") == nullptr);
  BOOST_TEST(fx.book.driver("driver-0") != nullptr);
  BOOST_TEST(fx.book.driver("driver-3") != nullptr);
  BOOST_TEST(fx.book.drivers().size() == 3u);
  // A forgotten driver's late report is ignored.
  BOOST_TEST(fx.book.driver_state_changed("driver-1", driver_state::failed, "late").empty());
}

BOOST_AUTO_TEST_CASE(a_retention_of_zero_keeps_no_finished_app) {
  book_options o;
  o.retained_applications = 0;
  book_fixture fx{o};
  fx.add_worker("w1", 2, 2048);
  fx.add_app("app-0", app_asking(1024, 0));
  auto out = fx.book.executor_state_changed("app-0", "0", executor_state::failed, "x", fx.now);
  BOOST_TEST(fx.book.app("app-0") != nullptr);  // one failure is not the end
  out = fx.book.unregister_application("app-0", app_state::finished);
  BOOST_TEST(all_of<app_forgotten>(out).size() == 1u);
  BOOST_TEST(fx.book.app("app-0") == nullptr);
  BOOST_TEST(fx.book.apps().empty());
}

// -- supervised drivers ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_supervised_driver_that_exits_non_zero_is_relaunched_up_to_the_limit_then_fails) {
  book_options o;
  o.max_driver_relaunches = 2;
  book_fixture fx{o};
  fx.add_worker("w1", 2, 2048);
  fx.add_driver("driver-0", driver_asking(1, 512, true));
  auto* d = fx.book.driver("driver-0");
  BOOST_REQUIRE(d);
  BOOST_TEST(fx.book.driver_state_changed("driver-0", driver_state::running, "", "w1").empty());
  for (int i = 1; i <= 2; ++i) {
    // The only worker is alive and has room: the same worker may take it again.
    auto out = fx.book.driver_state_changed("driver-0", driver_state::failed, "exit 1", "w1");
    auto launches = all_of<launch_driver_order>(out);
    BOOST_REQUIRE_MESSAGE(launches.size() == 1u, "relaunch " << i);
    BOOST_TEST(launches[0].driver == "driver-0");
    BOOST_TEST(launches[0].worker == "w1");
    BOOST_TEST((d->state == driver_state::running));
    BOOST_TEST(d->relaunches == i);
    BOOST_TEST(d->message == "relaunch " + std::to_string(i) + " of 2 after: exit 1");
    BOOST_TEST(fx.book.worker("w1")->cores_used == 1);  // one attempt's resources, not two
    // The new attempt reports running: the reason of the relaunch stays.
    BOOST_TEST(fx.book.driver_state_changed("driver-0", driver_state::running, "", "w1").empty());
    BOOST_TEST(d->message == "relaunch " + std::to_string(i) + " of 2 after: exit 1");
  }
  auto out = fx.book.driver_state_changed("driver-0", driver_state::failed, "exit 3", "w1");
  BOOST_TEST(all_of<launch_driver_order>(out).empty());
  BOOST_TEST((d->state == driver_state::failed));
  BOOST_TEST(d->relaunches == 2);
  BOOST_TEST(d->message == "failed after 2 relaunches (driver.max-relaunches=2); last: exit 3");
  BOOST_TEST(fx.book.worker("w1")->cores_used == 0);
  BOOST_TEST(fx.book.worker("w1")->drivers.empty());
}

BOOST_AUTO_TEST_CASE(without_supervise_a_failed_driver_stays_failed) {
  book_fixture fx;
  fx.add_worker("w1", 2, 2048);
  fx.add_driver("driver-0", driver_asking(1, 512, false));
  auto out = fx.book.driver_state_changed("driver-0", driver_state::failed, "exit 1", "w1");
  BOOST_TEST(all_of<launch_driver_order>(out).empty());
  BOOST_TEST((fx.book.driver("driver-0")->state == driver_state::failed));
  BOOST_TEST(fx.book.driver("driver-0")->message == "exit 1");
  BOOST_TEST(!fx.book.relaunches(*fx.book.driver("driver-0")));
}

BOOST_AUTO_TEST_CASE(a_supervised_driver_that_exits_zero_is_finished_and_a_killed_one_is_never_relaunched) {
  book_fixture fx;
  fx.add_worker("w1", 4, 4096);
  fx.add_driver("driver-0", driver_asking(1, 512, true));
  fx.add_driver("driver-1", driver_asking(1, 512, true));
  auto out = fx.book.driver_state_changed("driver-0", driver_state::finished, "exit 0", "w1");
  BOOST_TEST(all_of<launch_driver_order>(out).empty());
  BOOST_TEST((fx.book.driver("driver-0")->state == driver_state::finished));
  BOOST_TEST(fx.book.driver("driver-0")->relaunches == 0);
  // troupe kill: killed, and its process's exit afterwards changes nothing.
  out.clear();
  fx.book.kill_driver("driver-1", out);
  BOOST_TEST(all_of<kill_driver_order>(out).size() == 1u);
  out = fx.book.driver_state_changed("driver-1", driver_state::failed, "signal 15", "w1");
  BOOST_TEST(all_of<launch_driver_order>(out).empty());
  BOOST_TEST((fx.book.driver("driver-1")->state == driver_state::killed));
  // Nor when its worker goes afterwards.
  out = fx.book.worker_lost("w1", "gone");
  BOOST_TEST(all_of<launch_driver_order>(out).empty());
  BOOST_TEST((fx.book.driver("driver-1")->state == driver_state::killed));
  BOOST_TEST(fx.book.driver("driver-1")->relaunches == 0);
}

BOOST_AUTO_TEST_CASE(a_driver_killed_while_relaunching_is_not_placed_again) {
  book_fixture fx;
  fx.add_worker("w1", 2, 2048);
  fx.add_driver("driver-0", driver_asking(1, 512, true));
  fx.book.worker_lost("w1", "gone");
  BOOST_TEST((fx.book.driver("driver-0")->state == driver_state::relaunching));
  book_decisions out;
  fx.book.kill_driver("driver-0", out);
  BOOST_TEST(all_of<kill_driver_order>(out).empty());  // it runs nowhere
  BOOST_TEST((fx.book.driver("driver-0")->state == driver_state::killed));
  BOOST_TEST(all_of<launch_driver_order>(fx.add_worker("w2", 2, 2048)).empty());
}

BOOST_AUTO_TEST_CASE(a_relaunch_goes_to_another_alive_worker_with_room) {
  book_fixture fx;
  fx.add_worker("w1", 4, 4096);
  fx.add_driver("driver-0", driver_asking(2, 1024, true));
  BOOST_TEST(fx.book.driver("driver-0")->worker == "w1");
  fx.add_worker("full", 1, 4096);   // too few cores for the driver
  fx.add_worker("roomy", 2, 2048);
  auto out = fx.book.worker_lost("w1", "connection closed");
  auto launches = all_of<launch_driver_order>(out);
  BOOST_REQUIRE(launches.size() == 1u);
  BOOST_TEST(launches[0].worker == "roomy");
  auto* d = fx.book.driver("driver-0");
  BOOST_TEST((d->state == driver_state::running));
  BOOST_TEST(d->worker == "roomy");
  BOOST_TEST(d->relaunches == 1);
  BOOST_TEST(d->message == "relaunch 1 of 3 after: worker w1 lost: connection closed");
  BOOST_TEST(fx.book.worker("roomy")->cores_used == 2);
  BOOST_TEST(fx.book.worker("roomy")->drivers.count("driver-0") == 1u);
}

BOOST_AUTO_TEST_CASE(a_stale_report_of_an_earlier_attempt_does_not_touch_the_new_one) {
  book_fixture fx;
  fx.add_worker("w1", 2, 2048);
  fx.add_driver("driver-0", driver_asking(1, 512, true));
  fx.add_worker("w2", 2, 2048);
  fx.book.worker_lost("w1", "no heartbeat for 5000 ms");  // frozen, say
  auto* d = fx.book.driver("driver-0");
  BOOST_TEST(d->worker == "w2");
  // The thawed worker reports the first attempt's end: ignored.
  auto out = fx.book.driver_state_changed("driver-0", driver_state::failed, "signal 15", "w1");
  BOOST_TEST(out.empty());
  BOOST_TEST((d->state == driver_state::running));
  BOOST_TEST(d->relaunches == 1);
  BOOST_TEST(fx.book.worker("w2")->cores_used == 1);
  out = fx.book.driver_state_changed("driver-0", driver_state::finished, "exit 0", "w1");
  BOOST_TEST(out.empty());
  BOOST_TEST((d->state == driver_state::running));
  // The new attempt's own reports count.
  out = fx.book.driver_state_changed("driver-0", driver_state::finished, "exit 0", "w2");
  BOOST_TEST((d->state == driver_state::finished));
  BOOST_TEST(fx.book.worker("w2")->cores_used == 0);
}

BOOST_AUTO_TEST_CASE(reports_for_a_driver_waiting_to_be_relaunched_are_stale) {
  book_fixture fx;
  fx.add_worker("w1", 2, 2048);
  fx.add_driver("driver-0", driver_asking(1, 512, true));
  fx.book.worker_lost("w1", "gone");
  auto* d = fx.book.driver("driver-0");
  BOOST_TEST((d->state == driver_state::relaunching));
  BOOST_TEST(fx.book.driver_state_changed("driver-0", driver_state::failed, "late").empty());
  BOOST_TEST(fx.book.driver_state_changed("driver-0", driver_state::running, "late").empty());
  BOOST_TEST((d->state == driver_state::relaunching));
  BOOST_TEST(d->relaunches == 1);
}

BOOST_AUTO_TEST_CASE(the_application_of_an_attempt_whose_worker_was_lost_is_ended_on_relaunch) {
  book_fixture fx;
  fx.add_worker("w1", 1, 1024);
  fx.add_worker("w2", 2, 2048);
  fx.add_driver("driver-0", driver_asking(1, 512, true));   // w2: most free cores
  fx.add_driver("driver-1", driver_asking(1, 512, false));  // w1 or w2
  BOOST_REQUIRE(fx.book.driver("driver-0")->worker == "w2");
  auto req = app_asking(512, 1, 1);
  req.driver = "driver-0";
  fx.add_app("app-0", req);
  auto req1 = app_asking(512, 1, 1);
  req1.driver = "driver-1";
  fx.add_app("app-1", req1);
  auto out = fx.book.worker_lost("w2", "no heartbeat for 5000 ms");
  // A frozen worker's driver process may still run: its application ends,
  // and the relaunched attempt registers a new one.
  auto notes = all_of<app_state_note>(out);
  BOOST_REQUIRE(notes.size() == 1u);
  BOOST_TEST(notes[0].app == "app-0");
  BOOST_TEST((notes[0].state == app_state::killed));
  BOOST_TEST(notes[0].message == "its driver driver-0 is relaunched: worker w2 lost");
  BOOST_TEST((fx.book.app("app-0")->state == app_state::killed));
  BOOST_TEST((fx.book.driver("driver-0")->state == driver_state::relaunching
              || fx.book.driver("driver-0")->state == driver_state::running));
  // An unsupervised driver's application is left to its driver (its DOWN fails it).
  BOOST_TEST(!is_finished(fx.book.app("app-1")->state));
}

BOOST_AUTO_TEST_CASE(a_supervised_driver_on_a_stopping_worker_is_relaunched_once_the_worker_is_gone) {
  book_fixture fx;
  fx.add_worker("w1", 2, 2048);
  fx.add_driver("driver-0", driver_asking(1, 512, true));
  fx.add_driver("driver-1", driver_asking(1, 512, false));
  fx.add_worker("w2", 2, 2048);
  // A stopping worker kills its drivers and says so, then says it stops.
  auto out = fx.book.driver_state_changed("driver-0", driver_state::killed, "its worker stopped", "w1");
  BOOST_TEST(out.empty());
  BOOST_TEST((fx.book.driver("driver-0")->state == driver_state::running));
  fx.book.driver_state_changed("driver-1", driver_state::killed, "its worker stopped", "w1");
  BOOST_TEST((fx.book.driver("driver-1")->state == driver_state::killed));  // as before
  out = fx.book.worker_stopping("w1");
  auto launches = all_of<launch_driver_order>(out);
  BOOST_REQUIRE(launches.size() == 1u);
  BOOST_TEST(launches[0].driver == "driver-0");
  BOOST_TEST(launches[0].worker == "w2");
  BOOST_TEST(fx.book.driver("driver-0")->relaunches == 1);
  BOOST_TEST(fx.book.driver("driver-0")->message == "relaunch 1 of 3 after: worker w1 lost: stopped");
}

BOOST_AUTO_TEST_CASE(a_relaunch_limit_of_zero_fails_a_supervised_driver_and_says_so) {
  book_options o;
  o.max_driver_relaunches = 0;
  book_fixture fx{o};
  fx.add_worker("w1", 2, 2048);
  fx.add_driver("driver-0", driver_asking(1, 512, true));
  fx.book.worker_lost("w1", "gone");
  auto* d = fx.book.driver("driver-0");
  BOOST_TEST((d->state == driver_state::failed));
  BOOST_TEST(d->message == "failed after 0 relaunches (driver.max-relaunches=0); last: worker w1 lost: gone");
}

// -- executor failures -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(at_the_failure_limit_an_app_with_a_running_executor_goes_on) {
  book_options o;
  o.max_executor_failures = 2;
  o.max_failures_per_worker = 5;
  book_fixture fx{o};
  fx.add_worker("good", 2, 4096);
  fx.add_worker("bad", 2, 4096);
  auto out = fx.add_app("app-0", app_asking(1024, 0));
  auto on = [](const book_decisions& ds, const std::string& w) {
    for (auto& l : all_of<launch_executor_order>(ds))
      if (l.worker == w)
        return l.exec;
    return executor_id{};
  };
  auto good = on(out, "good");
  auto bad = on(out, "bad");
  BOOST_REQUIRE(!good.empty());
  BOOST_REQUIRE(!bad.empty());
  fx.book.executor_state_changed("app-0", good, executor_state::running, "", fx.now);
  for (int i = 0; i < 3; ++i) {
    out = fx.book.executor_state_changed("app-0", bad, executor_state::failed, "crash", fx.now);
    BOOST_TEST(all_of<app_state_note>(out).empty(), "failure " << i);
    bad = on(out, "bad");
    BOOST_REQUIRE_MESSAGE(!bad.empty(), "failure " << i);
  }
  auto* app = fx.book.app("app-0");
  BOOST_TEST(app->executor_failures == 3);
  BOOST_TEST((app->state == app_state::running));
  // The running one fails soon after starting too: nothing runs, the limit is passed.
  fx.now += 100;
  out = fx.book.executor_state_changed("app-0", good, executor_state::failed, "crash", fx.now);
  auto notes = all_of<app_state_note>(out);
  BOOST_REQUIRE(notes.size() == 1u);
  BOOST_TEST(notes[0].message == "executors failed 4 times; last: crash");
  BOOST_TEST((app->state == app_state::failed));
}

BOOST_AUTO_TEST_CASE(executors_that_ran_a_while_before_failing_count_neither_against_the_app_nor_their_worker) {
  book_options o;
  o.max_executor_failures = 2;
  o.max_failures_per_worker = 2;
  o.executor_min_uptime_ms = 5000;
  book_fixture fx{o};
  fx.add_worker("w1", 2, 4096);
  auto exec = all_of<launch_executor_order>(fx.add_app("app-0", app_asking(1024, 0))).at(0).exec;
  // SIGKILLed again and again mid-job (chaos): each replacement goes back to the same healthy worker.
  for (int i = 0; i < 6; ++i) {
    fx.book.executor_state_changed("app-0", exec, executor_state::running, "", fx.now);
    fx.now += 6000;
    auto out = fx.book.executor_state_changed("app-0", exec, executor_state::failed, "killed by signal 9", fx.now);
    BOOST_TEST(all_of<executor_removed_note>(out).size() == 1u);
    BOOST_TEST(all_of<app_state_note>(out).empty());
    auto again = all_of<launch_executor_order>(out);
    BOOST_REQUIRE_MESSAGE(again.size() == 1u, "kill " << i);
    BOOST_TEST(again[0].worker == "w1");
    exec = again[0].exec;
  }
  auto* app = fx.book.app("app-0");
  BOOST_TEST(app->executor_failures == 0);
  BOOST_TEST(app->excluded.empty());
  BOOST_TEST((app->state == app_state::running));
  // One that dies right after it started still counts.
  fx.book.executor_state_changed("app-0", exec, executor_state::running, "", fx.now);
  fx.now += 4999;
  fx.book.executor_state_changed("app-0", exec, executor_state::failed, "exit 1", fx.now);
  BOOST_TEST(app->executor_failures == 1);
  BOOST_TEST(app->failures_on.at("w1") == 1);
}

BOOST_AUTO_TEST_CASE(executors_lost_with_their_worker_do_not_count) {
  book_options o;
  o.max_executor_failures = 1;
  book_fixture fx{o};
  for (int i = 0; i < 3; ++i) {
    auto id = "w" + std::to_string(i);
    fx.add_worker(id, 2, 4096);
    if (i == 0)
      fx.add_app("app-0", app_asking(1024, 2));
    fx.book.worker_lost(id, "killed");
  }
  auto* app = fx.book.app("app-0");
  BOOST_TEST(app->executor_failures == 0);
  BOOST_TEST(app->failures_on.empty());
  BOOST_TEST(app->excluded.empty());
  BOOST_TEST((app->state == app_state::running));
  BOOST_TEST(all_of<launch_executor_order>(fx.add_worker("w9", 2, 4096)).size() == 1u);
}

// -- waiting applications --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_app_that_no_worker_can_host_waits_with_a_reason_naming_the_largest_offer) {
  book_fixture fx;
  fx.add_worker("w1", 2, 1024);
  fx.add_worker("w2", 4, 2048);
  auto out = fx.add_app("app-0", app_asking(4096, 0, 2));
  BOOST_TEST(all_of<launch_executor_order>(out).empty());
  auto* app = fx.book.app("app-0");
  BOOST_TEST((app->state == app_state::waiting));
  BOOST_TEST(app->waiting_reason
             == "asks for executors of 2 cores and 4096 MiB; the largest free offer is 4 cores and 2048 MiB on w2");
  // A worker with room comes: placed, and the reason is gone.
  out = fx.add_worker("w3", 2, 8192);
  BOOST_TEST(cores_by_worker(out)["w3"] == 2);
  BOOST_TEST(app->waiting_reason.empty());
  BOOST_TEST((app->state == app_state::running));
}

BOOST_AUTO_TEST_CASE(waiting_reasons_for_cores_without_memory_memory_without_cores_and_no_workers) {
  {
    book_fixture fx;
    auto out = fx.add_app("app-0", app_asking(1024, 0));
    BOOST_TEST(fx.book.app("app-0")->waiting_reason
               == "asks for executors of at least 1 core and 1024 MiB; no worker is alive");
  }
  {
    // w1 has the memory but not the cores, w2 the cores but not the memory:
    // each meets one need; the one with more memory is named.
    book_fixture fx;
    fx.add_worker("w1", 1, 8192);
    fx.add_worker("w2", 4, 1024);
    fx.add_app("app-0", app_asking(4096, 0, 2));
    BOOST_TEST(fx.book.app("app-0")->waiting_reason
               == "asks for executors of 2 cores and 4096 MiB; the largest free offer is 1 core and 8192 MiB on w1");
  }
  {
    // Memory for it everywhere, cores nowhere: the offer that has the memory and most cores.
    book_fixture fx;
    fx.add_worker("w1", 1, 2048);
    fx.add_worker("w2", 2, 512);
    fx.add_worker("w3", 3, 4096);
    fx.add_app("app-0", app_asking(1024, 0, 4));
    BOOST_TEST(fx.book.app("app-0")->waiting_reason
               == "asks for executors of 4 cores and 1024 MiB; the largest free offer is 3 cores and 4096 MiB on w3");
  }
  {
    // Room in cores and memory, but taken by another application.
    book_fixture fx;
    fx.add_worker("w1", 2, 2048);
    fx.add_app("app-0", app_asking(1024, 0));
    fx.add_app("app-1", app_asking(1024, 0));
    BOOST_TEST(fx.book.app("app-0")->waiting_reason.empty());
    BOOST_TEST(fx.book.app("app-1")->waiting_reason
               == "asks for executors of at least 1 core and 1024 MiB; the largest free offer is 0 cores and 1024 MiB on w1");
    // ... until it ends.
    fx.book.unregister_application("app-0", app_state::finished);
    BOOST_TEST(fx.book.app("app-1")->waiting_reason.empty());
    BOOST_TEST(fx.book.app("app-0")->waiting_reason.empty());
  }
  {
    // Executors larger than the total it may have: it can never start.
    book_fixture fx;
    fx.add_worker("w1", 8, 8192);
    fx.add_app("app-0", app_asking(1024, 1, 2));
    BOOST_TEST(fx.book.app("app-0")->waiting_reason
               == "asks for executors of 2 cores and 1024 MiB but at most 1 core in all (total-executor-cores)");
  }
}

BOOST_AUTO_TEST_CASE(waiting_notes_come_after_the_first_delay_then_at_every_interval_until_placed) {
  book_options o;
  o.waiting_first_note_ms = 2000;
  o.waiting_note_every_ms = 15000;
  book_fixture fx{o};
  fx.add_worker("w1", 2, 1024);
  fx.add_app("app-0", app_asking(65536, 0));
  fx.add_app("app-1", app_asking(512, 0));  // placed: never noted
  auto t0 = fx.now;
  BOOST_TEST(fx.book.waiting_notes(t0).empty());  // first seen waiting
  BOOST_TEST(fx.book.waiting_notes(t0 + 1999).empty());
  auto out = fx.book.waiting_notes(t0 + 2000);
  auto notes = all_of<app_waiting_note>(out);
  BOOST_REQUIRE(notes.size() == 1u);
  BOOST_TEST(notes[0].app == "app-0");
  BOOST_TEST(notes[0].message
             == "asks for executors of at least 1 core and 65536 MiB; the largest free offer is 0 cores and 512 MiB on w1");
  BOOST_TEST(fx.book.waiting_notes(t0 + 2000 + 14999).empty());
  BOOST_TEST(all_of<app_waiting_note>(fx.book.waiting_notes(t0 + 17000)).size() == 1u);
  BOOST_TEST(fx.book.waiting_notes(t0 + 17001).empty());
  // The reason follows the offers: app-1 ends, and the message names the freed room.
  fx.book.unregister_application("app-1", app_state::finished);
  notes = all_of<app_waiting_note>(fx.book.waiting_notes(t0 + 32000));
  BOOST_REQUIRE(notes.size() == 1u);
  BOOST_TEST(notes[0].message
             == "asks for executors of at least 1 core and 65536 MiB; the largest free offer is 2 cores and 1024 MiB on w1");
  // A worker that can host it comes: no more notes, even long after.
  fx.add_worker("big", 4, 131072);
  BOOST_TEST(fx.book.waiting_notes(t0 + 100000).empty());
  BOOST_TEST(fx.book.app("app-0")->waiting_reason.empty());
}

BOOST_AUTO_TEST_CASE(a_running_app_left_without_executors_is_noted_and_a_finished_one_never) {
  book_options o;
  o.waiting_first_note_ms = 0;
  book_fixture fx{o};
  fx.add_worker("w1", 2, 2048);
  fx.add_app("app-0", app_asking(1024, 0));
  fx.add_app("app-1", app_asking(1024, 0));
  BOOST_TEST(fx.book.waiting_notes(fx.now).size() == 1u);  // app-1: no room
  fx.book.kill_application("app-1", "enough");
  fx.book.worker_lost("w1", "gone");
  auto notes = all_of<app_waiting_note>(fx.book.waiting_notes(fx.now));
  BOOST_REQUIRE(notes.size() == 1u);
  BOOST_TEST(notes[0].app == "app-0");
  BOOST_TEST(notes[0].message == "asks for executors of at least 1 core and 1024 MiB; no worker is alive");
  BOOST_TEST(fx.book.app("app-1")->waiting_reason.empty());
}

BOOST_AUTO_TEST_SUITE_END()
