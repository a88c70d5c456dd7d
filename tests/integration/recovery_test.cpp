// Integration, master recovery: a master with --recovery-dir is SIGKILLed
// mid-job and restarted on the same port with the same directory; the
// workers keep their executors and register again, the client-mode job in
// flight completes with the exact result, a cluster-mode driver is still
// known, and a corrupt journal line is reported with its position without
// keeping the master from starting.
#include "tests/integration/cluster.hpp"
#include "tests/integration/inputs.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

using namespace troupe::itest;

namespace {

const std::vector<std::string> job_conf{"--conf", "default.parallelism=4", "--conf", "text-file.split-size=64k"};

/// A master on a fixed port with a recovery dir, restartable, and workers; all stopped by pid.
class recoverable_cluster {
public:
  explicit recoverable_cluster(const std::string& name) : dir_(name), port_(unused_port()) {
    url_ = "troupe://127.0.0.1:" + std::to_string(port_);
  }
  ~recoverable_cluster() {
    for (auto& w : workers_)
      w->signal(SIGTERM);
    for (auto& w : workers_)
      w->stop();
    for (auto& m : masters_)
      m->stop();
  }

  const std::string& url() const { return url_; }
  std::string recovery_dir() const { return dir_ / "recovery"; }
  std::string path(const std::string& name) const { return dir_ / name; }
  background_process& master() { return *masters_.back(); }
  background_process& worker(size_t i) { return *workers_.at(i); }

  /// Starts a master (again) on the port; waits until it listens.
  background_process& start_master() {
    auto n = std::to_string(masters_.size());
    std::vector<std::string> argv{troupe_binary(), "node", "--role", "master", "--host", "127.0.0.1", "--port",
                                  std::to_string(port_), "--recovery-dir", recovery_dir(), "--log-level", "info"};
    masters_.push_back(std::make_unique<background_process>(argv, dir_.path() / "logs", "master-" + n));
    auto& m = *masters_.back();
    // The port may linger a moment after a SIGKILL: the master says so and exits; try again.
    if (!wait_until([&] { return !printed_url(m.out()).empty() || m.poll(); }, 10s))
      throw std::runtime_error("the master printed no URL within 10 s:\n" + m.describe());
    if (printed_url(m.out()).empty())
      throw std::runtime_error("the master ended without a URL:\n" + m.describe());
    return m;
  }

  background_process& add_worker() {
    auto n = std::to_string(workers_.size());
    std::vector<std::string> argv{troupe_binary(), "node",      "--role",    "worker", "--master",
                                  url_,            "--host",    "127.0.0.1", "--cores", "1",
                                  "--memory",      "1g",        "--work-dir", dir_ / ("work-" + n),
                                  "--log-level",   "info"};
    workers_.push_back(std::make_unique<background_process>(argv, dir_.path() / "logs", "worker-" + n));
    return *workers_.back();
  }

  /// Polls status until `n` workers are ALIVE and the master is not recovering.
  status_report await_alive(int n, std::chrono::milliseconds limit) {
    status_report last;
    wait_until(
      [&] {
        last = cluster_status(url_, 5s);
        return last.ok && last.alive_workers() >= n && !contains(last.text, "RECOVERING");
      },
      limit, 20ms);
    return last;
  }

private:
  temp_dir dir_;
  uint16_t port_;
  std::string url_;
  std::vector<std::unique_ptr<background_process>> masters_;
  std::vector<std::unique_ptr<background_process>> workers_;
};

const status_report::app* find_app(const status_report& st, const std::string& name) {
  for (auto& a : st.apps)
    if (a.name == name)
      return &a;
  return nullptr;
}


} // namespace

BOOST_AUTO_TEST_SUITE(recovery, *boost::unit_test::timeout(240))

