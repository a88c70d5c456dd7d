// Applications as shared libraries, end to end: a DESTDIR install of the
// tree under test, the out-of-tree example (apps/examples/digit_sums) built
// against it with its own meson.build through pkg-config, and the library
// submitted in local[2], client mode and cluster mode on a local cluster
// whose executors are processes that fetch it from the driver. Then two
// versions of a same-named library side by side on one worker, and the
// clear errors (exit 2) for what is not a usable library.
#include "tests/integration/cluster.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>

using namespace troupe::itest;
namespace fs = std::filesystem;

namespace {

/// What `digit_sums N` prints.
std::string expected_digit_sums(int64_t n, int64_t plus = 0) {
  int64_t sums[10] = {};
  for (int64_t i = 0; i < n; ++i)
    sums[i % 10] += i;
  std::string s;
  for (int d = 0; d < 10 && d < n; ++d)
    s += std::to_string(d) + " " + std::to_string(sums[d] + plus) + "\n";
  return s;
}

fs::path build_dir() { return fs::path(built_troupe_binary()).parent_path(); }

fs::path source_root() {
  fs::path here{__FILE__};  // <root>/tests/integration/library_test.cpp, maybe relative to the build dir
  auto root = here.parent_path().parent_path().parent_path();
  return here.is_absolute() ? root : fs::weakly_canonical(build_dir() / root);
}

fs::path find_under(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.path().filename() == name)
      return e.path();
  return {};
}

/// The DESTDIR install and the example built against it, made once.
struct installed {
  fs::path dest, bin, libdir, pcdir, example_lib, variant_lib;
  std::string error;
  std::vector<std::string> env() const { return {owner_marker(), "LD_LIBRARY_PATH=" + libdir.string()}; }

  installed() {
    dest = build_dir() / "library-test-destdir";
    std::error_code ec;
    fs::remove_all(dest, ec);
    auto r = run_command({"meson", "install", "-C", build_dir().string(), "--no-rebuild", "--quiet", "--destdir",
                          dest.string()},
                         180s);
    if (r.exit_code != 0) {
      error = "meson install failed: " + describe(r);
      return;
    }
    bin = find_under(dest, "troupe");
    auto pc = find_under(dest, "troupe.pc");
    if (bin.empty() || pc.empty()) {
      error = "the install holds no bin/troupe or troupe.pc";
      return;
    }
    pcdir = pc.parent_path();
    libdir = pcdir.parent_path();
    // pkg-config reads the installed troupe.pc; the sysroot maps its
    // /usr/local paths into the DESTDIR tree.
    std::vector<std::string> pc_env{"PKG_CONFIG_PATH=" + pcdir.string(), "PKG_CONFIG_SYSROOT_DIR=" + dest.string()};
    auto example = build_dir() / "library-test-example";
    fs::remove_all(example, ec);
    r = run_command({"meson", "setup", example.string(), (source_root() / "apps/examples/digit_sums").string()}, 120s,
                    pc_env);
    if (r.exit_code != 0) {
      error = "meson setup of the example failed: " + describe(r);
      return;
    }
    r = run_command({"ninja", "-C", example.string()}, 300s, pc_env);
    if (r.exit_code != 0) {
      error = "building the example failed: " + describe(r);
      return;
    }
    example_lib = example / "libdigit_sums.so";
    // A second version of the same-named library: every sum is 1000 more.
    auto variant = build_dir() / "library-test-variant";
    fs::remove_all(variant, ec);
    fs::create_directories(variant, ec);
    std::ifstream in(source_root() / "apps/examples/digit_sums/digit_sums.cpp");
    std::stringstream src;
    src << in.rdbuf();
    auto text = src.str();
    auto at = text.find("std::cout << digit << \" \" << sum");
    if (at == std::string::npos) {
      error = "the example no longer prints `digit << \" \" << sum`";
      return;
    }
    text.replace(at, std::string("std::cout << digit << \" \" << sum").size(),
                 "std::cout << digit << \" \" << sum + 1000");
    std::ofstream(variant / "digit_sums.cpp") << text;
    variant_lib = variant / "libdigit_sums.so";
    auto flags = run_command({"pkg-config", "--cflags", "--libs", "troupe"}, 20s, pc_env);
    std::vector<std::string> gxx{"g++", "-shared", "-fPIC", "-O1", "-o", variant_lib.string(),
                                 (variant / "digit_sums.cpp").string()};
    std::istringstream words(flags.out);
    for (std::string w; words >> w;)
      gxx.push_back(w);
    r = run_command(gxx, 300s);
    if (flags.exit_code != 0 || r.exit_code != 0)
      error = "the one-line g++ build failed: " + describe(flags) + describe(r);
  }
};

const installed& install() {
  static installed once;
  return once;
}

run_result submit(const std::vector<std::string>& args, std::chrono::milliseconds limit = 90s) {
  std::vector<std::string> argv{install().bin.string(), "submit"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, limit, install().env());
}

} // namespace

BOOST_AUTO_TEST_SUITE(app_library, *boost::unit_test::timeout(900))

