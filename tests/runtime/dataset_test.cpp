// The dataset engine end to end without actors: every operation against a
// plain sequential computation, on fake executors fed through the DAG scheduler.
#include "tests/support/inline_runner.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <set>

using namespace troupe;
using troupe::testing::inline_runner;

namespace {

int64_t square(int64_t x) { return x * x; }

struct add_offset {
  std::string label;  // not trivially copyable: travels as msgpack
  int64_t offset = 0;
  std::string operator()(int64_t x) const { return label + std::to_string(x + offset); }
  MSGPACK_DEFINE(label, offset);
};

/// The same with its fields declared once (inspect), holding a function pointer too.
struct add_offset_then {
  std::string label;
  int64_t offset = 0;
  int64_t (*then)(int64_t) = nullptr;
  std::string operator()(int64_t x) const { return label + std::to_string(then(x + offset)); }
  template <class F>
  friend auto inspect(F& f, add_offset_then& x) { return f(x.label, x.offset, x.then); }
};

int64_t last_digit(int64_t x) { return x % 10; }
bool is_even(int64_t x) { return x % 2 == 0; }

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string temp_path(const std::string& name) {
  static int n = 0;
  return (std::filesystem::temp_directory_path() / ("troupe-dataset-test-" + std::to_string(::getpid()) + "-"
                                                     + std::to_string(++n) + "-" + name)).string();
}

} // namespace

BOOST_AUTO_TEST_SUITE(dataset_ops)

BOOST_AUTO_TEST_CASE(narrow_operations_match_sequential) {
  inline_runner runner(2, 2);
  context ctx(runner, {});
  std::vector<int64_t> xs(1000);
  std::iota(xs.begin(), xs.end(), -300);
  auto ds = ctx.parallelize(xs, 7);
  BOOST_TEST(ds.partitions() == 7);
  auto got = ds.map([](int64_t x) { return x * 3; })
               .filter([](int64_t x) { return x % 2 == 0; })
               .flat_map([](int64_t x) { return std::vector<int64_t>{x, -x}; })
               .collect();
  std::vector<int64_t> want;
  for (auto x : xs)
    if ((x * 3) % 2 == 0) {
      want.push_back(x * 3);
      want.push_back(-x * 3);
    }
  BOOST_TEST(got == want);  // order is preserved partition by partition
}

BOOST_AUTO_TEST_CASE(function_pointers_and_msgpack_functors_travel) {
  inline_runner runner(1, 2);
  context ctx(runner, {});
  auto squares = ctx.range(0, 10).map(square).collect();
  BOOST_TEST(squares.size() == 10u);
  BOOST_TEST(squares[9] == 81);
  auto labels = ctx.range(0, 3).map(add_offset{"n=", 10}).collect();
  BOOST_TEST(labels == (std::vector<std::string>{"n=10", "n=11", "n=12"}));
}

BOOST_AUTO_TEST_CASE(inspect_functors_and_function_pointers_in_every_operation_travel) {
  inline_runner runner(2, 2);
  context ctx(runner, {});
  auto labels = ctx.range(0, 3).map(add_offset_then{"n=", 10, &square}).collect();
  BOOST_TEST(labels == (std::vector<std::string>{"n=100", "n=121", "n=144"}));
  auto evens = ctx.range(0, 10, 1, 3).filter(&is_even).map(&square).collect();
  BOOST_TEST(evens == (std::vector<int64_t>{0, 4, 16, 36, 64}));
  auto keyed = ctx.range(0, 30, 1, 3).key_by(&last_digit).map_values(&square).reduce_by_key([](int64_t a, int64_t b) { return a + b; }).collect();
  std::map<int64_t, int64_t> got(keyed.begin(), keyed.end()), want;
  for (int64_t x = 0; x < 30; ++x)
    want[x % 10] += x * x;
  BOOST_TEST((got == want));
}