BOOST_AUTO_TEST_CASE(a_client_job_survives_a_master_killed_and_restarted_on_its_recovery_dir) {
  recoverable_cluster c{"troupe-itest-recovery"};
  auto edges = c.path("edges.txt");
  std::ofstream(edges) << make_edges();
  const std::string iterations = "120";
  // The exact answer, from an undisturbed local run with the same partitioning.
  std::vector<std::string> ref_args{"submit", "--master", "local[2]"};
  ref_args.insert(ref_args.end(), job_conf.begin(), job_conf.end());
  ref_args.insert(ref_args.end(), {"page_rank", edges, iterations});
  auto ref = troupe_cmd(ref_args, 120s);
  BOOST_TEST_REQUIRE(ref.exit_code == 0, describe(ref));
  BOOST_TEST_REQUIRE(lines_of(ref.out).size() > 300u);

  c.start_master();
  for (int i = 0; i < 3; ++i)
    c.add_worker();
  auto st = c.await_alive(3, 20s);
  BOOST_TEST_REQUIRE(st.alive_workers() == 3, st.text);
  auto workers_before = st.workers;

  std::vector<std::string> argv{troupe_binary(), "submit", "--master", c.url(), "--log-level", "info"};
  argv.insert(argv.end(), job_conf.begin(), job_conf.end());
  argv.insert(argv.end(), {"page_rank", edges, iterations});
  background_process job{argv, c.path("logs"), "job"};
  // In flight: the application runs on all three workers.
  bool running = wait_until(
    [&] {
      st = cluster_status(c.url(), 5s);
      auto* a = find_app(st, "page_rank");
      return a != nullptr && a->state == "RUNNING" && a->executor_lines.size() == 3u;
    },
    30s, 50ms);
  BOOST_TEST_REQUIRE(running, st.text << job.describe());
  // Tasks are flowing: all three executors registered with the driver.
  auto registered = [&] {
    auto e = job.err();
    size_t n = 0;
    for (size_t pos = 0; (pos = e.find("executor registered", pos)) != std::string::npos; ++pos)
      ++n;
    return n >= 3;
  };
  BOOST_TEST_REQUIRE(wait_until(registered, 20s, 20ms), job.describe());
  BOOST_TEST_REQUIRE(!job.poll().has_value(), "the job ended before the master was killed:\n" << job.describe());

  c.master().signal(SIGKILL);
  BOOST_TEST_REQUIRE(c.master().wait_exit(5s).value_or(-1) == 128 + SIGKILL);
  auto restart = clock::now();
  c.start_master();
  st = c.await_alive(3, 15s);
  auto took = seconds_since(restart);
  BOOST_TEST_MESSAGE("restart to all 3 workers re-registered and the master alive: " << took << " s");
  BOOST_TEST(st.alive_workers() == 3, st.text << c.master().describe());
  BOOST_TEST(took < 5.0, "workers took " << took << " s to register again");
  for (auto& [id, state] : workers_before)
    BOOST_TEST(st.worker_state(id) == "ALIVE", id << "\n" << st.text);
  BOOST_TEST(contains(c.master().out(), "recovering from " + c.recovery_dir()), c.master().describe());
  auto* app = find_app(st, "page_rank");
  BOOST_TEST_REQUIRE(app != nullptr, st.text);
  BOOST_TEST((app->state == "RUNNING" || app->state == "FINISHED"), st.text);
  if (app->state == "RUNNING")
    BOOST_TEST(app->executor_lines.size() == 3u, "its executors kept running and were adopted:\n" << st.text);

  // The job finishes, with the exact answer.
  auto code = job.wait_exit(150s);
  BOOST_TEST_REQUIRE(code.has_value(), "the job did not finish:\n" << job.describe());
  BOOST_TEST(*code == 0, job.describe());
  BOOST_TEST(job.out() == ref.out, "page_rank's output differs from the undisturbed run");
  BOOST_TEST(contains(job.err(), "re-registered"), job.err());
  st = cluster_status(c.url());
  app = find_app(st, "page_rank");
  BOOST_TEST_REQUIRE(app != nullptr, st.text);
  BOOST_TEST(app->state == "FINISHED", st.text);
  for (size_t i = 0; i < 3; ++i)
    BOOST_TEST(!c.worker(i).poll().has_value(), c.worker(i).describe());
}

