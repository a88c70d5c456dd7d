// Integration, lineage (issue 6 part 1 and speculation): a master and three
// worker processes on 127.0.0.1 run a client-mode two-stage job
// (fault_demo shuffle) while a worker or an executor is SIGKILLed or an
// executor is SIGSTOPped halfway; the job still prints exactly the
// undisturbed answer. A straggler task with task.speculation=true is beaten
// by its copy.
#include "tests/integration/cluster.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

using namespace troupe::itest;

namespace {

constexpr int64_t records = 100000;
constexpr int task_ms = 700;  // 24 map + 6 reduce tasks on 6 cores: ~3.5 s undisturbed

/// What `fault_demo shuffle N MS` must print, computed sequentially.
std::string expected_shuffle_line(int64_t n) {
  std::map<int64_t, int64_t> sums;
  for (int64_t x = 0; x < n; ++x)
    sums[x % 97] += x;
  int64_t total = 0;
  int64_t checksum = 0;
  for (auto& [k, v] : sums) {
    total += v;
    checksum += (k + 1) * v;
  }
  return "groups=" + std::to_string(sums.size()) + " total=" + std::to_string(total)
         + " checksum=" + std::to_string(checksum);
}

/// A 3-worker cluster (2 cores each) whose nodes and executors share `conf`.
struct three_workers {
  std::vector<std::string> conf;
  cluster c;
  explicit three_workers(const std::vector<std::string>& node_conf, const std::string& name)
      : conf(node_conf), c(node_conf, name) {
    for (int i = 0; i < 3; ++i)
      c.add_worker(2, "2g", conf);
    auto st = c.await_alive(3);
    if (st.alive_workers() != 3)
      throw std::runtime_error("3 workers did not register:\n" + st.text);
  }