BOOST_AUTO_TEST_CASE(captures_travel_by_value) {
  inline_runner runner(1, 1);
  context ctx(runner, {});
  int64_t k = 7;
  double scale = 0.5;
  auto got = ctx.range(0, 4).map([k, scale](int64_t x) { return static_cast<double>(x * k) * scale; }).collect();
  BOOST_TEST(got == (std::vector<double>{0, 3.5, 7, 10.5}));
}

BOOST_AUTO_TEST_CASE(range_counts_and_steps) {
  inline_runner runner(2, 1);
  context ctx(runner, {});
  BOOST_TEST(ctx.range(0, 100000, 1, 13).count() == 100000);
  BOOST_TEST(ctx.range(10, 0, -3).collect() == (std::vector<int64_t>{10, 7, 4, 1}));
  BOOST_TEST(ctx.range(5, 5).count() == 0);
  BOOST_CHECK_THROW(ctx.range(0, 1, 0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(map_partitions_sees_whole_partitions) {
  inline_runner runner(1, 2);
  context ctx(runner, {});
  auto sums = ctx.range(0, 100, 1, 4)
                .map_partitions([](int32_t p, std::vector<int64_t> rows) {
                  return std::vector<std::pair<int32_t, int64_t>>{{p, std::accumulate(rows.begin(), rows.end(), int64_t{0})}};
                })
                .collect();
  BOOST_TEST(sums.size() == 4u);
  int64_t total = 0;
  for (auto& [p, s] : sums)
    total += s;
  BOOST_TEST(total == 4950);
  BOOST_TEST(sums[0].first == 0);
  BOOST_TEST(sums[3].first == 3);
}

BOOST_AUTO_TEST_CASE(key_by_map_values_union) {
  inline_runner runner(2, 1);
  context ctx(runner, {});
  auto a = ctx.parallelize(std::vector<std::string>{"apple", "kiwi", "banana"}, 2);
  auto b = ctx.parallelize(std::vector<std::string>{"fig"}, 1);
  auto u = a.union_with(b);
  BOOST_TEST(u.partitions() == 3);
  auto keyed = u.key_by([](const std::string& s) { return static_cast<int64_t>(s.size()); })
                 .map_values([](std::string s) { return s.substr(0, 1); })
                 .collect();
  using kv = std::pair<int64_t, std::string>;
  BOOST_TEST(keyed == (std::vector<kv>{{5, "a"}, {4, "k"}, {6, "b"}, {3, "f"}}));
}

BOOST_AUTO_TEST_CASE(reduce_by_key_combines) {
  inline_runner runner(2, 2);
  context ctx(runner, {});
  std::vector<std::pair<std::string, int64_t>> rows;
  std::map<std::string, int64_t> want;
  for (int i = 0; i < 5000; ++i) {
    auto key = "k" + std::to_string(i % 37);
    rows.emplace_back(key, i);
    want[key] += i;
  }
  auto got = ctx.parallelize(rows, 9).reduce_by_key([](int64_t a, int64_t b) { return a + b; }, 5).collect();
  BOOST_TEST(got.size() == want.size());
  std::map<std::string, int64_t> got_map(got.begin(), got.end());
  BOOST_TEST((got_map == want));
}

BOOST_AUTO_TEST_CASE(group_by_key_and_distinct) {
  inline_runner runner(3, 1);
  context ctx(runner, {});
  std::vector<std::pair<int64_t, int64_t>> rows;
  for (int64_t i = 0; i < 300; ++i)
    rows.emplace_back(i % 10, i);
  auto groups = ctx.parallelize(rows, 4).group_by_key(3).collect();
  BOOST_TEST(groups.size() == 10u);
  for (auto& [k, vs] : groups) {
    BOOST_TEST(vs.size() == 30u);
    for (auto v : vs)
      BOOST_TEST(v % 10 == k);
  }
  auto d = ctx.parallelize(std::vector<int64_t>{3, 1, 3, 2, 1, 3}, 3).distinct(2).collect();
  BOOST_TEST(sorted(d) == (std::vector<int64_t>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(join_is_an_inner_join) {
  inline_runner runner(2, 2);
  context ctx(runner, {});
  using kv = std::pair<int64_t, std::string>;
  auto left = ctx.parallelize(std::vector<kv>{{1, "a"}, {2, "b"}, {2, "c"}, {4, "d"}}, 2);
  auto right = ctx.parallelize(std::vector<std::pair<int64_t, double>>{{2, 0.5}, {1, 1.5}, {3, 9.0}, {2, 2.5}}, 3);
  auto got = sorted(left.join(right, 4).collect());
  using row = std::pair<int64_t, std::pair<std::string, double>>;
  std::vector<row> want{{1, {"a", 1.5}}, {2, {"b", 0.5}}, {2, {"b", 2.5}}, {2, {"c", 0.5}}, {2, {"c", 2.5}}};
  BOOST_TEST((got == want));
}

BOOST_AUTO_TEST_CASE(sort_by_key_orders_across_partitions) {
  for (bool asc : {true, false}) {
    inline_runner runner(2, 2);
    context ctx(runner, {});
    std::vector<std::pair<int64_t, int64_t>> rows;
    uint64_t x = 12345;
    for (int i = 0; i < 20000; ++i) {
      x = mix64(x + static_cast<uint64_t>(i));
      rows.emplace_back(static_cast<int64_t>(x % 100000), i);
    }
    auto ds = ctx.parallelize(rows, 8).sort_by_key(asc, 5);
    BOOST_TEST(ds.partitions() > 1);
    auto got = ds.collect();
    BOOST_TEST(got.size() == rows.size());
    auto cmp = [asc](auto& a, auto& b) { return asc ? a.first < b.first : b.first < a.first; };
    BOOST_TEST(std::is_sorted(got.begin(), got.end(), cmp));
    auto want = rows;
    std::stable_sort(want.begin(), want.end(), cmp);
    std::vector<int64_t> gk, wk;
    for (auto& r : got)
      gk.push_back(r.first);
    for (auto& r : want)
      wk.push_back(r.first);
    BOOST_TEST(gk == wk);
  }
}

BOOST_AUTO_TEST_CASE(repartition_keeps_every_row) {
  inline_runner runner(2, 2);
  context ctx(runner, {});
  auto ds = ctx.range(0, 1000, 1, 3).repartition(7);
  BOOST_TEST(ds.partitions() == 7);
  auto got = sorted(ds.collect());
  std::vector<int64_t> want(1000);
  std::iota(want.begin(), want.end(), 0);
  BOOST_TEST(got == want);
  auto sizes = ds.map_partitions([](std::vector<int64_t> v) { return std::vector<int64_t>{static_cast<int64_t>(v.size())}; }).collect();
  for (auto s : sizes)
    BOOST_TEST((s >= 1000 / 7 - 3 && s <= 1000 / 7 + 4));
}

BOOST_AUTO_TEST_CASE(actions_count_reduce_take) {
  inline_runner runner(2, 2);
  context ctx(runner, {});
  auto ds = ctx.range(1, 101, 1, 10);
  BOOST_TEST(ds.count() == 100);
  BOOST_TEST(ds.reduce([](int64_t a, int64_t b) { return a + b; }) == 5050);
  int before = runner.jobs_run;
  BOOST_TEST(ds.take(3) == (std::vector<int64_t>{1, 2, 3}));
  BOOST_TEST(runner.jobs_run == before + 1);  // one partition was enough
  BOOST_TEST(ds.take(25).size() == 25u);
  BOOST_TEST(ds.take(1000).size() == 100u);
  BOOST_CHECK_THROW(ctx.range(0, 0).reduce([](int64_t a, int64_t b) { return a + b; }), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(shuffle_outputs_are_reused_across_jobs) {
  inline_runner runner(1, 2);
  context ctx(runner, {});
  auto counts = ctx.range(0, 1000, 1, 4)
                  .map([](int64_t x) { return std::pair<int64_t, int64_t>{x % 3, 1}; })
                  .reduce_by_key([](int64_t a, int64_t b) { return a + b; }, 2);
  BOOST_TEST(counts.count() == 3);
  int tasks = runner.tasks_run;
  BOOST_TEST(counts.count() == 3);
  BOOST_TEST(runner.tasks_run - tasks == 2);  // only the 2 reduce tasks ran again
}

BOOST_AUTO_TEST_CASE(cache_serves_later_jobs) {
  inline_runner runner(1, 2);
  context ctx(runner, {});
  static std::atomic<int> calls{0};
  calls = 0;
  auto ds = ctx.range(0, 100, 1, 4).map([](int64_t x) { ++calls; return x + 1; });
  ds.cache();
  BOOST_TEST(ds.count() == 100);
  BOOST_TEST(calls.load() == 100);
  BOOST_TEST(ds.reduce([](int64_t a, int64_t b) { return a + b; }) == 5050);
  BOOST_TEST(calls.load() == 100);  // served from the block store
}

BOOST_AUTO_TEST_CASE(a_throwing_function_is_retried_then_fails_the_job) {
  inline_runner runner(1, 1, 3);
  context ctx(runner, {});
  static std::atomic<int> attempts{0};
  attempts = 0;
  auto ds = ctx.range(0, 10, 1, 2).map([](int64_t x) {
    if (x == 7) {
      ++attempts;
      throw std::runtime_error("bad record 7");
    }
    return x;
  });
  try {
    ds.count();
    BOOST_FAIL("the job should have failed");
  } catch (const job_failed& e) {
    BOOST_TEST(std::string(e.what()).find("bad record 7") != std::string::npos);
  }
  BOOST_TEST(attempts.load() == 3);
}

BOOST_AUTO_TEST_CASE(a_flaky_function_succeeds_on_retry) {
  inline_runner runner(1, 1, 4);
  context ctx(runner, {});
  static std::atomic<int> failures{0};
  failures = 0;
  auto n = ctx.range(0, 10, 1, 2)
             .filter([](int64_t x) {
               if (x == 3 && failures < 2) {
                 ++failures;
                 throw std::runtime_error("transient");
               }
               return true;
             })
             .count();
  BOOST_TEST(n == 10);
  BOOST_TEST(failures.load() == 2);
}

BOOST_AUTO_TEST_CASE(lost_map_outputs_are_recomputed) {
  inline_runner runner(2, 1);
  context ctx(runner, {});
  auto counts = ctx.range(0, 600, 1, 6)
                  .map([](int64_t x) { return std::pair<int64_t, int64_t>{x % 5, 1}; })
                  .reduce_by_key([](int64_t a, int64_t b) { return a + b; }, 3);
  BOOST_TEST(counts.count() == 5);
  auto shuffle = counts.plan()->reads.at(0).id;
  BOOST_TEST(runner.scheduler().available_outputs(shuffle) == 6u);
  runner.lose_executor("1");
  BOOST_TEST(runner.scheduler().available_outputs(shuffle) < 6u);
  auto got = counts.collect();
  BOOST_TEST(got.size() == 5u);
  for (auto& [k, n] : got)
    BOOST_TEST(n == 120);
  BOOST_TEST(runner.scheduler().available_outputs(shuffle) == 6u);
}

BOOST_AUTO_TEST_CASE(save_as_text_file_writes_parts) {
  inline_runner runner(1, 2);
  context ctx(runner, {});
  auto dir = temp_path("out");
  auto n = ctx.parallelize(std::vector<std::pair<std::string, int64_t>>{{"a", 1}, {"b", 22}, {"c", 3}}, 2)
             .save_as_text_file(dir);
  BOOST_TEST(n == 3);
  std::string all;
  for (auto name : {"part-00000", "part-00001"}) {
    std::ifstream f(dir + "/" + name);
    BOOST_REQUIRE(f.good());
    all += std::string(std::istreambuf_iterator<char>(f), {});
  }
  BOOST_TEST(all == "a\t1\nb\t22\nc\t3\n");
  BOOST_TEST(std::filesystem::exists(dir + "/_SUCCESS"));
  BOOST_CHECK_THROW(ctx.range(0, 1).save_as_text_file(dir), std::runtime_error);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_failed_save_leaves_only_its_failure_and_a_rerun_may_take_the_directory) {
  inline_runner runner(1, 2);
  context ctx(runner, {});
  auto dir = temp_path("failed-out");
  auto rows = ctx.range(0, 40, 1, 4);
  // Partition 3 throws on every attempt; the others commit their parts first.
  auto bad = rows.map(+[](const int64_t& x) -> int64_t {
    if (x == 35)
      throw std::runtime_error("record 35 is bad");
    return x;
  });
  BOOST_CHECK_THROW(bad.save_as_text_file(dir), std::exception);
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  BOOST_TEST(names == std::vector<std::string>{"_FAILED"});
  std::ifstream f(dir + "/_FAILED");
  std::string reason(std::istreambuf_iterator<char>(f), {});
  BOOST_TEST(reason.find("record 35 is bad") != std::string::npos, reason);
  // The failed directory holds no result: the next run writes there.
  BOOST_TEST(rows.save_as_text_file(dir) == 40);
  BOOST_TEST(std::filesystem::exists(dir + "/_SUCCESS"));
  BOOST_TEST(!std::filesystem::exists(dir + "/_FAILED"));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_commit_removes_the_temporaries_of_killed_attempts) {
  auto dir = temp_path("stale-out");
  auto abs = detail::make_output_dir(dir);
  std::ofstream(abs + "/.part-00001.7.0.tmp") << "half a line";
  std::ofstream(abs + "/part-00000") << "a\n";
  detail::commit_output(abs);
  BOOST_TEST(!std::filesystem::exists(abs + "/.part-00001.7.0.tmp"));
  BOOST_TEST(std::filesystem::exists(abs + "/part-00000"));
  BOOST_TEST(std::filesystem::exists(abs + "/_SUCCESS"));
  // A directory with a result in it is never taken over.
  BOOST_CHECK_THROW(detail::make_output_dir(dir), std::runtime_error);
  std::filesystem::remove_all(abs);
}

BOOST_AUTO_TEST_CASE(text_file_reads_every_line_once) {
  inline_runner runner(2, 2);
  context ctx(runner, {4, 7});  // 7-byte splits: most lines cross a split
  auto path = temp_path("lines.txt");
  std::string content = "alpha beta\n\ngamma  delta epsilon\nzeta\r\nthe last line has no newline";
  std::ofstream(path) << content;
  auto lines = ctx.text_file(path).collect();
  std::vector<std::string> want{"alpha beta", "", "gamma  delta epsilon", "zeta\r", "the last line has no newline"};
  BOOST_TEST(lines == want);
  std::filesystem::remove(path);
  BOOST_CHECK_THROW(ctx.text_file(path), std::runtime_error);
}

// -- blocks go when no dataset can read them (#10) --------------------------------

namespace {
dataset<std::pair<int64_t, int64_t>> mod_counts(context& ctx, int64_t n, int32_t maps, int32_t reducers) {
  return ctx.range(0, n, 1, maps)
    .map([](int64_t x) { return std::pair<int64_t, int64_t>{x % 7, 1}; })
    .reduce_by_key([](int64_t a, int64_t b) { return a + b; }, reducers);
}
} // namespace

BOOST_AUTO_TEST_CASE(a_shuffle_is_reused_while_held_and_dropped_with_its_last_handle) {
  inline_runner runner(2, 2);
  context ctx(runner, {});
  {
    auto counts = mod_counts(ctx, 700, 4, 3);
    BOOST_TEST(counts.count() == 7);
    BOOST_TEST(runner.blocks_held() == 4u * (3u + 1u));  // per map: a block per reducer and its done marker
    BOOST_TEST(runner.scheduler().map_stages() == 1u);
    auto before = runner.tasks_run;
    BOOST_TEST(counts.count() == 7);  // the map stage is skipped: only the 3 reducers run
    BOOST_TEST(runner.tasks_run - before == 3);
    // A dataset built on it keeps the shuffle after its own handle is gone.
    std::optional<dataset<std::pair<int64_t, int64_t>>> doubled;
    doubled.emplace(counts.map_values([](int64_t v) { return 2 * v; }));
    {
      auto moved = std::move(counts);
    }
    BOOST_TEST(runner.blocks_held() == 16u);
    before = runner.tasks_run;
    auto got = doubled->collect();
    BOOST_TEST(runner.tasks_run - before == 3);
    BOOST_TEST(got.size() == 7u);
    for (auto& [k, v] : got)
      BOOST_TEST(v == 200);
    doubled.reset();  // the last handle
  }
  BOOST_TEST(runner.blocks_held() == 0u);
  BOOST_TEST(runner.scheduler().map_stages() == 0u);
  BOOST_TEST(mod_counts(ctx, 70, 2, 2).count() == 7);  // the context goes on
  BOOST_TEST(runner.blocks_held() == 0u);               // a temporary's shuffle went with it
}

BOOST_AUTO_TEST_CASE(cached_partitions_go_at_unpersist_or_with_the_last_handle) {
  inline_runner runner(2, 2);
  context ctx(runner, {});
  static std::atomic<int> computed{0};
  computed = 0;
  auto squares = ctx.range(0, 100, 1, 4).map([](int64_t x) {
    ++computed;
    return x * x;
  });
  squares.cache();
  BOOST_TEST(squares.count() == 100);
  BOOST_TEST(runner.blocks_held() == 4u);
  BOOST_TEST(squares.count() == 100);
  BOOST_TEST(computed.load() == 100);  // read from the cache
  squares.unpersist();
  BOOST_TEST(runner.blocks_held() == 0u);
  BOOST_TEST(squares.count() == 100);  // computed again, not cached
  BOOST_TEST(computed.load() == 200);
  BOOST_TEST(runner.blocks_held() == 0u);
  {
    auto again = ctx.range(0, 10, 1, 2).cache();
    BOOST_TEST(again.count() == 10);
    BOOST_TEST(runner.blocks_held() == 2u);
  }
  BOOST_TEST(runner.blocks_held() == 0u);
}

BOOST_AUTO_TEST_CASE(parked_ancestor_stages_recompute_lost_outputs_in_later_jobs) {
  // A lineage of four shuffles, read by several jobs, then every map output
  // of one executor lost: the stages no job waited on were parked, and must
  // come back to recompute (page_rank's iterations look like this).
  inline_runner runner(2, 1);
  context ctx(runner, {});
  auto sum = [](int64_t a, int64_t b) { return a + b; };
  auto level1 = ctx.range(0, 800, 1, 4)
                  .map([](int64_t x) { return std::pair<int64_t, int64_t>{x % 40, 1}; })
                  .reduce_by_key(sum, 4);
  auto level2 = level1.map([](std::pair<int64_t, int64_t> kv) { return std::pair<int64_t, int64_t>{kv.first % 20, kv.second}; })
                  .reduce_by_key(sum, 3);
  auto level3 = level2.map([](std::pair<int64_t, int64_t> kv) { return std::pair<int64_t, int64_t>{kv.first % 10, kv.second}; })
                  .reduce_by_key(sum, 2);
  auto level4 = level3.map([](std::pair<int64_t, int64_t> kv) { return std::pair<int64_t, int64_t>{kv.first % 5, kv.second}; })
                  .reduce_by_key(sum, 2);
  BOOST_TEST(level1.count() == 40);
  BOOST_TEST(level2.count() == 20);
  BOOST_TEST(level4.count() == 5);
  BOOST_TEST(level3.count() == 10);
  runner.lose_executor("1");
  auto got = level4.collect();
  BOOST_TEST(got.size() == 5u);
  for (auto& [k, n] : got)
    BOOST_TEST(n == 160);
  runner.lose_executor("0");
  BOOST_CHECK_THROW(level4.count(), std::exception);  // no executor left: fails, never hangs or crashes
}

BOOST_AUTO_TEST_SUITE_END()
