// The `troupe` command as a user runs it: exit codes (0 success, 1 the job
// failed, 2 a usage error) and what it says on stdout and stderr. Every run
// is bounded in time and must end by exiting, never by a signal.
#include "tests/support/binary.hpp"
#include "tests/support/process.hpp"
#include "tests/support/text.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using troupe::testing::built_troupe_binary;
using troupe::testing::contains;
using troupe::testing::describe;
using troupe::testing::run_command;
using troupe::testing::run_result;
using troupe::testing::temp_dir;

namespace {

/// Runs `troupe args...` under a time limit; checks that it neither hung nor
/// died of a signal.
run_result troupe_cmd(const std::vector<std::string>& args, std::chrono::seconds limit = std::chrono::seconds(60)) {
  std::vector<std::string> argv{built_troupe_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv, limit);
  BOOST_TEST(!r.timed_out, "troupe did not finish within " << limit.count() << " s\n" << describe(r));
  BOOST_TEST(r.term_signal == 0, "troupe died of signal " << r.term_signal << "\n" << describe(r));
  return r;
}

/// `troupe submit --master local[2] [extra...] app args...`
run_result submit_local(const std::vector<std::string>& app_and_args, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"submit", "--master", "local[2]"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), app_and_args.begin(), app_and_args.end());
  return troupe_cmd(args);
}

const std::vector<std::string> bundled_apps{"word_count", "pi",         "sort",      "page_rank", "group_by_test",
                                            "join_demo",  "fault_demo", "noop_tasks", "round_trip"};

} // namespace

BOOST_AUTO_TEST_SUITE(cli)

// == a job whose function throws =============================================================

BOOST_AUTO_TEST_CASE(a_failing_job_reports_the_users_error_and_exits_1) {
  auto r = submit_local({"fault_demo", "always"});
  BOOST_TEST(r.exit_code == 1, describe(r));
  BOOST_TEST(contains(r.err, "record 13 is unlucky"), describe(r));
  BOOST_TEST(contains(r.err, "failed 4 times"), describe(r));
  BOOST_TEST(!contains(r.out, "sum="), describe(r));

  auto two = submit_local({"fault_demo", "always"}, {"--conf", "task.max-failures=2"});
  BOOST_TEST(two.exit_code == 1, describe(two));
  BOOST_TEST(contains(two.err, "record 13 is unlucky"), describe(two));
  BOOST_TEST(contains(two.err, "failed 2 times"), describe(two));
  BOOST_TEST(!contains(two.err, "failed 4 times"), describe(two));

  // The same text crosses process boundaries: executors as child processes.
  auto procs = troupe_cmd({"submit", "--master", "local-cluster[2,1,1024]", "fault_demo", "always"});
  BOOST_TEST(procs.exit_code == 1, describe(procs));
  BOOST_TEST(contains(procs.err, "record 13 is unlucky"), describe(procs));
  BOOST_TEST(contains(procs.err, "failed 4 times"), describe(procs));
}

BOOST_AUTO_TEST_CASE(a_job_that_fails_once_is_retried_and_succeeds) {
  auto once = submit_local({"fault_demo", "once"});
  BOOST_TEST(once.exit_code == 0, describe(once));
  BOOST_TEST(once.out == "sum=4950\n", describe(once));
  BOOST_TEST(!contains(once.err, "error:"), describe(once));

  auto none = submit_local({"fault_demo", "none"});
  BOOST_TEST(none.exit_code == 0, describe(none));
  BOOST_TEST(none.out == "sum=4950\n", describe(none));
  BOOST_TEST(!contains(none.err, "error:"), describe(none));
}

// == what cannot start ===========================================================================

BOOST_AUTO_TEST_CASE(an_unknown_app_is_refused_with_the_list_of_known_apps) {
  auto r = submit_local({"no_such_app", "x"});
  BOOST_TEST(r.exit_code == 2, describe(r));
  BOOST_TEST(contains(r.err, "no_such_app"), describe(r));
  for (auto& app : {"word_count", "fault_demo", "pi"})
    BOOST_TEST(contains(r.err, app), "stderr does not list " << app << "\n" << describe(r));
  BOOST_TEST(r.out.empty(), describe(r));
}

BOOST_AUTO_TEST_CASE(a_missing_input_file_fails_the_job_naming_the_path) {
  temp_dir dir("troupe-cli-test");
  auto path = dir / "no-such-input.txt";
  auto r = submit_local({"word_count", path});
  BOOST_TEST(r.exit_code == 1, describe(r));
  BOOST_TEST(contains(r.err, path), describe(r));
  BOOST_TEST(r.out.empty(), describe(r));

  // A directory is no input file either.
  auto d = submit_local({"word_count", dir.path().string()});
  BOOST_TEST(d.exit_code == 1, describe(d));
  BOOST_TEST(contains(d.err, dir.path().string()), describe(d));
}

BOOST_AUTO_TEST_CASE(an_existing_output_dir_is_not_overwritten) {
  temp_dir dir("troupe-cli-test");
  auto input = dir.write("input.txt", "a b c\na b\n");
  auto out_dir = dir / "out";
  std::filesystem::create_directories(out_dir);
  auto keep = dir.write("out/keep.txt", "precious");
  auto r = submit_local({"word_count", input, out_dir});
  BOOST_TEST(r.exit_code == 1, describe(r));
  BOOST_TEST(contains(r.err, "already exists"), describe(r));
  BOOST_TEST(contains(r.err, out_dir), describe(r));
  // What was there is untouched, and nothing was added.
  BOOST_TEST(troupe::testing::read_file(keep) == "precious");
  size_t entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(out_dir))
    ++entries;
  BOOST_TEST(entries == 1u);
}

