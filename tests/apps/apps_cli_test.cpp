// The bundled applications through the real `troupe submit` command on
// local[1], local[2], local[4] and a local cluster, against the sequential
// references of references.hpp.
#include "tests/apps/references.hpp"
#include "tests/support/binary.hpp"
#include "tests/support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

using namespace troupe;
using namespace troupe::testing;

namespace {

/// `troupe submit --master MASTER [--conf c]... app args...`, run in `cwd` when given.
run_result submit_to(const std::string& master, const std::string& app, const std::vector<std::string>& args,
                     const std::vector<std::string>& conf = {}, const std::string& cwd = {}) {
  std::vector<std::string> argv{built_troupe_binary(), "submit", "--master", master};
  for (auto& c : conf) {
    argv.push_back("--conf");
    argv.push_back(c);
  }
  argv.push_back(app);
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv, std::chrono::seconds(60), {}, cwd);
  BOOST_TEST(!r.timed_out, "troupe submit --master " << master << " " << app << " timed out");
  BOOST_TEST(r.term_signal == 0, "troupe submit --master " << master << " " << app << " died of signal "
                                                            << r.term_signal << "\n" << r.err);
  return r;
}

/// `troupe submit --master local[cores] [--conf c]... app args...`
run_result submit(int cores, const std::string& app, const std::vector<std::string>& args,
                  const std::vector<std::string>& conf = {}) {
  return submit_to("local[" + std::to_string(cores) + "]", app, args, conf);
}

const std::vector<std::string> small_splits{"text-file.split-size=64"};
const std::vector<int> local_cores{1, 2, 4};

} // namespace

BOOST_AUTO_TEST_SUITE(apps_cli)

BOOST_AUTO_TEST_CASE(word_count_through_submit) {
  temp_dir dir("troupe-apps-cli");
  std::map<std::string, std::string> inputs{
    {"empty", ""},
    {"no-trailing-newline", "alpha beta\ngamma alpha"},
    {"generated-seed-5", make_text(5, 200)},
  };
  for (int cores : local_cores)
    for (auto& [name, content] : inputs) {
      BOOST_TEST_CONTEXT("local[" << cores << "], input " << name) {
        auto path = dir.write(name + ".txt", content);
        auto want = seq_word_count(content);
        auto r = submit(cores, "word_count", {path}, small_splits);
        BOOST_TEST(r.exit_code == 0, r.err);
        BOOST_TEST(r.out == expected_word_count_output(want));

        auto out_dir = dir / ("out-" + name + "-" + std::to_string(cores));
        auto s = submit(cores, "word_count", {path, out_dir}, small_splits);
        BOOST_TEST(s.exit_code == 0, s.err);
        BOOST_TEST(std::filesystem::exists(out_dir + "/_SUCCESS"));
        BOOST_TEST((parse_word_counts(read_parts(out_dir)) == want));
      }
    }
}

BOOST_AUTO_TEST_CASE(word_count_errors_through_submit) {
  auto usage = submit(1, "word_count", {});
  BOOST_TEST(usage.exit_code == 2);
  BOOST_TEST(usage.err.find("usage: word_count") != std::string::npos, usage.err);

  auto missing = submit(2, "word_count", {"/nonexistent/troupe-input.txt"});
  BOOST_TEST(missing.exit_code == 1);
  BOOST_TEST(missing.err.find("/nonexistent/troupe-input.txt") != std::string::npos, missing.err);
}

BOOST_AUTO_TEST_CASE(sort_through_submit) {
  temp_dir dir("troupe-apps-cli");
  std::map<std::string, std::string> inputs{
    {"empty", ""},
    {"generated-seed-9", make_sort_input(9, 400, false)},
  };
  for (int cores : local_cores)
    for (auto& [name, content] : inputs) {
      BOOST_TEST_CONTEXT("local[" << cores << "], input " << name) {
        auto path = dir.write(name + ".txt", content);
        auto out_dir = dir / ("out-" + name + "-" + std::to_string(cores));
        auto r = submit(cores, "sort", {path, out_dir}, small_splits);
        BOOST_TEST(r.exit_code == 0, r.err);
        BOOST_TEST(r.out == "sorted " + std::to_string(lines_of(content).size()) + " lines into " + out_dir + "\n");
        BOOST_TEST(read_parts(out_dir) == sorted_text(content));
        BOOST_TEST(std::filesystem::exists(out_dir + "/_SUCCESS"));
      }
    }
}

