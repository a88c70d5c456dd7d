// Application libraries: the checks before loading (not ELF, no app, another
// ABI), loading once by content hash, choosing the app, functions located
// relative to the library, and the worker's cache by hash.
#include "runtime/app_library.hpp"
#include "runtime/app_registry.hpp"
#include "runtime/fn_ref.hpp"
#include "tests/support/binary.hpp"
#include "tests/support/process.hpp"
#include "tests/support/text.hpp"

#include <boost/test/unit_test.hpp>

#include <dlfcn.h>

#include <filesystem>
#include <fstream>

using namespace troupe;
using troupe::testing::contains;
using troupe::testing::temp_dir;

namespace {

std::string fixture(const std::string& name) {
  return (std::filesystem::path(troupe::testing::built_troupe_binary()).parent_path() / ("libfixture_" + name + ".so"))
    .string();
}

} // namespace

BOOST_AUTO_TEST_SUITE(app_library)

BOOST_AUTO_TEST_CASE(names_library_tells_paths_from_app_names) {
  BOOST_TEST(names_library("./libjob.so"));
  BOOST_TEST(names_library("libjob.so"));
  BOOST_TEST(names_library("/x/libjob.so.1"));
  BOOST_TEST(!names_library("word_count"));
}

BOOST_AUTO_TEST_CASE(a_text_file_is_not_a_shared_library) {
  temp_dir d;
  auto p = (d.path() / "libfake.so").string();
  std::ofstream(p) << "not a library\n";
  auto r = load_app_library(p);
  BOOST_TEST(contains(r.error, "is not a shared library"), r.error);
  BOOST_TEST(contains(r.error, "libfake.so"), r.error);
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_named) {
  auto r = load_app_library("/nonexistent/libnothing.so");
  BOOST_TEST(contains(r.error, "/nonexistent/libnothing.so"), r.error);
}

BOOST_AUTO_TEST_CASE(an_executable_is_not_a_shared_library_and_a_library_without_app_is_refused) {
  auto r = load_app_library(fixture("no_app"));
  BOOST_TEST(contains(r.error, "registers no troupe application"), r.error);
  BOOST_TEST(loaded_library(hash_file(fixture("no_app"), nullptr)) == nullptr);
}

BOOST_AUTO_TEST_CASE(another_abi_is_refused_before_its_code_runs) {
  // The fixture aborts in a static initializer: reaching the check below
  // shows it was never loaded.
  auto r = load_app_library(fixture("old_abi"));
  BOOST_TEST(contains(r.error, "built against another troupe"), r.error);
  BOOST_TEST(contains(r.error, "troupe-abi:0.0.1/0"), r.error);
}

BOOST_AUTO_TEST_CASE(a_library_loads_once_and_its_apps_are_found) {
  auto r = load_app_library(fixture("two_apps"));
  BOOST_TEST_REQUIRE(r.error.empty(), r.error);
  BOOST_TEST(r.apps == (std::vector<std::string>{"alpha", "beta"}));
  BOOST_TEST(r.info.hash.size() == 64u);
  BOOST_TEST(r.info.hash == hash_file(fixture("two_apps"), nullptr));
  BOOST_TEST(r.info.name == "libfixture_two_apps.so");
  BOOST_TEST(find_app("alpha") != nullptr);
  auto again = load_app_library(fixture("two_apps"));
  BOOST_TEST(again.info.path == r.info.path);
  BOOST_TEST(library_apps(r.info.hash).size() == 2u);  // registered once
  BOOST_TEST(loaded_library(r.info.hash) != nullptr);
}

BOOST_AUTO_TEST_CASE(the_app_is_chosen_by_name_or_alone) {
  std::string app = fixture("two_apps");
  std::vector<std::string> args{"beta", "x"};
  BOOST_TEST(resolve_library_app(app, args).empty());
  BOOST_TEST(app == "beta");
  BOOST_TEST(args == std::vector<std::string>{"x"});
  app = fixture("two_apps");
  args = {};
  BOOST_TEST(contains(resolve_library_app(app, args), "several applications (alpha, beta)"));
  app = fixture("two_apps");
  args = {"gamma"};
  auto err = resolve_library_app(app, args);
  BOOST_TEST(contains(err, "no application 'gamma'"), err);
}

BOOST_AUTO_TEST_CASE(functions_travel_relative_to_the_library_hash) {
  auto r = load_app_library(fixture("two_apps"));
  BOOST_TEST_REQUIRE(r.error.empty(), r.error);
  void* h = dlopen(r.info.path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  BOOST_TEST_REQUIRE(h != nullptr);
  auto get = reinterpret_cast<void* (*)()>(dlsym(h, "troupe_fixture_square"));
  BOOST_TEST_REQUIRE(get != nullptr);
  void* fn = get();
  auto [where, offset] = detail::locate_function(fn);
  BOOST_TEST(where == "lib:" + r.info.hash);
  BOOST_TEST(detail::resolve_function(where, offset) == fn);
  BOOST_CHECK_THROW(detail::resolve_function("lib:" + std::string(64, '0'), offset), decode_error);
}

BOOST_AUTO_TEST_CASE(the_cache_keeps_libraries_by_hash_and_refuses_damage) {
  temp_dir d;
  std::string bytes = "library bytes";
  auto hash = sha256_hex(bytes.data(), bytes.size());
  std::string err;
  auto p = store_library(d.path().string(), "libx.so", hash, bytes, &err);
  BOOST_TEST(p == library_cache_path(d.path().string(), hash, "libx.so"));
  BOOST_TEST(hash_file(p, nullptr) == hash);
  BOOST_TEST(store_library(d.path().string(), "libx.so", hash, "other bytes", &err).empty());
  BOOST_TEST(contains(err, "damaged"), err);
  BOOST_TEST(store_library(d.path().string(), "../libx.so", hash, bytes, &err).empty());
  BOOST_TEST(contains(err, "bad library name"), err);
}

BOOST_AUTO_TEST_SUITE_END()
