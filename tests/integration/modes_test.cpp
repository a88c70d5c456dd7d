// Integration, modes: every bundled app gives the same result in local[2],
// client mode (executors as processes, and as threads of the workers),
// cluster mode with --wait, and local-cluster[2,1,512]. Real troupe processes
// on 127.0.0.1, stopped by their pid at the end (tests/support).
#include "tests/integration/cluster.hpp"
#include "tests/integration/inputs.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <regex>
#include <string>
#include <vector>

using namespace troupe::itest;

namespace {

// -- the modes ---------------------------------------------------------------------

/// Two standing clusters of two workers each: executors as processes (A), as
/// threads of the workers (B). Built once for the `modes` suite.
struct standing_clusters {
  static inline standing_clusters* instance = nullptr;
  temp_dir data{"troupe-itest-data"};
  std::string text, text_path, sort_input, sort_path, edges_path;
  std::unique_ptr<cluster> processes, threads;

  standing_clusters() {
    text = make_text();
    text_path = data.write("words.txt", text);
    sort_input = make_sort_input();
    sort_path = data.write("lines.txt", sort_input);
    edges_path = data.write("edges.txt", make_edges());
    processes = std::make_unique<cluster>(std::vector<std::string>{}, "troupe-itest-modes-processes");
    threads = std::make_unique<cluster>(std::vector<std::string>{}, "troupe-itest-modes-threads");
    for (int i = 0; i < 2; ++i) {
      processes->add_worker(2, "2g");
      threads->add_worker(2, "2g", {"executor.isolation=thread"});
    }
    for (auto* c : {processes.get(), threads.get()}) {
      auto st = c->await_alive(2);
      if (st.alive_workers() != 2)
        throw std::runtime_error("the standing cluster's workers did not register:\n" + st.text);
    }
    instance = this;
  }
  ~standing_clusters() {
    instance = nullptr;
    threads.reset();
    processes.reset();
  }
};

struct mode {
  std::string name;
  std::vector<std::string> submit;  ///< the flags before APP
  bool cluster_deploy = false;
};

std::vector<mode> all_modes() {
  auto& c = *standing_clusters::instance;
  return {
    {"local[2]", {"--master", "local[2]"}},
    {"client mode, executors as processes", {"--master", c.processes->url()}},
    {"client mode, executors as threads", {"--master", c.threads->url()}},
    {"cluster mode --wait", {"--master", c.processes->url(), "--deploy-mode", "cluster", "--wait"}, true},
    {"cluster mode --wait, executors as threads",
     {"--master", c.threads->url(), "--deploy-mode", "cluster", "--wait"},
     true},
    {"local-cluster[2,1,512]", {"--master", "local-cluster[2,1,512]"}},
  };
}

/// Runs APP ARGS in mode `m` (with `conf` as --conf flags); checks that it
/// succeeded and returns what the application printed on stdout (nothing
/// when it failed: the failure is reported here).
std::optional<std::string> run_app(const mode& m, const std::vector<std::string>& conf,
                                   const std::vector<std::string>& app_args) {
  std::vector<std::string> args{"submit"};
  args.insert(args.end(), m.submit.begin(), m.submit.end());
  for (auto& c : conf) {
    args.push_back("--conf");
    args.push_back(c);
  }
  args.insert(args.end(), app_args.begin(), app_args.end());
  auto start = clock::now();
  auto r = troupe_cmd(args, 60s);
  BOOST_TEST_MESSAGE(m.name << ": " << app_args.front() << " took " << seconds_since(start) << " s");
  BOOST_TEST_INFO("mode: " << m.name << ", " << input_seeds());
  BOOST_TEST((r.exit_code == 0 && !r.timed_out), describe(r));
  if (r.exit_code != 0 || r.timed_out)
    return std::nullopt;
  if (!m.cluster_deploy)
    return r.out;
  // The submitter says which driver it submitted, then prints the driver's stdout.
  static const std::regex submitted{R"(^submitted driver (driver-\S+)\n)"};
  std::smatch s;
  BOOST_TEST_INFO("mode: " << m.name << ", " << input_seeds());
  BOOST_TEST(std::regex_search(r.out, s, submitted), describe(r));
  if (s.empty())
    return std::nullopt;
  auto driver = s[1].str();
  BOOST_TEST_INFO("mode: " << m.name << ", " << input_seeds());
  BOOST_TEST(contains(r.err, "driver " + driver + " finished on worker worker-"), describe(r));
  return r.out.substr(static_cast<size_t>(s[0].length()));
}

/// Runs APP ARGS in every mode; every mode must print what local[2] printed.
/// Returns local[2]'s output.
std::string same_in_every_mode(const std::vector<std::string>& conf, const std::vector<std::string>& app_args) {
  auto ms = all_modes();
  auto reference = run_app(ms[0], conf, app_args);
  BOOST_TEST_REQUIRE(reference.has_value());
  BOOST_TEST(!reference->empty());
  for (size_t i = 1; i < ms.size(); ++i) {
    auto out = run_app(ms[i], conf, app_args);
    if (!out)
      continue;  // reported by run_app
    BOOST_TEST_INFO("mode: " << ms[i].name << ", " << input_seeds());
    BOOST_TEST(*out == *reference);
  }
  return *reference;
}

/// Small text-file splits, so that a few hundred KB still make several map tasks.
const std::vector<std::string> small_splits{"text-file.split-size=64k"};

} // namespace