BOOST_AUTO_TEST_CASE(page_rank_through_submit) {
  temp_dir dir("troupe-apps-cli");
  auto content = make_edges(13, 200);
  auto path = dir.write("edges.txt", content);
  auto want = seq_page_rank(content, 5);
  for (int cores : local_cores) {
    BOOST_TEST_CONTEXT("local[" << cores << "]") {
      auto r = submit(cores, "page_rank", {path, "5"}, small_splits);
      BOOST_TEST(r.exit_code == 0, r.err);
      check_rank_output(r.out, ' ', want);
      auto out_dir = dir / ("out-" + std::to_string(cores));
      auto s = submit(cores, "page_rank", {path, "5", out_dir}, small_splits);
      BOOST_TEST(s.exit_code == 0, s.err);
      check_rank_output(read_parts(out_dir), '\t', want);
    }
  }
  auto bad = submit(1, "page_rank", {path, "-2"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("usage: page_rank") != std::string::npos, bad.err);
}

BOOST_AUTO_TEST_CASE(pi_through_submit) {
  const int64_t samples = 100'000;
  auto want = pi_line(seq_pi_inside(samples), samples);
  for (int cores : local_cores) {
    BOOST_TEST_CONTEXT("local[" << cores << "]") {
      auto r = submit(cores, "pi", {std::to_string(samples)});
      BOOST_TEST(r.exit_code == 0, r.err);
      BOOST_TEST(r.out == want);
      double x = 0;
      BOOST_TEST(std::sscanf(r.out.c_str(), "pi is roughly %lf", &x) == 1);
      BOOST_TEST(std::abs(x - M_PI) < 0.05);
    }
  }
  auto bad = submit(1, "pi", {"many"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("usage: pi") != std::string::npos, bad.err);
}

BOOST_AUTO_TEST_CASE(group_by_test_through_submit) {
  auto groups = seq_group_keys(3, 300).size();
  for (int cores : local_cores) {
    BOOST_TEST_CONTEXT("local[" << cores << "]") {
      auto r = submit(cores, "group_by_test", {"3", "300", "50", "2"});
      BOOST_TEST(r.exit_code == 0, r.err);
      BOOST_TEST(r.out == "pairs=900\ngroups=" + std::to_string(groups) + "\n");
    }
  }
}

BOOST_AUTO_TEST_CASE(join_demo_through_submit) {
  auto ref = seq_join_demo(300);
  for (int cores : local_cores) {
    BOOST_TEST_CONTEXT("local[" << cores << "]") {
      auto r = submit(cores, "join_demo", {"300"});
      BOOST_TEST(r.exit_code == 0, r.err);
      BOOST_TEST(r.out == ref.output);
    }
  }
}

BOOST_AUTO_TEST_CASE(bench_apps_through_submit) {
  for (int cores : local_cores) {
    BOOST_TEST_CONTEXT("local[" << cores << "]") {
      auto r = submit(cores, "noop_tasks", {"40"});
      BOOST_TEST(r.exit_code == 0, r.err);
      int n = 0;
      double seconds = -1, rate = -1;
      BOOST_TEST(std::sscanf(r.out.c_str(), "tasks=%d seconds=%lf tasks_per_second=%lf", &n, &seconds, &rate) == 3,
                 r.out);
      BOOST_TEST(n == 40);
      BOOST_TEST(seconds > 0.0);

      auto rt = submit(cores, "round_trip", {"10"});
      BOOST_TEST(rt.exit_code == 0, rt.err);
      double median = -1, p90 = -1;
      BOOST_TEST(std::sscanf(rt.out.c_str(), "jobs=%d median_us=%lf p90_us=%lf", &n, &median, &p90) == 3, rt.out);
      BOOST_TEST(n == 10);
      BOOST_TEST(median > 0.0);
      BOOST_TEST(p90 >= median);
    }
  }
}

// Executors in processes of their own: records and functions cross process
// boundaries, and relative paths must mean the submitter's directory.
BOOST_AUTO_TEST_CASE(apps_on_a_local_cluster) {
  const std::string master = "local-cluster[2,1,512]";
  temp_dir dir("troupe-apps-cli");
  auto text = make_text(21, 150);
  dir.write("words.txt", text);
  auto lines = make_sort_input(22, 300, true);
  dir.write("lines.txt", lines);
  auto edges = make_edges(23, 150);
  dir.write("edges.txt", edges);
  const std::string cwd = dir.path().string();

  auto wc = submit_to(master, "word_count", {"words.txt"}, small_splits, cwd);
  BOOST_TEST(wc.exit_code == 0, wc.err);
  BOOST_TEST(wc.out == expected_word_count_output(seq_word_count(text)));

  auto wc_saved = submit_to(master, "word_count", {"words.txt", "wc-out"}, small_splits, cwd);
  BOOST_TEST(wc_saved.exit_code == 0, wc_saved.err);
  BOOST_TEST(std::filesystem::exists(dir / "wc-out/_SUCCESS"));
  BOOST_TEST((parse_word_counts(read_parts(dir / "wc-out")) == seq_word_count(text)));

  auto sorted = submit_to(master, "sort", {"lines.txt", "sorted-out"}, small_splits, cwd);
  BOOST_TEST(sorted.exit_code == 0, sorted.err);
  BOOST_TEST(sorted.out == "sorted 300 lines into sorted-out\n");
  BOOST_TEST(read_parts(dir / "sorted-out") == sorted_text(lines));

  auto pr = submit_to(master, "page_rank", {"edges.txt", "4"}, small_splits, cwd);
  BOOST_TEST(pr.exit_code == 0, pr.err);
  check_rank_output(pr.out, ' ', seq_page_rank(edges, 4));

  auto pi = submit_to(master, "pi", {"50000"});
  BOOST_TEST(pi.exit_code == 0, pi.err);
  BOOST_TEST(pi.out == pi_line(seq_pi_inside(50000), 50000));

  auto groups = submit_to(master, "group_by_test", {"3", "200", "20", "3"});
  BOOST_TEST(groups.exit_code == 0, groups.err);
  BOOST_TEST(groups.out == "pairs=600\ngroups=" + std::to_string(seq_group_keys(3, 200).size()) + "\n");

  auto join = submit_to(master, "join_demo", {"250"});
  BOOST_TEST(join.exit_code == 0, join.err);
  BOOST_TEST(join.out == seq_join_demo(250).output);

  auto tasks = submit_to(master, "noop_tasks", {"20"});
  BOOST_TEST(tasks.exit_code == 0, tasks.err);
  BOOST_TEST(tasks.out.rfind("tasks=20 seconds=", 0) == 0u, tasks.out);
}

BOOST_AUTO_TEST_SUITE_END()
