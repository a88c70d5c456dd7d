// Integration, the other ends of a job: supervised cluster-mode drivers
// relaunched when their worker dies or they fail, unsupervised ones failed
// with the reason, a client-mode submitter killed with SIGKILL, and an
// application that no worker can host.
#include "tests/integration/cluster.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <regex>
#include <thread>
#include <string>
#include <vector>

using namespace troupe::itest;

namespace {

/// Failure detection in about a second on every node (CAF's connection
/// heartbeat must be set on all of them).
const std::vector<std::string> fast{"worker.timeout=1500", "heartbeat.interval=200", "network.timeout=1000"};

/// `troupe status --master URL DRIVER` with the relaunch count and message.
struct driver_view {
  driver_report r;
  int relaunches = -1;  ///< -1: no "relaunches:" line
  std::string message;
};

driver_view view_driver(const std::string& url, const std::string& driver) {
  driver_view v;
  v.r = driver_status(url, driver);
  static const std::regex relaunches{R"(^  relaunches: (\d+))"};
  static const std::regex message{R"(^  message: (.*)$)"};
  for (auto& line : lines_of(v.r.run.out)) {
    std::smatch m;
    if (std::regex_search(line, m, relaunches))
      v.relaunches = std::stoi(m[1]);
    else if (std::regex_search(line, m, message))
      v.message = m[1];
  }
  return v;
}

bool finished(const std::string& state) { return state == "FINISHED" || state == "FAILED" || state == "KILLED"; }

/// The cores a worker's line in `troupe status` says are in use, or -1.
int cores_used(const status_report& st, const std::string& worker) {
  static const std::regex line{R"(^  (worker-\S+)  \S+  [A-Z]+  cores (\d+)/\d+)"};
  for (auto& l : lines_of(st.text)) {
    std::smatch m;
    if (std::regex_search(l, m, line) && m[1] == worker)
      return std::stoi(m[2]);
  }
  return -1;
}

/// The master's conf: fast failure detection, and executor failures count
/// only within half a second of their start (5 s by default), to test the
/// executor-failure rule in a few seconds.
std::vector<std::string> master_conf() {
  auto conf = fast;
  conf.push_back("master.executor-min-uptime=500");
  return conf;
}

/// A master and two workers (2 cores, 2g each) whose ids are known by index.
struct two_workers {
  cluster c{master_conf(), "troupe-itest-supervise"};
  std::vector<std::string> ids;
  two_workers() {
    // One at a time, to know which id is whose process.
    for (int i = 0; i < 2; ++i) {
      c.add_worker(2, "2g", fast);
      auto st = c.await_alive(i + 1);
      BOOST_TEST_REQUIRE(st.alive_workers() == i + 1, st.text);
      for (auto& [id, s] : st.workers)
        if (std::find(ids.begin(), ids.end(), id) == ids.end())
          ids.push_back(id);
    }
    BOOST_TEST_REQUIRE(ids.size() == 2u);
  }
  size_t index_of(const std::string& worker) const {
    return static_cast<size_t>(std::find(ids.begin(), ids.end(), worker) - ids.begin());
  }

  /// Submits `app` in cluster mode; returns the driver id once it is RUNNING
  /// on a worker and its process is up.
  std::string start_driver(const std::vector<std::string>& app, bool supervise) {
    std::vector<std::string> argv{"submit", "--master", c.url(), "--deploy-mode", "cluster"};
    if (supervise)
      argv.push_back("--supervise");
    argv.insert(argv.end(), app.begin(), app.end());
    auto sub = troupe_cmd(argv, 20s);
    BOOST_TEST_REQUIRE(sub.exit_code == 0, describe(sub));
    auto driver = submitted_driver(sub.out);
    BOOST_TEST_REQUIRE(!driver.empty(), describe(sub));
    driver_view d;
    bool running = wait_until(
      [&] {
        d = view_driver(c.url(), driver);
        return d.r.state == "RUNNING" && !d.r.worker.empty()
               && !suite_processes_matching("--driver-id " + driver).empty();
      },
      15s, 100ms);
    BOOST_TEST_REQUIRE(running, describe(d.r.run) << describe(suite_processes()));
    return driver;
  }

