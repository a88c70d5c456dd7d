// Integration, seeded chaos: word_count, sort and page_rank on
// local-cluster[3,1,1024] under the fault schedules of seeds 1..10 (SIGKILL
// and SIGSTOP/SIGCONT of workers and executors, runtime/chaos), each result
// checked against the sequential reference. The seeds and the faults each run
// injected go to the test log (--log_level=message), so that a failing seed
// is replayed with `troupe submit --master local-cluster[3,1,1024] --conf
// chaos.seed=S --conf chaos.interval=80 --conf chaos.faults=6 ...` (and the
// other --conf flags of run_seed).
#include "tests/apps/references.hpp"
#include "tests/integration/cluster.hpp"
#include "tests/integration/inputs.hpp"

#include <boost/test/unit_test.hpp>

#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

using namespace troupe::itest;

namespace {

constexpr int seeds = 10;
/// Mean ms between faults: the jobs here take well under a second
/// undisturbed, from the cluster's start (the schedule's t=0) to the result.
constexpr int interval_ms = 80;
/// Faults per run: then the job goes on undisturbed, so that every run ends.
constexpr int max_faults = 6;

/// The inputs, written once for the suite.
struct chaos_inputs {
  static inline chaos_inputs* instance = nullptr;
  temp_dir data{"troupe-itest-chaos"};
  std::string text, text_path, sort_input, sort_path, edges, edges_path;
  chaos_inputs() {
    // Several times the inputs of the other suites: long enough jobs for
    // faults to land in the middle of them.
    for (int i = 0; i < 10; ++i)
      text += make_text();
    text_path = data.write("words.txt", text);
    for (int i = 0; i < 24; ++i)
      sort_input += make_sort_input();
    sort_path = data.write("lines.txt", sort_input);
    edges = make_edges();
    edges_path = data.write("edges.txt", edges);
    instance = this;
  }
  ~chaos_inputs() { instance = nullptr; }
};

/// The "chaos: ..." lines a run printed.
std::string chaos_lines(const std::string& err) {
  std::string out;
  for (auto& line : lines_of(err))
    if (line.rfind("chaos: ", 0) == 0)
      out += "    " + line + "\n";
  return out;
}

/// Runs APP_ARGS on local-cluster[3,1,1024] under `seed`'s schedule; logs the
/// What one run under chaos did.
struct seed_run {
  int faults = 0;     ///< faults the runner injected
  std::string err;    ///< the submitter's stderr (chaos lines included)
};

/// faults; `check` judges stdout.
seed_run run_seed(int seed, const std::vector<std::string>& app_args, const std::function<void(const std::string&)>& check,
             const std::vector<std::string>& extra_conf = {}) {
  std::vector<std::string> args{"submit",
                                "--master",
                                "local-cluster[3,1,1024]",
                                "--conf",
                                "chaos.seed=" + std::to_string(seed),
                                "--conf",
                                "chaos.interval=" + std::to_string(interval_ms),
                                "--conf",
                                "chaos.faults=" + std::to_string(max_faults),
                                // Small splits: several map tasks per stage, on every worker.
                                "--conf",
                                "text-file.split-size=64k",
                                // Quick failure detection, as the faults come every few hundred ms.
                                "--conf",
                                "worker.timeout=2000",
                                "--conf",
                                "heartbeat.interval=200",
                                "--conf",
                                "network.timeout=1000",
                                // Killed executors are the point here, not a reason to exclude their worker.
                                "--conf",
                                "master.executor-failures-per-worker=1000"};
  for (auto& kv : extra_conf) {
    args.push_back("--conf");
    args.push_back(kv);
  }
  args.insert(args.end(), app_args.begin(), app_args.end());
  auto start = clock::now();
  auto r = troupe_cmd(args, 90s);
  auto took = seconds_since(start);
  auto faults = chaos_lines(r.err);
  BOOST_TEST_MESSAGE("chaos seed " << seed << ", " << app_args.front() << ": exit " << r.exit_code
                                   << (r.timed_out ? " (timed out)" : "") << " after " << took << " s\n"
                                   << faults);
  BOOST_TEST_INFO("chaos seed " << seed << " (" << input_seeds() << ")");
  BOOST_TEST_REQUIRE(contains(r.err, "chaos: seed=" + std::to_string(seed)), describe(r));
  BOOST_TEST_INFO("chaos seed " << seed << " (" << input_seeds() << "), faults:\n" << faults);
  BOOST_TEST((r.exit_code == 0 && !r.timed_out), describe(r));
  if (r.exit_code == 0 && !r.timed_out)
    check(r.out);
  static const std::regex done{R"(chaos: seed=\d+ done, (\d+) faults? injected)"};
  std::smatch m;
  BOOST_TEST(std::regex_search(r.err, m, done), describe(r));
  return {m.empty() ? 0 : std::stoi(m[1].str()), r.err};
}

/// Faults must land: a chaos run with none proves nothing. On average at least one a run.
void check_faults_landed(const char* app, int total) {
  BOOST_TEST_MESSAGE("chaos " << app << ": " << total << " faults injected over " << seeds << " seeds");
  BOOST_TEST(total >= seeds, app << ": only " << total << " faults injected over " << seeds << " seeds");
}

} // namespace

