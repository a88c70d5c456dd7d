// Integration, control: troupe status / kill / logs against a standing
// cluster, and submitters stopped by signals.
#include "tests/integration/cluster.hpp"
#include "tests/integration/inputs.hpp"

#include <boost/test/unit_test.hpp>

#include <regex>
#include <string>
#include <vector>

using namespace troupe::itest;

namespace {

/// A cluster of two workers (2 cores, 2g each), executors as processes.
struct control_cluster {
  cluster c{{}, "troupe-itest-control"};
  temp_dir data{"troupe-itest-control-data"};
  std::string text_path = data.write("words.txt", make_text());
  control_cluster() {
    c.add_worker(2, "2g");
    c.add_worker(2, "2g");
    auto st = c.await_alive(2);
    BOOST_TEST_REQUIRE(st.alive_workers() == 2, st.text);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(control, control_cluster, *boost::unit_test::timeout(90))

BOOST_AUTO_TEST_CASE(status_lists_workers_applications_and_drivers) {
  auto client = troupe_cmd({"submit", "--master", c.url(), "word_count", text_path});
  BOOST_TEST_REQUIRE(client.exit_code == 0, describe(client));
  auto cl = troupe_cmd({"submit", "--master", c.url(), "--deploy-mode", "cluster", "--wait", "word_count", text_path});
  BOOST_TEST_REQUIRE(cl.exit_code == 0, describe(cl));
  auto driver = submitted_driver(cl.out);
  BOOST_TEST_REQUIRE(!driver.empty(), describe(cl));

  auto st = cluster_status(c.url());
  BOOST_TEST_REQUIRE(st.ok, st.text);
  BOOST_TEST(contains(st.text, "master " + c.url()), st.text);
  BOOST_TEST(contains(st.text, "WORKERS (2)"), st.text);
  BOOST_TEST(st.alive_workers() == 2, st.text);
  BOOST_TEST(contains(st.text, "APPLICATIONS (2)"), st.text);
  BOOST_TEST(contains(st.text, "DRIVERS (1)"), st.text);
  BOOST_TEST_REQUIRE(st.apps.size() == 2u, st.text);
  int client_apps = 0, cluster_apps = 0;
  for (auto& a : st.apps) {
    BOOST_TEST(a.name == "word_count", st.text);
    BOOST_TEST(a.state == "FINISHED", st.text);
    if (a.driver_line.rfind("client mode", 0) == 0)
      ++client_apps;
    static const std::regex cluster_line{R"(^cluster mode, driver (driver-\S+) on worker (worker-\S+))"};
    std::smatch m;
    if (std::regex_search(a.driver_line, m, cluster_line)) {
      ++cluster_apps;
      BOOST_TEST(m[1].str() == driver, st.text);
      BOOST_TEST(st.worker_state(m[2]) == "ALIVE", "the driver's worker " << m[2] << " is not listed:\n" << st.text);
    }
  }
  BOOST_TEST(client_apps == 1, st.text);
  BOOST_TEST(cluster_apps == 1, st.text);
  BOOST_TEST_REQUIRE(st.drivers.size() == 1u, st.text);
  BOOST_TEST(st.drivers[0].id == driver, st.text);
  BOOST_TEST(st.drivers[0].app == "word_count", st.text);
  BOOST_TEST(st.drivers[0].state == "FINISHED", st.text);
  BOOST_TEST(st.worker_state(st.drivers[0].worker) == "ALIVE", st.text);
}

BOOST_AUTO_TEST_CASE(logs_print_the_output_of_a_finished_cluster_mode_driver) {
  auto local = troupe_cmd({"submit", "--master", "local[2]", "word_count", text_path});
  BOOST_TEST_REQUIRE(local.exit_code == 0, describe(local));
  auto sub = troupe_cmd({"submit", "--master", c.url(), "--deploy-mode", "cluster", "word_count", text_path}, 20s);
  BOOST_TEST_REQUIRE(sub.exit_code == 0, describe(sub));
  auto driver = submitted_driver(sub.out);
  BOOST_TEST_REQUIRE(!driver.empty(), describe(sub));
  BOOST_TEST(lines_of(sub.out).size() == 1u, "without --wait only the driver id is printed:\n" << describe(sub));
  driver_report d;
  bool finished = wait_until(
    [&] {
      d = driver_status(c.url(), driver);
      return d.state == "FINISHED" || d.state == "FAILED" || d.state == "KILLED";
    },
    30s, 200ms);
  BOOST_TEST_REQUIRE(finished, describe(d.run));
  BOOST_TEST_REQUIRE(d.state == "FINISHED", describe(d.run));
  auto logs = troupe_cmd({"logs", "--master", c.url(), driver}, 20s);
  BOOST_TEST(logs.exit_code == 0, describe(logs));
  BOOST_TEST(logs.out == local.out, describe(logs));
}

BOOST_AUTO_TEST_CASE(kill_stops_a_running_cluster_mode_driver_and_its_executors) {
  // pi over 3e9 samples runs for minutes on this machine: killed long before.
  auto sub = troupe_cmd({"submit", "--master", c.url(), "--deploy-mode", "cluster", "pi", "3000000000"}, 20s);
  BOOST_TEST_REQUIRE(sub.exit_code == 0, describe(sub));
  auto driver = submitted_driver(sub.out);
  BOOST_TEST_REQUIRE(!driver.empty(), describe(sub));

  driver_report d;
  bool running = wait_until(
    [&] {
      d = driver_status(c.url(), driver);
      return d.state == "RUNNING";
    },
    15s, 100ms);
  BOOST_TEST_REQUIRE(running, describe(d.run));
  BOOST_TEST(contains(d.run.out, "app:     pi"), d.run.out);
  auto st = cluster_status(c.url());
  BOOST_TEST_REQUIRE(!d.worker.empty(), d.run.out);
  BOOST_TEST(st.worker_state(d.worker) == "ALIVE", "status of " << driver << " names worker " << d.worker
                                                               << ", not in the cluster's status:\n" << st.text);

  // Its process, and the executors of its application once they run.
  auto driver_arg = "--driver-id " + driver;
  BOOST_TEST_REQUIRE(wait_until([&] { return !suite_processes_matching(driver_arg).empty(); }, 10s),
                     "no process with " << driver_arg << ":\n" << describe(suite_processes()));
  std::string app;
  bool executors = wait_until(
    [&] {
      st = cluster_status(c.url());
      auto* a = st.find_app_of_driver(driver);
      if (a == nullptr)
        return false;
      app = a->id;
      return a->state == "RUNNING" && !suite_processes_matching("--app-id " + app + " ").empty();
    },
    15s, 100ms);
  BOOST_TEST_REQUIRE(executors, "the application of " << driver << " got no running executor process:\n"
                                                      << st.text << describe(suite_processes()));
  // Still running after a while: this is a long driver, not one that ended on its own.
  d = driver_status(c.url(), driver);
  BOOST_TEST_REQUIRE(d.state == "RUNNING", describe(d.run));

  auto start = clock::now();
  auto k = troupe_cmd({"kill", "--master", c.url(), driver}, 20s);
  BOOST_TEST(k.exit_code == 0, describe(k));
  BOOST_TEST(contains(k.out, "driver " + driver + ": KILLED"), describe(k));
  bool killed = wait_until(
    [&] {
      d = driver_status(c.url(), driver);
      return d.state == "KILLED";
    },
    5s, 100ms);
  BOOST_TEST(killed, describe(d.run));
  bool driver_gone = wait_until([&] { return suite_processes_matching(driver_arg).empty(); }, 5s);
  BOOST_TEST(driver_gone, "the driver's process is still there " << seconds_since(start) << " s after kill:\n"
                                                                  << describe(suite_processes_matching(driver_arg)));
  bool executors_gone = wait_until([&] { return suite_processes_matching("--app-id " + app + " ").empty(); }, 10s);
  BOOST_TEST(executors_gone, "executors of " << app << " still run " << seconds_since(start) << " s after kill:\n"
                                             << describe(suite_processes_matching("--app-id " + app + " ")));
  // The application is over too, and its cores are free again.
  bool app_over = wait_until(
    [&] {
      st = cluster_status(c.url());
      auto* a = st.find_app_of_driver(driver);
      return a != nullptr && a->state != "RUNNING" && a->state != "WAITING" && !contains(st.text, "cores 1/2")
             && !contains(st.text, "cores 2/2");
    },
    10s, 100ms);
  BOOST_TEST(app_over, st.text);
  BOOST_TEST_MESSAGE("kill: driver and executors gone " << seconds_since(start) << " s after troupe kill");
}

BOOST_AUTO_TEST_CASE(a_waiting_cluster_mode_submitter_stops_on_sigterm) {
  background_process sub({troupe_binary(), "submit", "--master", c.url(), "--deploy-mode", "cluster", "--wait", "pi",
                          "3000000000"},
                         data.path(), "submit-wait");
  std::string driver;
  BOOST_TEST_REQUIRE(wait_until(
                       [&] {
                         driver = submitted_driver(sub.out());
                         return !driver.empty() || sub.poll();
                       },
                       10s),
                     sub.describe());
  BOOST_TEST_REQUIRE(!driver.empty(), sub.describe());
  driver_report d;
  BOOST_TEST_REQUIRE(wait_until(
                       [&] {
                         d = driver_status(c.url(), driver);
                         return d.state == "RUNNING";
                       },
                       15s, 100ms),
                     describe(d.run));
  // Like Ctrl-C: the submitter stops following (the driver is the cluster's business now).
  auto start = clock::now();
  sub.signal(SIGTERM);
  auto code = sub.wait_exit(5s);
  BOOST_TEST(code.has_value(), "troupe submit --wait still runs " << seconds_since(start) << " s after SIGTERM:\n"
                                                                 << sub.describe());
  if (!code)
    sub.stop(500ms);  // SIGKILL then
  auto k = troupe_cmd({"kill", "--master", c.url(), driver}, 20s);
  BOOST_TEST(k.exit_code == 0, describe(k));
}

BOOST_AUTO_TEST_CASE(a_client_mode_submitter_stops_its_application_on_sigterm) {
  background_process sub({troupe_binary(), "submit", "--master", c.url(), "pi", "3000000000"}, data.path(),
                         "submit-client");
  status_report st;
  const status_report::app* app = nullptr;
  bool running = wait_until(
    [&] {
      st = cluster_status(c.url());
      app = st.apps.size() == 1 ? &st.apps[0] : nullptr;
      return app != nullptr && app->state == "RUNNING"
             && !suite_processes_matching("--app-id " + app->id + " ").empty();
    },
    15s, 100ms);
  BOOST_TEST_REQUIRE(running, st.text << sub.describe());
  auto app_id = app->id;
  BOOST_TEST(app->driver_line.rfind("client mode", 0) == 0, st.text);
  auto start = clock::now();
  sub.signal(SIGTERM);
  auto code = sub.wait_exit(5s);
  BOOST_TEST_REQUIRE(code.has_value(), "client-mode submit still runs 5 s after SIGTERM:\n" << sub.describe());
  BOOST_TEST(*code != 0, sub.describe());
  BOOST_TEST(sub.term_signal() == 0, "killed by the signal instead of stopping:\n" << sub.describe());
  bool executors_gone = wait_until([&] { return suite_processes_matching("--app-id " + app_id + " ").empty(); }, 10s);
  BOOST_TEST(executors_gone, "executors of " << app_id << " still run " << seconds_since(start)
                                             << " s after their driver stopped:\n"
                                             << describe(suite_processes_matching("--app-id " + app_id + " ")));
  bool over = wait_until(
    [&] {
      st = cluster_status(c.url());
      return st.apps.size() == 1 && st.apps[0].state != "RUNNING" && st.apps[0].state != "WAITING";
    },
    10s, 100ms);
  BOOST_TEST(over, st.text);
}

BOOST_AUTO_TEST_CASE(kill_ends_an_application_and_its_driver_exits_with_the_reason) {
  background_process sub({troupe_binary(), "submit", "--master", c.url(), "pi", "3000000000"}, data.path(),
                         "submit-killed-app");
  status_report st;
  std::string app_id;
  bool running = wait_until(
    [&] {
      st = cluster_status(c.url());
      for (auto& a : st.apps)
        if (a.state == "RUNNING" && !suite_processes_matching("--app-id " + a.id + " ").empty())
          app_id = a.id;
      return !app_id.empty();
    },
    15s, 100ms);
  BOOST_TEST_REQUIRE(running, st.text << sub.describe());
  auto start = clock::now();
  auto r = troupe_cmd({"kill", "--master", c.url(), app_id}, 20s);
  BOOST_TEST(r.exit_code == 0, describe(r));
  BOOST_TEST(contains(r.out, "application " + app_id + ": KILLED"), describe(r));
  // Its driver (the client-mode submitter) exits on its own, saying why.
  auto code = sub.wait_exit(10s);
  BOOST_TEST_REQUIRE(code.has_value(), "the submitter still runs 10 s after its application was killed:\n"
                                           << sub.describe());
  BOOST_TEST(*code != 0, sub.describe());
  BOOST_TEST(contains(sub.err(), "killed"), sub.describe());
  BOOST_TEST_MESSAGE("driver exited " << seconds_since(start) << " s after troupe kill " << app_id);
  bool executors_gone = wait_until([&] { return suite_processes_matching("--app-id " + app_id + " ").empty(); }, 10s);
  BOOST_TEST(executors_gone, describe(suite_processes_matching("--app-id " + app_id + " ")));
  // An unknown application is an error that names it.
  auto unknown = troupe_cmd({"kill", "--master", c.url(), "app-19700101000000-9999"}, 20s);
  BOOST_TEST(unknown.exit_code == 1, describe(unknown));
  BOOST_TEST(contains(unknown.err, "no application app-19700101000000-9999"), describe(unknown));
}

BOOST_AUTO_TEST_CASE(a_driver_in_a_worker_thread_writes_to_the_worker_and_logs_say_so) {
  // A worker that runs drivers as threads of its own (driver.isolation=thread):
  // one thread's stdout cannot be captured apart from its process's, so the
  // output lands in the worker's stdout and `troupe logs` says so.
  cluster t{{}, "troupe-itest-thread-driver"};
  auto& worker = t.add_worker(2, "2g", {"driver.isolation=thread", "executor.isolation=thread"});
  BOOST_TEST_REQUIRE(t.await_alive(1).alive_workers() == 1);
  auto local = troupe_cmd({"submit", "--master", "local[2]", "word_count", text_path});
  BOOST_TEST_REQUIRE(local.exit_code == 0, describe(local));
  auto r = troupe_cmd({"submit", "--master", t.url(), "--deploy-mode", "cluster", "--wait", "word_count", text_path},
                      30s);
  BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
  auto driver = submitted_driver(r.out);
  BOOST_TEST(contains(r.err, "ran inside worker"), describe(r));
  BOOST_TEST(contains(worker.out(), local.out), "the driver's output is not in the worker's stdout:\n" << worker.describe());
  auto logs = troupe_cmd({"logs", "--master", t.url(), driver}, 20s);
  BOOST_TEST(logs.exit_code == 1, describe(logs));
  BOOST_TEST(contains(logs.err, "driver.isolation=thread"), describe(logs));
}

BOOST_AUTO_TEST_CASE(a_driver_in_a_worker_thread_applies_the_submitters_settings) {
  // 1 GiB worker: a 256m driver leaves room only if the driver also asks for
  // 256m executors, as the submitter said (a driver process gets that through
  // its --conf; a colocated one must apply the same settings).
  cluster t{{}, "troupe-itest-thread-driver-conf"};
  t.add_worker(2, "1g", {"driver.isolation=thread", "executor.isolation=thread"});
  BOOST_TEST_REQUIRE(t.await_alive(1).alive_workers() == 1);
  auto r = troupe_cmd({"submit", "--master", t.url(), "--deploy-mode", "cluster", "--wait", "--driver-memory", "256m",
                       "--executor-memory", "256m", "pi", "10000"},
                      30s);
  BOOST_TEST(r.exit_code == 0, describe(r));
  BOOST_TEST(!r.timed_out, describe(r));
  auto st = cluster_status(t.url());
  BOOST_TEST(contains(st.text, "FINISHED"), st.text);
}

BOOST_AUTO_TEST_CASE(an_unknown_driver_id_is_exit_1) {
  const std::string unknown = "driver-19700101000000-9999";
  for (const std::string cmd : {"status", "kill", "logs"}) {
    auto r = troupe_cmd({cmd, "--master", c.url(), unknown}, 20s);
    BOOST_TEST_INFO("troupe " << cmd);
    BOOST_TEST(r.exit_code == 1, describe(r));
    BOOST_TEST_INFO("troupe " << cmd);
    BOOST_TEST(contains(r.err, unknown), describe(r));
  }
  // The cluster does not mind.
  BOOST_TEST(cluster_status(c.url()).alive_workers() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