  /// SIGKILLs the worker process with id `worker`; its children get SIGTERM
  /// (they die with their parent) and are waited for.
  void kill_worker(const std::string& worker) {
    auto i = index_of(worker);
    BOOST_TEST_REQUIRE(i < ids.size(), "unknown worker " << worker);
    auto children = descendants(c.worker(i).pid());
    c.worker(i).signal(SIGKILL);
    BOOST_TEST(c.worker(i).wait_exit(5s).has_value());
    bool gone = wait_until(
      [&] {
        for (auto& p : children)
          if (is_running(p.pid))
            return false;
        return true;
      },
      10s);
    BOOST_TEST(gone, "children of the killed worker still run:\n" << describe(children));
    for (auto& p : children)
      kill_if_ours(p.pid);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(supervise, two_workers, *boost::unit_test::timeout(150))

BOOST_AUTO_TEST_CASE(a_supervised_driver_whose_worker_is_killed_runs_again_on_the_other_worker_and_finishes) {
  // Long enough to be running when its worker dies; short enough to finish after.
  auto driver = start_driver({"pi", "500000000"}, true);
  auto first = view_driver(c.url(), driver);
  BOOST_TEST(first.relaunches == 0, first.r.run.out);
  auto other = first.r.worker == ids[0] ? ids[1] : ids[0];

  auto start = clock::now();
  kill_worker(first.r.worker);
  driver_view d;
  bool moved = wait_until(
    [&] {
      d = view_driver(c.url(), driver);
      return d.relaunches == 1 && d.r.worker == other;
    },
    10s, 100ms);
  BOOST_TEST_REQUIRE(moved, "not relaunched on " << other << " " << seconds_since(start) << " s after SIGKILL of "
                                                 << first.r.worker << ":\n" << describe(d.r.run));
  BOOST_TEST_MESSAGE("supervised driver relaunched on the other worker " << seconds_since(start)
                                                                         << " s after its worker's SIGKILL");
  BOOST_TEST(contains(d.message, "relaunch 1 of 3 after: worker " + first.r.worker + " lost"), d.r.run.out);
  // The cluster's view says so too.
  auto st = cluster_status(c.url());
  BOOST_TEST(contains(st.text, "supervised  relaunches 1"), st.text);

  bool done = wait_until(
    [&] {
      d = view_driver(c.url(), driver);
      return finished(d.r.state);
    },
    90s, 250ms);
  BOOST_TEST_REQUIRE(done, describe(d.r.run));
  BOOST_TEST(d.r.state == "FINISHED", describe(d.r.run));
  BOOST_TEST(d.relaunches == 1, d.r.run.out);
  BOOST_TEST(d.r.worker == other, d.r.run.out);
  auto logs = troupe_cmd({"logs", "--master", c.url(), driver}, 20s);
  BOOST_TEST(contains(logs.out, "pi is roughly 3.1"), describe(logs));
}

BOOST_AUTO_TEST_CASE(an_unsupervised_driver_whose_worker_is_killed_fails_with_the_reason) {
  auto driver = start_driver({"pi", "3000000000"}, false);
  auto first = view_driver(c.url(), driver);
  BOOST_TEST(first.relaunches == -1, "no relaunch line without --supervise:\n" << first.r.run.out);
  auto start = clock::now();
  kill_worker(first.r.worker);
  driver_view d;
  bool failed = wait_until(
    [&] {
      d = view_driver(c.url(), driver);
      return finished(d.r.state);
    },
    10s, 100ms);
  BOOST_TEST_REQUIRE(failed, describe(d.r.run));
  BOOST_TEST_MESSAGE("unsupervised driver " << d.r.state << " " << seconds_since(start) << " s after SIGKILL");
  BOOST_TEST(d.r.state == "FAILED", describe(d.r.run));
  BOOST_TEST(d.message.rfind("worker " + first.r.worker + " lost: ", 0) == 0, d.r.run.out);
  // Not relaunched: no driver process of it anywhere.
  BOOST_TEST(wait_until([&] { return suite_processes_matching("--driver-id " + driver).empty(); }, 5s),
             describe(suite_processes_matching("--driver-id " + driver)));
}

BOOST_AUTO_TEST_CASE(a_supervised_driver_that_always_fails_is_relaunched_max_relaunches_times_then_fails) {
  auto driver = start_driver({"fault_demo", "always"}, true);
  driver_view d;
  bool over = wait_until(
    [&] {
      d = view_driver(c.url(), driver);
      return finished(d.r.state);
    },
    100s, 250ms);
  BOOST_TEST_REQUIRE(over, describe(d.r.run));
  BOOST_TEST(d.r.state == "FAILED", describe(d.r.run));
  BOOST_TEST(d.relaunches == 3, d.r.run.out);
  BOOST_TEST(contains(d.message, "failed after 3 relaunches (driver.max-relaunches=3); last: "), d.r.run.out);
  // Four attempts, each with an application of its own, all failed.
  auto st = cluster_status(c.url());
  int attempts = 0;
  for (auto& a : st.apps)
    if (contains(a.driver_line, "driver " + driver + " ")) {
      ++attempts;
      BOOST_TEST(a.state == "FAILED", st.text);
    }
  BOOST_TEST(attempts == 4, st.text);
}

BOOST_AUTO_TEST_CASE(a_client_mode_submitter_killed_with_sigkill_fails_its_application_and_frees_its_cores) {
  background_process sub({troupe_binary(), "submit", "--master", c.url(), "--conf", "network.timeout=1000", "--conf",
                          "heartbeat.interval=200", "pi", "3000000000"},
                         c.path("client"), "submit-client");
  status_report st;
  std::string app;
  bool running = wait_until(
    [&] {
      st = cluster_status(c.url());
      if (st.apps.size() != 1 || st.apps[0].state != "RUNNING")
        return false;
      app = st.apps[0].id;
      return !suite_processes_matching("--app-id " + app + " ").empty();
    },
    15s, 100ms);
  BOOST_TEST_REQUIRE(running, st.text << sub.describe());
  BOOST_TEST(cores_used(st, ids[0]) + cores_used(st, ids[1]) == 4, st.text);

  auto start = clock::now();
  sub.signal(SIGKILL);
  BOOST_TEST(sub.wait_exit(5s).value_or(-1) == 128 + SIGKILL, sub.describe());
  // Within the heartbeat timeout (worker.timeout 1.5 s here): failed, cores free.
  bool over = wait_until(
    [&] {
      st = cluster_status(c.url());
      return st.apps.size() == 1 && st.apps[0].state == "FAILED" && cores_used(st, ids[0]) == 0
             && cores_used(st, ids[1]) == 0;
    },
    3s, 100ms);
  BOOST_TEST(over, seconds_since(start) << " s after SIGKILL of the submitter:\n" << st.text);
  BOOST_TEST_MESSAGE("client-mode application FAILED, cores free " << seconds_since(start)
                                                                   << " s after SIGKILL of its submitter");
  bool executors_gone = wait_until([&] { return suite_processes_matching("--app-id " + app + " ").empty(); }, 10s);
  BOOST_TEST(executors_gone, "executors of " << app << " still run " << seconds_since(start) << " s after:\n"
                                             << describe(suite_processes_matching("--app-id " + app + " ")));
}

BOOST_AUTO_TEST_CASE(executors_killed_again_and_again_neither_fail_their_application_nor_exclude_their_worker) {
  // More kills than the master's limit of 10 executor failures.
  constexpr int kills = 12;
  background_process sub({troupe_binary(), "submit", "--master", c.url(), "--conf", "network.timeout=1000", "--conf",
                          "heartbeat.interval=200", "pi", "300000000000"},
                         c.path("kills"), "submit-kills");
  std::string app;
  status_report st;
  BOOST_TEST_REQUIRE(wait_until(
                       [&] {
                         st = cluster_status(c.url());
                         if (st.apps.size() != 1)
                           return false;
                         app = st.apps[0].id;
                         return st.apps[0].state == "RUNNING";
                       },
                       15s, 100ms),
                     st.text << sub.describe());
  // The executor process of the application on worker 0, once it runs there.
  auto executor_on_0 = [&] {
    for (auto& p : descendants(c.worker(0).pid()))
      if (contains(p.cmdline, "--app-id " + app + " "))
        return p.pid;
    return pid_t{0};
  };
  pid_t last = 0;
  for (int k = 0; k < kills; ++k) {
    pid_t pid = 0;
    bool up = wait_until(
      [&] {
        pid = executor_on_0();
        return pid != 0 && pid != last;
      },
      10s, 50ms);
    BOOST_TEST_REQUIRE(up, "no new executor of " << app << " on worker 0 before kill " << k << ":\n"
                                                 << cluster_status(c.url()).text << c.master().err());
    // Past master.executor-min-uptime (0.5 s): a loss in the middle of the job.
    std::this_thread::sleep_for(700ms);
    ::kill(pid, SIGKILL);
    last = pid;
  }
  BOOST_TEST(wait_until([&] { return executor_on_0() != 0 && executor_on_0() != last; }, 10s),
             "worker 0 got no executor after the last kill:\n" << cluster_status(c.url()).text);
  st = cluster_status(c.url());
  BOOST_TEST_REQUIRE(st.apps.size() == 1u, st.text);
  BOOST_TEST(st.apps[0].state == "RUNNING", st.text << c.master().err());
  BOOST_TEST(!sub.poll().has_value(), sub.describe());
  auto err = c.master().err();
  BOOST_TEST(!contains(err, "worker excluded"), err);
  BOOST_TEST(!contains(err, "executors failed"), err);
  sub.signal(SIGKILL);
  BOOST_TEST(sub.wait_exit(5s).has_value(), sub.describe());
  BOOST_TEST(wait_until([&] { return suite_processes_matching("--app-id " + app + " ").empty(); }, 10s),
             describe(suite_processes_matching("--app-id " + app + " ")));
}

BOOST_AUTO_TEST_CASE(an_application_no_worker_can_host_waits_and_its_submitter_says_why) {
  background_process sub({troupe_binary(), "submit", "--master", c.url(), "--executor-memory", "64g", "pi", "1000"},
                         c.path("waiting"), "submit-waiting");
  auto start = clock::now();
  const std::string warning = "is waiting for executors: asks for executors of at least 1 core and 65536 MiB; "
                              "the largest free offer is 2 cores and 2048 MiB on worker-";
  bool warned = wait_until([&] { return contains(sub.err(), warning) || sub.poll(); }, 7s, 100ms);
  BOOST_TEST((warned && !sub.poll()), "no warning " << seconds_since(start) << " s after submitting:\n" << sub.describe());
  BOOST_TEST_MESSAGE("waiting warning on the submitter's stderr " << seconds_since(start) << " s after submitting");
  auto st = cluster_status(c.url());
  BOOST_TEST_REQUIRE(st.apps.size() == 1u, st.text);
  BOOST_TEST(st.apps[0].state == "WAITING", st.text);
  BOOST_TEST(contains(st.text, "    waiting: asks for executors of at least 1 core and 65536 MiB; the largest free "
                               "offer is 2 cores and 2048 MiB on worker-"),
             st.text);
  sub.signal(SIGKILL);
  BOOST_TEST(sub.wait_exit(5s).has_value(), sub.describe());
}

BOOST_AUTO_TEST_SUITE_END()