BOOST_AUTO_TEST_CASE(a_cluster_mode_driver_is_still_known_after_a_restart_and_a_corrupt_line_is_skipped) {
  recoverable_cluster c{"troupe-itest-recovery-driver"};
  auto edges = c.path("edges.txt");
  std::ofstream(edges) << make_edges();
  c.start_master();
  c.add_worker();
  c.add_worker();
  auto st = c.await_alive(2, 20s);
  BOOST_TEST_REQUIRE(st.alive_workers() == 2, st.text);

  auto sub = troupe_cmd({"submit", "--master", c.url(), "--deploy-mode", "cluster", "page_rank", edges, "60"}, 20s);
  BOOST_TEST_REQUIRE(sub.exit_code == 0, describe(sub));
  auto driver = submitted_driver(sub.out);
  BOOST_TEST_REQUIRE(!driver.empty(), sub.out);
  auto d = driver_status(c.url(), driver);
  BOOST_TEST_REQUIRE(wait_until(
                       [&] {
                         d = driver_status(c.url(), driver);
                         return d.state == "RUNNING";
                       },
                       10s, 50ms),
                     d.run.out);
  auto worker_before = d.worker;

  c.master().signal(SIGKILL);
  BOOST_TEST_REQUIRE(c.master().wait_exit(5s).has_value());
  c.start_master();
  st = c.await_alive(2, 15s);
  BOOST_TEST(st.alive_workers() == 2, st.text << c.master().describe());
  d = driver_status(c.url(), driver);
  BOOST_TEST((d.state == "RUNNING" || d.state == "FINISHED"), d.run.out << c.master().describe());
  BOOST_TEST(d.worker == worker_before, d.run.out);
  // It runs to its end and the restarted master hears of it.
  BOOST_TEST(wait_until(
               [&] {
                 d = driver_status(c.url(), driver);
                 return d.state == "FINISHED";
               },
               90s, 200ms),
             d.run.out << c.master().describe());

  // Between runs, garbage in the middle of the journal: reported with its
  // position, skipped, and the master still starts with the rest.
  c.master().signal(SIGTERM);
  BOOST_TEST_REQUIRE(c.master().wait_exit(15s).has_value());
  auto journal = c.recovery_dir() + "/journal";
  auto text = read_file(journal);
  auto second = text.find('\n');
  BOOST_TEST_REQUIRE(second != std::string::npos, text);
  text.insert(second + 1, "17 deadbeef this is not a record\n");
  std::ofstream(journal, std::ios::binary | std::ios::trunc) << text;
  c.start_master();
  auto err = c.master().err();
  BOOST_TEST(contains(err, "warning: recovery journal " + journal + " line 2 (byte " + std::to_string(second + 1) + ")"),
             err);
  st = c.await_alive(2, 15s);
  BOOST_TEST(st.alive_workers() == 2, st.text << c.master().describe());
  d = driver_status(c.url(), driver);
  BOOST_TEST(d.state == "FINISHED", d.run.out);
  BOOST_TEST(!c.master().poll().has_value(), c.master().describe());
}

BOOST_AUTO_TEST_CASE(a_recovery_dir_holding_something_else_is_refused_with_a_clear_error) {
  temp_dir dir("troupe-itest-recovery-bad");
  std::filesystem::create_directories(dir.path() / "rec");
  std::ofstream(dir / "rec/journal") << "this is somebody's notes, not a journal\n";
  auto r = troupe_cmd({"node", "--role", "master", "--host", "127.0.0.1", "--port", std::to_string(unused_port()),
                       "--recovery-dir", dir / "rec"},
                      20s);
  BOOST_TEST(r.exit_code == 1, describe(r));
  BOOST_TEST(contains(r.err, "is not a troupe journal"), describe(r));
  BOOST_TEST(read_file(dir / "rec/journal") == "this is somebody's notes, not a journal\n");
}

BOOST_AUTO_TEST_SUITE_END()