BOOST_AUTO_TEST_SUITE(chaos, *boost::unit_test::fixture<chaos_inputs>() * boost::unit_test::timeout(420))

BOOST_AUTO_TEST_CASE(word_count_is_exact_under_ten_chaos_seeds) {
  auto& in = *chaos_inputs::instance;
  auto want = expected_word_count(in.text);
  int faults = 0;
  for (int seed = 1; seed <= seeds; ++seed)
    faults += run_seed(seed, {"word_count", in.text_path}, [&](const std::string& out) {
      BOOST_TEST_INFO("chaos seed " << seed << " (" << input_seeds() << ")");
      BOOST_TEST(out == want);
    }).faults;
  check_faults_landed("word_count", faults);
}

BOOST_AUTO_TEST_CASE(sort_is_exact_under_ten_chaos_seeds) {
  auto& in = *chaos_inputs::instance;
  auto want = sorted_text(in.sort_input);
  auto lines = std::to_string(lines_of(in.sort_input).size());
  int faults = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    auto out_dir = in.data / ("sorted-" + std::to_string(seed));
    faults += run_seed(seed, {"sort", in.sort_path, out_dir}, [&](const std::string& out) {
      BOOST_TEST_INFO("chaos seed " << seed << " (" << input_seeds() << ")");
      BOOST_TEST(contains(out, "sorted " + lines + " lines"), out);
      auto parts = read_parts(out_dir);
      BOOST_TEST_INFO("chaos seed " << seed << ": " << parts.size() << " bytes sorted vs " << want.size());
      BOOST_TEST((parts == want));
    }).faults;
  }
  check_faults_landed("sort", faults);
}

BOOST_AUTO_TEST_CASE(page_rank_is_exact_under_ten_chaos_seeds) {
  auto& in = *chaos_inputs::instance;
  // 40 iterations: 40 shuffles, long enough for faults to land between them.
  auto want = seq_page_rank(in.edges, 40);
  int faults = 0;
  for (int seed = 1; seed <= seeds; ++seed)
    faults += run_seed(seed, {"page_rank", in.edges_path, "40"}, [&](const std::string& out) {
      BOOST_TEST_INFO("chaos seed " << seed << " (" << input_seeds() << ")");
      check_rank_output(out, ' ', want);
    }).faults;
  check_faults_landed("page_rank", faults);
}

BOOST_AUTO_TEST_CASE(word_count_is_exact_under_ten_chaos_seeds_that_also_restart_the_master) {
  // With a recovery dir the schedule also SIGKILLs the master and starts it
  // again: the driver keeps its job running and registers again.
  auto& in = *chaos_inputs::instance;
  auto want = expected_word_count(in.text);
  int faults = 0, master_kills = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    auto dir = in.data / ("recovery-" + std::to_string(seed));
    auto run = run_seed(
      seed, {"word_count", in.text_path},
      [&](const std::string& out) {
        BOOST_TEST_INFO("chaos seed " << seed << " (" << input_seeds() << ")");
        BOOST_TEST(out == want);
      },
      {"master.recovery-dir=" + dir});
    faults += run.faults;
    for (auto& line : lines_of(run.err))
      if (contains(line, "SIGKILL master"))
        ++master_kills;
  }
  check_faults_landed("word_count with master restarts", faults);
  BOOST_TEST_MESSAGE("chaos word_count: " << master_kills << " master kills over " << seeds << " seeds");
  BOOST_TEST(master_kills >= 1, "no seed killed the master: the recovery path was not exercised");
}

BOOST_AUTO_TEST_CASE(simulate_refuses_chaos_with_threads) {
  auto r = troupe_cmd({"simulate", "--threads", "--workers", "2", "--chaos", "3", "--port", "0"}, 20s);
  BOOST_TEST(r.exit_code == 2, describe(r));
  BOOST_TEST(contains(r.err, "--threads"), describe(r));
  BOOST_TEST(contains(r.err, "chaos"), describe(r));
}

BOOST_AUTO_TEST_SUITE_END()
