// Integration test (#13): an executor's --executor-memory is its bound. A
// group_by_test that fits runs to the end with the executor process's peak
// RSS under the bound plus a stated margin; one whose single map partition
// cannot fit fails its tasks with a message naming the bound, instead of the
// executor growing (before: a 256m worker's executor reached 896 MB RSS).
#include "tests/integration/cluster.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

using namespace troupe::itest;

namespace {
/// The largest peak_rss_mb= each executor of this cluster logged, by its stderr file.
std::map<std::string, long> executor_peaks_mb(const std::string& work_dir) {
  std::map<std::string, long> peaks;
  static const std::regex re{R"(peak_rss_mb=(\d+))"};
  std::error_code ec;
  for (auto& e : std::filesystem::recursive_directory_iterator(work_dir, ec)) {
    if (!e.is_regular_file() || e.path().filename() != "stderr")
      continue;
    std::ifstream in(e.path());
    std::stringstream text;
    text << in.rdbuf();
    auto s = text.str();
    for (std::sregex_iterator it(s.begin(), s.end(), re), end; it != end; ++it)
      peaks[e.path().string()] = std::max(peaks[e.path().string()], std::stol((*it)[1].str()));
  }
  return peaks;
}

/// The executors' stderr of this cluster, concatenated.
std::string executor_logs(const std::string& work_dir) {
  std::string all;
  std::error_code ec;
  for (auto& e : std::filesystem::recursive_directory_iterator(work_dir, ec)) {
    if (!e.is_regular_file() || e.path().filename() != "stderr")
      continue;
    std::ifstream in(e.path());
    std::stringstream text;
    text << in.rdbuf();
    all += text.str();
  }
  return all;
}

/// The largest peak among the executors not in `before`, or -1.
long new_peak(const std::map<std::string, long>& now, const std::map<std::string, long>& before = {}) {
  long peak = -1;
  for (auto& [file, mb] : now)
    if (before.count(file) == 0)
      peak = std::max(peak, mb);
  return peak;
}
} // namespace

BOOST_AUTO_TEST_SUITE(memory_bound, *boost::unit_test::timeout(240))

BOOST_AUTO_TEST_CASE(an_executor_stays_under_its_memory_or_fails_its_task_with_a_message) {
  cluster c;
  c.add_worker(2, "512m", {"log.level=info"});  // executors log their peak RSS at info
  auto st = c.await_alive(1);
  BOOST_TEST_REQUIRE(st.alive_workers() == 1, st.text);

  // 16 maps of 10000 pairs of 1000 bytes (160 MB of values, cached: more
  // than the executor's memory) grouped into 16 reducers: fits, because the
  // cached and shuffle blocks spill (past 0.6 x 192m, and earlier when the
  // process nears its bound) before any task is failed for memory.
  auto fits = troupe_cmd({"submit", "--master", c.url(), "--executor-memory", "192m", "--conf", "log.level=info",
                          "group_by_test", "16", "10000", "1000", "16"},
                         120s);
  BOOST_TEST(fits.exit_code == 0, describe(fits));
  BOOST_TEST(contains(fits.out, "pairs=160000"), describe(fits));
  BOOST_TEST(!contains(fits.out + fits.err, "executor memory exceeded"), describe(fits));  // no task failed for it
  // The grouped dataset was a temporary: once count() returned, its shuffle's
  // blocks went from the executor (before, they stayed until the application
  // ended). (The cached pairs go as the app ends: tests/runtime covers that.)
  auto logs = executor_logs(c.path("work-0"));
  std::smatch dropped;
  BOOST_TEST(std::regex_search(logs, dropped, std::regex{R"(dropped ([1-9]\d*) blocks \(shuffles 1, cached nodes 0\))"}),
             logs);
  auto first = executor_peaks_mb(c.path("work-0"));
  auto peak = new_peak(first);
  std::printf("memory_bound: fitting job, executor peak RSS %ld MiB (bound 192 MiB)\n", peak);
  BOOST_TEST(peak > 0);
  // The bound is sampled every 10 ms: a margin for what grows in between.
  BOOST_TEST(peak <= 192 + 64, "peak " << peak << " MiB");

  // One map partition of 2 x 150 MB cannot fit in 96m: the task fails, the
  // job fails with the reason, and the executor does not grow with it.
  auto too_big = troupe_cmd({"submit", "--master", c.url(), "--executor-memory", "96m", "--conf",
                             "task.max-failures=2", "group_by_test", "2", "150000", "1000", "2"},
                            120s);
  BOOST_TEST(too_big.exit_code != 0, describe(too_big));
  BOOST_TEST(contains(too_big.out + too_big.err, "executor memory exceeded"), describe(too_big));
  BOOST_TEST(contains(too_big.out + too_big.err, "--executor-memory"), describe(too_big));
  // A user function that builds a whole partition at once (here 150 MB)
  // overshoots before the next check; what matters is that it stops there.
  auto big_peak = new_peak(executor_peaks_mb(c.path("work-0")), first);
  std::printf("memory_bound: oversized job, executor peak RSS %ld MiB (bound 96 MiB)\n", big_peak);
  BOOST_TEST(big_peak > 0);
  BOOST_TEST(big_peak <= 96 + 2 * 150 + 64, "peak " << big_peak << " MiB");
  // The worker is still there for the next application.
  BOOST_TEST(cluster_status(c.url()).alive_workers() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