BOOST_AUTO_TEST_CASE(the_installed_troupe_lists_and_runs_the_example_in_local_mode) {
  auto& in = install();
  BOOST_TEST_REQUIRE(in.error.empty(), in.error);
  auto apps = run_command({in.bin.string(), "apps", in.example_lib.string()}, 30s, in.env());
  BOOST_TEST(apps.exit_code == 0, describe(apps));
  BOOST_TEST(contains(apps.out, "digit_sums"), apps.out);
  auto r = submit({"--master", "local[2]", in.example_lib.string(), "1000"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
  BOOST_TEST(r.out == expected_digit_sums(1000));
  // APP_NAME may be given even when the library holds one app.
  r = submit({"--master", "local[2]", in.example_lib.string(), "digit_sums", "37"});
  BOOST_TEST(r.out == expected_digit_sums(37), describe(r));
}

BOOST_AUTO_TEST_CASE(client_and_cluster_mode_ship_the_library_to_executor_processes) {
  auto& in = install();
  BOOST_TEST_REQUIRE(in.error.empty(), in.error);
  cluster c({}, "troupe-itest-library");
  c.add_worker(2, "1g");  // executors (and cluster-mode drivers) as child processes
  c.add_worker(2, "1g");
  BOOST_TEST_REQUIRE(c.await_alive(2).alive_workers() == 2);
  auto r = submit({"--master", c.url(), in.example_lib.string(), "1000"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
  BOOST_TEST(r.out == expected_digit_sums(1000));
  r = submit({"--master", c.url(), "--deploy-mode", "cluster", "--wait", in.example_lib.string(), "500"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
  BOOST_TEST(contains(r.out, expected_digit_sums(500)), r.out);
  // Each worker keeps what it received by hash, in its own work dir.
  auto hash_dirs = 0;
  for (auto w : {"work-0", "work-1"})
    if (fs::exists(fs::path(c.path(w)) / "libraries"))
      for (auto& e : fs::directory_iterator(fs::path(c.path(w)) / "libraries"))
        hash_dirs += fs::exists(e.path() / "libdigit_sums.so") ? 1 : 0;
  BOOST_TEST(hash_dirs >= 1);
}

BOOST_AUTO_TEST_CASE(two_versions_of_a_same_named_library_run_side_by_side_on_one_worker) {
  auto& in = install();
  BOOST_TEST_REQUIRE(in.error.empty(), in.error);
  cluster c({}, "troupe-itest-library-versions");
  c.add_worker(4, "2g");
  BOOST_TEST_REQUIRE(c.await_alive(1).alive_workers() == 1);
  auto one = std::async(std::launch::async, [&] {
    return submit({"--master", c.url(), "--total-executor-cores", "2", in.example_lib.string(), "2000"});
  });
  auto two = std::async(std::launch::async, [&] {
    return submit({"--master", c.url(), "--total-executor-cores", "2", in.variant_lib.string(), "2000"});
  });
  auto r1 = one.get();
  auto r2 = two.get();
  BOOST_TEST(r1.exit_code == 0, describe(r1));
  BOOST_TEST(r2.exit_code == 0, describe(r2));
  BOOST_TEST(r1.out == expected_digit_sums(2000));
  BOOST_TEST(r2.out == expected_digit_sums(2000, 1000));
  int versions = 0;
  for (auto& e : fs::directory_iterator(fs::path(c.path("work-0")) / "libraries"))
    versions += fs::exists(e.path() / "libdigit_sums.so") ? 1 : 0;
  BOOST_TEST(versions == 2);
}

BOOST_AUTO_TEST_CASE(unusable_libraries_are_refused_with_exit_2) {
  auto& in = install();
  BOOST_TEST_REQUIRE(in.error.empty(), in.error);
  auto fixtures = build_dir();
  temp_dir d;
  auto text = (d.path() / "libtext.so").string();
  std::ofstream(text) << "hello\n";
  struct refusal {
    std::string lib, app, says;
  } cases[] = {
    {text, "", "is not a shared library"},
    {(fixtures / "libfixture_no_app.so").string(), "", "registers no troupe application"},
    {(fixtures / "libfixture_old_abi.so").string(), "", "built against another troupe"},
    {(fixtures / "libfixture_two_apps.so").string(), "gamma", "no application 'gamma'"},
    {(fixtures / "libfixture_two_apps.so").string(), "", "several applications"},
  };
  for (auto& c : cases) {
    std::vector<std::string> args{"--master", "local[2]", c.lib};
    if (!c.app.empty())
      args.push_back(c.app);
    auto r = submit(args, 30s);
    BOOST_TEST(r.exit_code == 2, c.lib << ": " << describe(r));
    BOOST_TEST(contains(r.err, c.says), c.lib << ": " << r.err);
  }
  auto r = run_command({in.bin.string(), "apps", text}, 30s, in.env());
  BOOST_TEST(r.exit_code == 2, describe(r));
}

BOOST_AUTO_TEST_SUITE_END()
