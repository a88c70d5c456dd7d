// The `troupe` command given hostile values for every flag of every
// subcommand and every --conf key, as a new user (or a fuzzer) would: each run
// must end by exiting 0, 1 or 2 within a bound, never by a signal
// (std::terminate, a crash) and never hang. The cases come from the flag
// table (command_names/command_flags) and conf_keys(), so a new flag or key
// is covered without touching this file.
#include "runtime/command_line.hpp"
#include "runtime/settings.hpp"
#include "tests/support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

using troupe::testing::run_command;
using troupe::testing::run_result;
using troupe::testing::temp_dir;

namespace {

using namespace std::chrono_literals;

std::string troupe_bin() {
  if (const char* env = std::getenv("TROUPE_BIN"); env != nullptr && *env != '\0')
    return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "build/troupe" : (exe.parent_path() / "troupe").string();
}

/// Values no flag or key should be able to crash troupe with.
std::vector<std::string> hostile_values(const temp_dir& dir) {
  return {"",
          "-1",
          "0",
          "99999999999999999999",
          "2147483648",
          "-2147483649",
          "nan",
          "1e400",
          " 1",
          "/proc/x",
          "/dev/null/x",
          dir.write("a-file", "register.timeout = 300\n"),  // an existing file
          dir.path().string(),                               // a directory
          std::string(5000, 'x'),
          "\xc3\xbcn\xc3\xafc\xc3\xb8" "d\xc3\xa9-\xe2\x9c\x93-\xe6\x97\xa5\xe6\x9c\xac",
          "--help",
          "local[100000]",
          "local-cluster[100000,100000,99999999]"};
}

struct hostile_case {
  std::string label;
  std::vector<std::string> args;  // after the binary
  std::chrono::milliseconds bound;
  bool may_run_on = false;  // a valid value starts something that runs until stopped
};

/// A command line of `command` that would run and end quickly by itself
/// (no master answers at 127.0.0.1:1, pi is short), with `extra` inserted
/// where flags go.
hostile_case base_case(const std::string& command, const std::vector<std::string>& extra, const std::string& label) {
  hostile_case c;
  c.label = label;
  c.args = {command};
  std::vector<std::string> tail;
  if (command == "submit") {
    c.args.insert(c.args.end(), {"--master", "local[1]"});
    tail = {"pi", "2"};
    c.bound = 60s;
  } else if (command == "node") {
    c.args.insert(c.args.end(), {"--role", "worker", "--master", "troupe://127.0.0.1:1", "--conf",
                                 "register.timeout=300", "--work-dir", "work"});
    c.bound = 20s;
  } else if (command == "simulate") {
    c.args.insert(c.args.end(), {"--workers", "1", "--threads", "--port", "0"});
    c.bound = 4s;
    c.may_run_on = true;  // a simulated cluster stays up until SIGTERM
  } else if (command == "status" || command == "kill" || command == "logs") {
    c.args.insert(c.args.end(), {"--master", "troupe://127.0.0.1:1", "--conf", "register.timeout=300"});
    if (command != "status")
      tail = {"driver-1"};
    c.bound = 20s;
  } else if (command == "history-server") {
    c.args.insert(c.args.end(), {"--dir", ".", "--port", "0"});
    c.bound = 4s;
    c.may_run_on = true;  // a history server stays up until SIGTERM
  } else {
    c.bound = 20s;
  }
  c.args.insert(c.args.end(), extra.begin(), extra.end());
  c.args.insert(c.args.end(), tail.begin(), tail.end());
  return c;
}

std::vector<hostile_case> all_cases(const temp_dir& dir) {
  auto values = hostile_values(dir);
  std::vector<hostile_case> cases;
  for (const auto& command : troupe::command_names()) {
    for (const auto& f : troupe::command_flags(command)) {
      if (f.arg.empty()) {
        cases.push_back(base_case(command, {f.name}, command + " " + f.name));
        for (const auto& v : values)
          cases.push_back(base_case(command, {f.name + "=" + v}, command + " " + f.name + "=" + v.substr(0, 40)));
        continue;
      }
      for (const auto& v : values) {
        cases.push_back(base_case(command, {f.name, v}, command + " " + f.name + " '" + v.substr(0, 40) + "'"));
        cases.push_back(base_case(command, {f.name + "=" + v}, command + " " + f.name + "='" + v.substr(0, 40) + "'"));
      }
    }
    // Stray and hostile positionals too.
    for (const auto& v : values)
      cases.push_back(base_case(command, {v}, command + " positional '" + v.substr(0, 40) + "'"));
  }
  // Every conf key, through --conf, on a submission and on a node.
  for (const auto& k : troupe::conf_keys())
    for (const auto& v : values)
      for (auto command : {"submit", "node"})
        cases.push_back(base_case(command, {"--conf", k.key + "=" + v},
                                  std::string{command} + " --conf " + k.key + "='" + v.substr(0, 40) + "'"));
  return cases;
}

struct outcome {
  run_result r;
  std::chrono::milliseconds took;
};

outcome run_case(const std::string& bin, const hostile_case& c, const std::string& cwd) {
  std::vector<std::string> argv{bin};
  argv.insert(argv.end(), c.args.begin(), c.args.end());
  auto start = std::chrono::steady_clock::now();
  auto r = run_command(argv, c.bound, {}, cwd);
  return {std::move(r), std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
}

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_flags)

BOOST_AUTO_TEST_CASE(every_flag_and_conf_key_with_hostile_values_exits_cleanly_and_in_time) {
  temp_dir dir("troupe-hostile");
  auto bin = troupe_bin();
  BOOST_REQUIRE_MESSAGE(std::filesystem::is_regular_file(bin), "no troupe binary at " << bin);
  auto cases = all_cases(dir);
  BOOST_TEST_MESSAGE(cases.size() << " hostile command lines");
  // Each case in a working directory of its own: relative paths land there.
  const size_t parallel = std::clamp<size_t>(std::thread::hardware_concurrency() * 2, 2, 8);
  size_t checked = 0;
  for (size_t from = 0; from < cases.size(); from += parallel) {
    std::vector<std::future<outcome>> batch;
    for (size_t i = from; i < std::min(cases.size(), from + parallel); ++i) {
      auto cwd = dir / ("case-" + std::to_string(i));
      std::filesystem::create_directories(cwd);
      batch.push_back(std::async(std::launch::async, [&, i, cwd] { return run_case(bin, cases[i], cwd); }));
    }
    for (size_t k = 0; k < batch.size(); ++k) {
      const auto& c = cases[from + k];
      auto o = batch[k].get();
      ++checked;
      BOOST_TEST_CONTEXT("troupe " << c.label) {
        auto what = "exit=" + std::to_string(o.r.exit_code) + " signal=" + std::to_string(o.r.term_signal)
                    + (o.r.timed_out ? " TIMED OUT" : "") + " after " + std::to_string(o.took.count())
                    + " ms\n--- stderr ---\n" + o.r.err.substr(0, 2000);
        BOOST_TEST(o.r.term_signal == 0, what);
        BOOST_TEST((o.r.exit_code == 0 || o.r.exit_code == 1 || o.r.exit_code == 2), what);
        BOOST_TEST(o.r.err.find("terminate called") == std::string::npos, what);
        if (!c.may_run_on)
          BOOST_TEST(!o.r.timed_out, what);
      }
      std::error_code ec;
      std::filesystem::remove_all(dir / ("case-" + std::to_string(from + k)), ec);
    }
  }
  BOOST_TEST(checked == cases.size());
}

BOOST_AUTO_TEST_CASE(the_cases_cover_every_flag_and_conf_key) {
  temp_dir dir("troupe-hostile");
  auto cases = all_cases(dir);
  auto covered = [&](const std::string& command, const std::string& needle) {
    return std::any_of(cases.begin(), cases.end(), [&](const hostile_case& c) {
      return c.args.front() == command && std::find(c.args.begin(), c.args.end(), needle) != c.args.end();
    });
  };
  for (const auto& command : troupe::command_names())
    for (const auto& f : troupe::command_flags(command))
      BOOST_TEST(covered(command, f.name), command << " " << f.name);
  for (const auto& k : troupe::conf_keys())
    BOOST_TEST(covered("submit", k.key + "=0"), k.key);
}

BOOST_AUTO_TEST_SUITE_END()
