// Every form of function shipped to executors in other processes: the
// bundled app fn_forms runs in client mode against a real master and worker
// whose executors are child processes (their own load address under ASLR),
// and each line it prints must equal the sequential computation below.
#include "tests/integration/cluster.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <map>
#include <string>

using namespace troupe::itest;

namespace {

/// What `fn_forms N` must print, computed here in one loop per line.
std::string expected_fn_forms(int64_t n) {
  auto pairs = [](const std::map<int64_t, int64_t>& kv) {
    std::string s;
    for (auto& [k, v] : kv)
      s += (s.empty() ? "" : " ") + std::to_string(k) + "=" + std::to_string(v);
    return s;
  };
  int64_t lambda = 0, thirds = 0, squares = 0, negated = 0, odd = 0, then_add = 0, total = 0;
  std::map<int64_t, int64_t> by_mod7, squares_by_mod7;
  for (int64_t x = 0; x < n; ++x) {
    lambda += x * 3 - 5;
    thirds += x % 3 == 0 ? 1 : 0;
    squares += x * x;
    negated -= x;
    odd += x % 2 != 0 ? x : 0;
    by_mod7[x % 7] += x;
    squares_by_mod7[x % 7] += x * x;
    then_add += x * x + 1;
    total += x;
  }
  auto count = std::to_string(n);
  return "lambda with values: " + std::to_string(lambda) + "\n"
         + "empty lambda: " + std::to_string(thirds) + "\n"
         + "struct functor with a string: n=10 n=" + std::to_string(n - 1 + 10) + " " + count + "\n"
         + "msgpack functor with a string: m=-1 m=" + std::to_string(n - 2) + " " + count + "\n"
         + "plain function into map: " + std::to_string(squares) + "\n"
         + "&fn into map: " + std::to_string(negated) + "\n"
         + "&fn into filter: " + std::to_string(odd) + "\n"
         + "&fn into key_by: " + pairs(by_mod7) + "\n"
         + "&fn into map_values: " + pairs(squares_by_mod7) + "\n"
         + "&fn inside a functor: " + std::to_string(then_add) + "\n"
         + "&fn inside a plain struct: " + std::to_string(-2 * total) + "\n"
         + "&fn into reduce: " + std::to_string(total) + "\n";
}

} // namespace

BOOST_AUTO_TEST_SUITE(fn_shipping, *boost::unit_test::timeout(120))

BOOST_AUTO_TEST_CASE(every_form_of_function_computes_the_same_in_executor_processes) {
  cluster c({}, "troupe-itest-fn-shipping");
  c.add_worker(2, "1g");  // executors as child processes (the default isolation)
  auto st = c.await_alive(1);
  BOOST_TEST_REQUIRE(st.alive_workers() == 1, st.text);

  auto r = troupe_cmd({"submit", "--master", c.url(), "fn_forms", "200"}, 60s);
  BOOST_TEST_REQUIRE((r.exit_code == 0 && !r.timed_out), describe(r));
  BOOST_TEST(r.out == expected_fn_forms(200));
  // Only when the executors' binary sits elsewhere does a function pointer
  // shipped as raw bytes go wrong: say so when this run could not catch it.
  BOOST_WARN_MESSAGE(contains(r.err, "executors load the binary elsewhere: yes"),
                     "the executors loaded the binary at the driver's address (ASLR off?): "
                     "this run does not show that function pointers travel as offsets\n" + r.err);
  if (auto at = r.err.find("fn_forms:"); at != std::string::npos)
    BOOST_TEST_MESSAGE(r.err.substr(at));
}

BOOST_AUTO_TEST_CASE(every_form_of_function_computes_the_same_in_local_mode) {
  auto r = troupe_cmd({"submit", "--master", "local[2]", "fn_forms", "57"}, 60s);
  BOOST_TEST_REQUIRE((r.exit_code == 0 && !r.timed_out), describe(r));
  BOOST_TEST(r.out == expected_fn_forms(57));
}

BOOST_AUTO_TEST_SUITE_END()