// == usage errors: exit 2, a message naming the bad thing =======================================

BOOST_AUTO_TEST_CASE(bad_command_lines_are_refused_with_exit_2) {
  struct bad_case {
    std::vector<std::string> args;
    std::vector<std::string> says;  // each must appear on stderr
  };
  const std::vector<bad_case> cases{
    {{"submit", "--bogus", "--master", "local[2]", "pi"}, {"--bogus"}},
    {{"submit", "--master", "local[0]", "pi"}, {"local[0]"}},
    {{"submit", "--master", "local[x]", "pi"}, {"local[x]"}},
    {{"submit", "--master", "spark://h:1", "pi"}, {"spark://h:1"}},
    {{"submit", "--master", "local[2]", "--conf", "no.such.key=1", "pi"}, {"no.such.key"}},
    {{"submit", "--master", "local[2]", "--conf", "task.max-failures=zero", "pi"}, {"task.max-failures", "zero"}},
    {{"submit", "--master", "local[2]", "--conf", "executor.memory=lots", "pi"}, {"executor.memory", "lots"}},
    {{"submit", "--master", "local[2]", "--conf", "novalue", "pi"}, {"novalue"}},
    {{"submit", "--master", "local[2]"}, {"APP"}},
    {{"submit", "pi"}, {"--master"}},
    {{"submit", "--master"}, {"--master"}},
    {{"frobnicate"}, {"frobnicate"}},
    {{"apps", "extra"}, {"extra"}},
    {{}, {"no command"}},
  };
  for (auto& c : cases) {
    std::string line;
    for (auto& a : c.args)
      line += " " + a;
    BOOST_TEST_CONTEXT("troupe" << line) {
      auto r = troupe_cmd(c.args, std::chrono::seconds(20));
      BOOST_TEST(r.exit_code == 2, describe(r));
      BOOST_TEST(contains(r.err, "error"), describe(r));
      for (auto& part : c.says)
        BOOST_TEST(contains(r.err, part), "stderr does not name '" << part << "'\n" << describe(r));
      BOOST_TEST(r.out.empty(), describe(r));
    }
  }
}

BOOST_AUTO_TEST_CASE(app_usage_errors_exit_2_with_the_apps_usage) {
  const std::vector<std::vector<std::string>> cases{
    {"pi", "abc"},
    {"word_count"},
    {"fault_demo", "sometimes"},
    {"fault_demo", "always", "5"},
  };
  for (auto& c : cases) {
    BOOST_TEST_CONTEXT("app " << c.front() << " with " << c.size() - 1 << " args") {
      auto r = submit_local(c);
      BOOST_TEST(r.exit_code == 2, describe(r));
      BOOST_TEST(contains(r.err, "usage"), describe(r));
      BOOST_TEST(contains(r.err, c.front()), describe(r));
    }
  }
}

// == help and the list of apps ====================================================================

BOOST_AUTO_TEST_CASE(help_prints_usage_and_exits_0) {
  auto top = troupe_cmd({"--help"}, std::chrono::seconds(20));
  BOOST_TEST(top.exit_code == 0, describe(top));
  BOOST_TEST(contains(top.out, "usage: troupe"), describe(top));
  for (auto& cmd : {"submit", "node", "apps"})
    BOOST_TEST(contains(top.out, cmd), "top help lacks " << cmd << "\n" << describe(top));

  auto sub = troupe_cmd({"submit", "--help"}, std::chrono::seconds(20));
  BOOST_TEST(sub.exit_code == 0, describe(sub));
  BOOST_TEST(contains(sub.out, "usage: troupe submit"), describe(sub));
  for (auto& part : {"--master", "--conf", "task.max-failures", "executor.memory"})
    BOOST_TEST(contains(sub.out, part), "submit help lacks " << part << "\n" << describe(sub));

  // `help submit` and `submit -h` say the same; help wins over other errors.
  auto same = troupe_cmd({"help", "submit"}, std::chrono::seconds(20));
  BOOST_TEST(same.exit_code == 0, describe(same));
  BOOST_TEST(same.out == sub.out);
  for (auto& line : std::vector<std::vector<std::string>>{{"submit", "-h", "--bogus"},
                                                          {"submit", "--master", "local[0]", "-h"},
                                                          {"submit", "--master", "local[2]", "-h"}}) {
    BOOST_TEST_CONTEXT("troupe " << line[0] << " " << line[1] << " ...") {
      auto h = troupe_cmd(line, std::chrono::seconds(20));
      BOOST_TEST(h.exit_code == 0, describe(h));
      BOOST_TEST(h.out == sub.out);
    }
  }
}

BOOST_AUTO_TEST_CASE(apps_lists_every_bundled_app) {
  auto r = troupe_cmd({"apps"}, std::chrono::seconds(20));
  BOOST_TEST(r.exit_code == 0, describe(r));
  for (auto& app : bundled_apps) {
    // Each app starts a line of its own.
    BOOST_TEST((r.out.rfind(app + "\n", 0) == 0 || contains(r.out, "\n" + app + "\n")),
               "troupe apps does not list " << app << "\n" << describe(r));
  }
  BOOST_TEST(contains(r.out, "usage:"), describe(r));
}

BOOST_AUTO_TEST_SUITE_END()
