// Integration, scale: `troupe simulate --threads --workers 1000 --cores 1
// --memory 256m` comes up and runs a job that takes all 1,000 cores with
// executors as threads; `simulate --workers 64` as separate processes runs a
// job too (on 2 cores). Bounded in time; every process is stopped by its pid.
#include "tests/integration/cluster.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <string>
#include <vector>

using namespace troupe::itest;

namespace {

/// Starts `simulate ARGS`, waits for `workers` ALIVE workers, runs pi on all
/// of them in client mode with `conf`, checks its answer, stops simulate.
void simulate_runs_a_job(const std::vector<std::string>& args, int workers, const std::vector<std::string>& conf,
                         std::chrono::milliseconds up_limit, std::chrono::milliseconds job_limit) {
  temp_dir dir{"troupe-itest-scale"};
  std::vector<std::string> argv{troupe_binary(), "simulate", "--workers", std::to_string(workers), "--port", "0"};
  argv.insert(argv.end(), args.begin(), args.end());
  background_process sim(argv, dir.path(), "simulate");
  auto start = clock::now();
  BOOST_TEST_REQUIRE(wait_until([&] { return !printed_url(sim.out()).empty() || sim.poll(); }, up_limit),
                     "no URL:\n" << sim.describe());
  auto url = printed_url(sim.out());
  BOOST_TEST_REQUIRE(!url.empty(), sim.describe());
  status_report st;
  bool up = wait_until(
    [&] {
      st = cluster_status(url, 30s);
      return st.alive_workers() >= workers || sim.poll();
    },
    up_limit, 200ms);
  BOOST_TEST_REQUIRE(up, st.alive_workers() << " of " << workers << " workers ALIVE:\n" << sim.describe());
  BOOST_TEST_REQUIRE(st.alive_workers() == workers, sim.describe());
  BOOST_TEST_MESSAGE("simulate " << workers << " workers: all ALIVE after " << seconds_since(start) << " s");

  std::vector<std::string> submit{"submit", "--master", url, "--total-executor-cores", std::to_string(workers)};
  for (auto& c : conf) {
    submit.push_back("--conf");
    submit.push_back(c);
  }
  // pi takes one slice per core (default parallelism): every executor gets a task.
  submit.insert(submit.end(), {"pi", std::to_string(workers * 1000)});
  start = clock::now();
  auto r = troupe_cmd(submit, job_limit);
  BOOST_TEST_MESSAGE("pi on " << workers << " cores took " << seconds_since(start) << " s");
  BOOST_TEST((r.exit_code == 0 && !r.timed_out), describe(r) << "\nsimulate:\n" << sim.describe());
  BOOST_TEST(contains(r.out, "pi is roughly 3.1"), describe(r));

  sim.signal(SIGTERM);
  auto code = sim.wait_exit(30s);
  BOOST_TEST(code.has_value(), "simulate still runs 30 s after SIGTERM:\n" << sim.describe());
}

} // namespace

BOOST_AUTO_TEST_SUITE(scale, *boost::unit_test::timeout(240))

BOOST_AUTO_TEST_CASE(a_thousand_thread_workers_run_a_job_on_all_their_cores) {
  simulate_runs_a_job({"--threads", "--cores", "1", "--memory", "256m"}, 1000,
                      {"executor.isolation=thread", "executor.memory=256m"}, 60s, 120s);
}

BOOST_AUTO_TEST_CASE(sixty_four_worker_processes_run_a_job) {
  simulate_runs_a_job({"--cores", "1", "--memory", "256m"}, 64, {"executor.memory=128m"}, 90s, 120s);
}

BOOST_AUTO_TEST_SUITE_END()