BOOST_AUTO_TEST_SUITE(modes, *boost::unit_test::fixture<standing_clusters>() * boost::unit_test::timeout(200))

BOOST_AUTO_TEST_CASE(word_count_prints_the_same_top_words_in_every_mode) {
  auto& c = *standing_clusters::instance;
  auto ref = same_in_every_mode(small_splits, {"word_count", c.text_path});
  BOOST_TEST(ref == expected_word_count(c.text));
}

BOOST_AUTO_TEST_CASE(sort_writes_the_same_sorted_lines_in_every_mode) {
  auto& c = *standing_clusters::instance;
  auto expected = sorted_text(c.sort_input);
  auto ms = all_modes();
  for (size_t i = 0; i < ms.size(); ++i) {
    auto out_dir = c.data / ("sorted-" + std::to_string(i));
    auto out = run_app(ms[i], small_splits, {"sort", c.sort_path, out_dir});
    if (!out)
      continue;  // reported by run_app
    BOOST_TEST_INFO("mode: " << ms[i].name << ", " << input_seeds());
    BOOST_TEST(contains(*out, "sorted " + std::to_string(lines_of(c.sort_input).size()) + " lines"), *out);
    BOOST_TEST_INFO("mode: " << ms[i].name << ", " << input_seeds());
    BOOST_TEST(std::filesystem::is_directory(out_dir));
    if (!std::filesystem::is_directory(out_dir))
      continue;
    auto parts = read_parts(out_dir);
    BOOST_TEST_INFO("mode: " << ms[i].name << ", " << parts.size() << " bytes sorted vs " << expected.size());
    BOOST_TEST((parts == expected));
  }
}

BOOST_AUTO_TEST_CASE(page_rank_prints_the_same_ranks_in_every_mode) {
  auto& c = *standing_clusters::instance;
  auto ref = same_in_every_mode(small_splits, {"page_rank", c.edges_path, "5"});
  BOOST_TEST(lines_of(ref).size() > 300u);
}

BOOST_AUTO_TEST_CASE(join_demo_prints_the_same_totals_in_every_mode) {
  auto ref = same_in_every_mode({}, {"join_demo", "3000"});
  BOOST_TEST(contains(ref, "joined="));
}

BOOST_AUTO_TEST_CASE(pi_prints_the_same_estimate_in_every_mode) {
  auto ref = same_in_every_mode({}, {"pi", "2000000"});
  BOOST_TEST(contains(ref, "pi is roughly 3.14"), ref);
}

BOOST_AUTO_TEST_CASE(group_by_test_prints_the_same_counts_in_every_mode) {
  auto ref = same_in_every_mode({}, {"group_by_test", "4", "500", "200", "3"});
  BOOST_TEST(contains(ref, "pairs=2000"), ref);
}

BOOST_AUTO_TEST_SUITE_END()
