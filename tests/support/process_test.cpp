// The process helpers of tests/support/process.hpp themselves.
#include "tests/support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>

using troupe::testing::read_file;
using troupe::testing::run_command;
using troupe::testing::temp_dir;

BOOST_AUTO_TEST_SUITE(process_helper)

BOOST_AUTO_TEST_CASE(run_command_captures_outputs_and_exit_code) {
  auto r = run_command({"sh", "-c", "printf 'out\\n'; printf 'err\\n' >&2; exit 3"}, std::chrono::seconds(10));
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.out == "out\n");
  BOOST_TEST(r.err == "err\n");
  BOOST_TEST(!r.timed_out);
  // Big outputs on both pipes at once do not deadlock.
  auto big = run_command({"sh", "-c", "head -c 3000000 /dev/zero; head -c 2000000 /dev/zero >&2"},
                         std::chrono::seconds(20));
  BOOST_TEST(big.exit_code == 0);
  BOOST_TEST(big.out.size() == 3000000u);
  BOOST_TEST(big.err.size() == 2000000u);
  auto env = run_command({"sh", "-c", "printf %s \"$TROUPE_HELPER_TEST\""}, std::chrono::seconds(10),
                         {"TROUPE_HELPER_TEST=yes"});
  BOOST_TEST(env.out == "yes");
  temp_dir here("troupe-helper");
  auto pwd = run_command({"sh", "-c", "pwd -P"}, std::chrono::seconds(10), {}, here.path().string());
  BOOST_TEST(pwd.out == std::filesystem::canonical(here.path()).string() + "\n");
  auto missing = run_command({"/nonexistent/troupe-no-such-binary"}, std::chrono::seconds(10));
  BOOST_TEST(missing.exit_code == 127);
  BOOST_TEST(missing.err.find("cannot execute") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(run_command_kills_on_timeout) {
  auto start = std::chrono::steady_clock::now();
  auto r = run_command({"sh", "-c", "printf started; exec sleep 30"}, std::chrono::milliseconds(300));
  auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(r.timed_out);
  BOOST_TEST(r.term_signal == SIGTERM);
  BOOST_TEST(r.out == "started");
  BOOST_TEST(took < std::chrono::seconds(10));
  // A child that ignores SIGTERM gets SIGKILL.
  auto stubborn = run_command({"sh", "-c", "trap '' TERM; printf ready; while :; do sleep 1; done"},
                              std::chrono::milliseconds(300));
  BOOST_TEST(stubborn.timed_out);
  BOOST_TEST(stubborn.term_signal == SIGKILL);
  BOOST_TEST(stubborn.out == "ready");
}

BOOST_AUTO_TEST_CASE(temp_dir_is_removed) {
  std::filesystem::path p;
  {
    temp_dir d("troupe-helper");
    p = d.path();
    BOOST_TEST(std::filesystem::is_directory(p));
    d.write("a.txt", "hello");
    std::filesystem::create_directories(p / "sub/deeper");
    d.write("sub/deeper/b.txt", "x");
    BOOST_TEST(read_file(d / "a.txt") == "hello");
  }
  BOOST_TEST(!std::filesystem::exists(p));
}

BOOST_AUTO_TEST_SUITE_END()