  /// The client-mode submitter of `args`, in the background (its driver lives in it).
  std::unique_ptr<background_process> submit(const std::vector<std::string>& args,
                                             const std::vector<std::string>& app_conf, const std::string& name) {
    std::vector<std::string> argv{troupe_binary(), "submit", "--master", c.url()};
    for (auto& k : app_conf) {
      argv.push_back("--conf");
      argv.push_back(k);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<background_process>(argv, std::filesystem::path(c.path("logs")), name);
  }

  /// The executor processes under worker i.
  std::vector<proc_info> executors_of(size_t i) {
    std::vector<proc_info> out;
    for (auto& p : descendants(c.worker(i).pid()))
      if (contains(p.cmdline, "--role executor"))
        out.push_back(p);
    return out;
  }

  /// Waits until every worker runs one executor of the job; false on timeout.
  bool await_executors(std::chrono::milliseconds limit = 20s) {
    return wait_until(
      [&] {
        for (size_t i = 0; i < 3; ++i)
          if (executors_of(i).empty())
            return false;
        return true;
      },
      limit, 50ms);
  }
};

/// The --executor-id of an executor process.
std::string executor_id_of(const proc_info& p) {
  static const std::regex id{R"(--executor-id (\S+))"};
  std::smatch m;
  return std::regex_search(p.cmdline, m, id) ? m[1].str() : std::string{};
}

/// Waits until the driver (the submitter, at log level debug) has results of
/// `n` tasks of executor `exec`: map outputs the fault will take with it.
bool await_tasks_of(background_process& job, const std::string& exec, size_t n, std::chrono::milliseconds limit = 30s) {
  auto needle = "task finished app=";
  return wait_until(
    [&] {
      size_t count = 0;
      for (auto& line : lines_of(job.err()))
        if (contains(line, needle) && line.ends_with(" exec=" + exec))
          ++count;
      return count >= n || job.poll().has_value();
    },
    limit, 20ms);
}

/// The submitter's result line, or "".
std::string result_line(const std::string& out) {
  for (auto& line : lines_of(out))
    if (line.rfind("groups=", 0) == 0 || line.rfind("sum=", 0) == 0)
      return line;
  return {};
}

/// True when the driver's log says a lost executor took map outputs with it
/// (so the answer was exact because they were recomputed, not by luck).
bool recomputed(const std::string& log) {
  static const std::regex lost{R"(executor lost .*map_outputs_lost=[1-9])"};
  return std::regex_search(log, lost);
}

const std::vector<std::string> app_conf{"heartbeat.interval=200", "shuffle.fetch-timeout=2000", "log.level=debug"};

} // namespace

BOOST_AUTO_TEST_SUITE(lineage)

BOOST_AUTO_TEST_CASE(undisturbed_reference_run, *boost::unit_test::timeout(90)) {
  three_workers w({"heartbeat.interval=200"}, "troupe-itest-lineage-ref");
  auto start = clock::now();
  auto job = w.submit({"fault_demo", "shuffle", std::to_string(records), std::to_string(task_ms)}, app_conf, "submit");
  BOOST_REQUIRE_MESSAGE(job->wait_exit(60s).has_value(), "the job did not end in 60 s:\n" << job->describe());
  BOOST_TEST_MESSAGE("undisturbed run: " << seconds_since(start) << " s");
  BOOST_TEST(job->poll().value_or(-1) == 0, job->describe());
  BOOST_TEST(result_line(job->out()) == expected_shuffle_line(records), job->describe());
}

BOOST_AUTO_TEST_CASE(a_worker_sigkilled_with_its_executor_halfway_leaves_the_answer_exact,
                     *boost::unit_test::timeout(120)) {
  three_workers w({"heartbeat.interval=200"}, "troupe-itest-lineage-worker");
  auto job = w.submit({"fault_demo", "shuffle", std::to_string(records), std::to_string(task_ms)}, app_conf, "submit");
  BOOST_REQUIRE_MESSAGE(w.await_executors(), "no executor on every worker:\n" << job->describe());
  auto victims = w.executors_of(1);
  BOOST_REQUIRE(!victims.empty());
  // The fault strikes once the victim holds map outputs (its first wave of
  // map tasks is done): whatever the machine's load, something is lost.
  BOOST_REQUIRE(await_tasks_of(*job, executor_id_of(victims.front()), 2));
  BOOST_REQUIRE_MESSAGE(!job->poll().has_value(), "the job ended before the fault:\n" << job->describe());
  auto start = clock::now();
  ::kill(w.c.worker(1).pid(), SIGKILL);
  for (auto& p : victims)
    kill_if_ours(p.pid);
  BOOST_REQUIRE_MESSAGE(job->wait_exit(90s).has_value(), "the job did not end in 90 s:\n" << job->describe());
  BOOST_TEST_MESSAGE("worker SIGKILLed: the job ended " << seconds_since(start) << " s after the fault");
  BOOST_TEST(job->poll().value_or(-1) == 0, job->describe());
  BOOST_TEST(result_line(job->out()) == expected_shuffle_line(records), job->describe());
  BOOST_TEST(contains(job->err(), "executor lost"), job->describe());
  BOOST_TEST(recomputed(job->err()), "no map output was lost, nothing recomputed:\n" << job->describe());
  BOOST_TEST(wait_until([&] { return !is_running(victims.front().pid); }, 5s));
}

BOOST_AUTO_TEST_CASE(an_executor_sigkilled_halfway_leaves_the_answer_exact, *boost::unit_test::timeout(120)) {
  three_workers w({"heartbeat.interval=200"}, "troupe-itest-lineage-exec");
  auto job = w.submit({"fault_demo", "shuffle", std::to_string(records), std::to_string(task_ms)}, app_conf, "submit");
  BOOST_REQUIRE_MESSAGE(w.await_executors(), "no executor on every worker:\n" << job->describe());
  auto victims = w.executors_of(2);
  BOOST_REQUIRE(!victims.empty());
  // The fault strikes once the victim holds map outputs (its first wave of
  // map tasks is done): whatever the machine's load, something is lost.
  BOOST_REQUIRE(await_tasks_of(*job, executor_id_of(victims.front()), 2));
  BOOST_REQUIRE_MESSAGE(!job->poll().has_value(), "the job ended before the fault:\n" << job->describe());
  auto start = clock::now();
  kill_if_ours(victims.front().pid);
  BOOST_REQUIRE_MESSAGE(job->wait_exit(90s).has_value(), "the job did not end in 90 s:\n" << job->describe());
  BOOST_TEST_MESSAGE("executor SIGKILLed: the job ended " << seconds_since(start) << " s after the fault");
  BOOST_TEST(job->poll().value_or(-1) == 0, job->describe());
  BOOST_TEST(result_line(job->out()) == expected_shuffle_line(records), job->describe());
  BOOST_TEST(contains(job->err(), "executor lost"), job->describe());
  BOOST_TEST(recomputed(job->err()), "no map output was lost, nothing recomputed:\n" << job->describe());
}

BOOST_AUTO_TEST_CASE(a_frozen_executor_is_lost_within_the_heartbeat_timeout_and_ignored_when_it_wakes,
                     *boost::unit_test::timeout(120)) {
  // network.timeout is long, so the connection stays up through the freeze:
  // only the driver's executor heartbeats (executor.heartbeat-timeout, 3 s by
  // default) notice it, and the woken executor's messages do reach the driver.
  const std::vector<std::string> node_conf{"heartbeat.interval=200", "network.timeout=60000"};
  three_workers w(node_conf, "troupe-itest-lineage-frozen");
  auto conf = app_conf;
  conf.push_back("network.timeout=60000");
  auto job = w.submit({"fault_demo", "shuffle", std::to_string(records), std::to_string(task_ms)}, conf, "submit");
  BOOST_REQUIRE_MESSAGE(w.await_executors(), "no executor on every worker:\n" << job->describe());
  auto victims = w.executors_of(0);
  BOOST_REQUIRE(!victims.empty());
  // The fault strikes once the victim holds map outputs (its first wave of
  // map tasks is done): whatever the machine's load, something is lost.
  BOOST_REQUIRE(await_tasks_of(*job, executor_id_of(victims.front()), 2));
  auto frozen = victims.front().pid;
  BOOST_REQUIRE_MESSAGE(!job->poll().has_value(), "the job ended before the fault:\n" << job->describe());
  auto start = clock::now();
  ::kill(frozen, SIGSTOP);
  bool lost = wait_until([&] { return contains(job->err(), "executor lost"); }, 4500ms, 20ms);
  auto lost_after = seconds_since(start);
  // Thaw it while the job still runs (the lost tasks run again elsewhere).
  ::kill(frozen, SIGCONT);
  BOOST_TEST(lost, "not lost " << lost_after << " s after SIGSTOP:\n" << job->describe());
  BOOST_TEST_MESSAGE("frozen executor lost after " << lost_after << " s");
  BOOST_TEST(contains(job->err(), "executor.heartbeat-timeout"), job->describe());
  BOOST_REQUIRE_MESSAGE(job->wait_exit(90s).has_value(), "the job did not end in 90 s:\n" << job->describe());
  BOOST_TEST(job->poll().value_or(-1) == 0, job->describe());
  BOOST_TEST(result_line(job->out()) == expected_shuffle_line(records), job->describe());
  BOOST_TEST(contains(job->err(), "from lost executor"), job->describe());
  BOOST_TEST(recomputed(job->err()), job->describe());
  // Told to stop, the thawed executor goes away.
  BOOST_TEST(wait_until([&] { return !is_running(frozen); }, 15s), "the thawed executor is still running");
}

BOOST_AUTO_TEST_CASE(a_straggler_is_beaten_by_its_speculative_copy_and_counted_once, *boost::unit_test::timeout(90)) {
  three_workers w({"heartbeat.interval=200"}, "troupe-itest-lineage-spec");
  // The first attempt of partition 5 sleeps 40 s; every other task ~200 ms.
  auto start = clock::now();
  auto conf = app_conf;
  conf.push_back("task.speculation=true");
  auto job = w.submit({"fault_demo", "straggler", "8000", "40"}, conf, "submit");
  BOOST_REQUIRE_MESSAGE(job->wait_exit(60s).has_value(), "the job did not end in 60 s:\n" << job->describe());
  auto took = seconds_since(start);
  BOOST_TEST_MESSAGE("straggler job with speculation: " << took << " s");
  BOOST_TEST(job->poll().value_or(-1) == 0, job->describe());
  BOOST_TEST(took < 20.0, "took " << took << " s: the copy did not win");
  // 0 + 1 + ... + 7999, each record once: a partition counted twice would show.
  BOOST_TEST(result_line(job->out()) == "sum=31996000 count=8000", job->describe());
}

BOOST_AUTO_TEST_SUITE_END()
