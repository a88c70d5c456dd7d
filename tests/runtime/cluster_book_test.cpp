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

BOOST_AUTO_TEST_CASE(a_lost_worker_fails_its_drivers_supervised_or_not) {
  book_fixture fx;
  fx.add_worker("w1", 4, 4096);
  auto out = fx.add_driver("driver-0", driver_asking(1, 512, false));
  out = fx.add_driver("driver-1", driver_asking(1, 512, true));
  BOOST_TEST((fx.book.driver("driver-1")->state == driver_state::running));
  BOOST_TEST(fx.book.worker("w1")->drivers.size() == 2u);
  out = fx.book.worker_lost("w1", "gone");
  for (auto id : {"driver-0", "driver-1"}) {
    auto* d = fx.book.driver(id);
    BOOST_REQUIRE(d);
    BOOST_TEST((d->state == driver_state::failed));
    BOOST_TEST(d->message == "its worker w1 was lost: gone");
    BOOST_TEST(!fx.book.relaunches(*d));  // the hook of supervised relaunch: not yet
  }
  BOOST_TEST(fx.book.driver("driver-1")->request.supervise);
  BOOST_TEST(all_of<launch_driver_order>(out).empty());
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
  // The executor exits: its cores go to the waiting driver first, the rest to the app.
  out = fx.book.executor_state_changed("app-0", "0", executor_state::exited, "bye");
  BOOST_REQUIRE(out.size() >= 2u);
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
  BOOST_TEST(fx.book.executor_state_changed("app-0", first.exec, executor_state::running, "").empty());
  BOOST_TEST((fx.book.app("app-0")->executors.at(first.exec).state == executor_state::running));
  auto out = fx.book.executor_state_changed("app-0", first.exec, executor_state::exited, "bye");
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
  // Unknown apps and executors, repeated reports: nothing.
  BOOST_TEST(fx.book.executor_state_changed("app-0", first.exec, executor_state::exited, "bye").empty());
  BOOST_TEST(fx.book.executor_state_changed("app-9", "0", executor_state::failed, "?").empty());
  BOOST_TEST(fx.book.executor_state_changed("app-0", "99", executor_state::failed, "?").empty());
}

BOOST_AUTO_TEST_CASE(an_app_whose_executors_keep_failing_fails) {
  book_options o;
  o.max_executor_failures = 3;
  book_fixture fx{o};
  fx.add_worker("w1", 2, 4096);
  auto exec = all_of<launch_executor_order>(fx.add_app("app-0", app_asking(1024, 0))).at(0).exec;
  book_decisions out;
  for (int i = 0; i < 3; ++i) {
    out = fx.book.executor_state_changed("app-0", exec, executor_state::failed, "crash " + std::to_string(i));
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
  out = fx.book.executor_state_changed("app-0", exec, executor_state::failed, "cannot create work/app-0/0");
  exec = on_bad(out);
  BOOST_REQUIRE(!exec.empty());
  BOOST_TEST(fx.book.app("app-0")->excluded.empty());
  // Second: excluded for this application; the healthy worker carries it.
  out = fx.book.executor_state_changed("app-0", exec, executor_state::failed, "cannot create work/app-0/1");
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
  fx.book.executor_state_changed("app-1", exec1, executor_state::exited, "done");
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
    out = fx.book.executor_state_changed("app-0", exec, executor_state::failed, "crash " + std::to_string(i));
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
  BOOST_TEST(fx.book.executor_state_changed(name(0), "0", executor_state::failed, "?").empty());
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
  auto out = fx.book.executor_state_changed("app-0", "0", executor_state::failed, "x");
  BOOST_TEST(fx.book.app("app-0") != nullptr);  // one failure is not the end
  out = fx.book.unregister_application("app-0", app_state::finished);
  BOOST_TEST(all_of<app_forgotten>(out).size() == 1u);
  BOOST_TEST(fx.book.app("app-0") == nullptr);
  BOOST_TEST(fx.book.apps().empty());
}

BOOST_AUTO_TEST_SUITE_END()
