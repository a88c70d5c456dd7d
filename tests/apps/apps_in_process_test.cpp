// The bundled applications against plain sequential computations
// (references.hpp), in-process through inline_runner: the algorithm
// functions and the registered entry points, on 1, 2 and 4 executors.
#include "runtime/app_registry.hpp"
#include "tests/apps/references.hpp"
#include "tests/support/inline_runner.hpp"
#include "tests/support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace troupe;
using namespace troupe::testing;

namespace {

const std::vector<int> executor_counts{1, 2, 4};
constexpr int64_t small_split = 64;  // bytes: most generated lines cross a split

// -- running apps in-process -------------------------------------------------------------

struct app_output {
  int code = -1;
  std::string out;
  std::string err;
};

/// Runs the registered app `name` with std::cout and std::cerr captured.
app_output run_app(context& ctx, const std::string& name, const std::vector<std::string>& args) {
  auto* app = find_app(name);
  BOOST_REQUIRE_MESSAGE(app != nullptr, "app " << name << " is not registered");
  std::ostringstream out, err;
  struct restore {
    std::streambuf* out;
    std::streambuf* err;
    ~restore() {
      std::cout.rdbuf(out);
      std::cerr.rdbuf(err);
    }
  } guard{std::cout.rdbuf(out.rdbuf()), std::cerr.rdbuf(err.rdbuf())};
  app_output r;
  r.code = app->main(ctx, args);
  r.out = out.str();
  r.err = err.str();
  return r;
}

} // namespace

// == in-process ===========================================================================

BOOST_AUTO_TEST_SUITE(apps_in_process)

BOOST_AUTO_TEST_CASE(all_apps_are_registered) {
  for (auto name : {"word_count", "pi", "sort", "page_rank", "group_by_test", "join_demo", "noop_tasks", "round_trip"}) {
    auto* app = find_app(name);
    BOOST_TEST_REQUIRE(app != nullptr, name);
    BOOST_TEST(app->usage.rfind(name, 0) == 0u, app->usage);
    BOOST_TEST(!app->description.empty());
  }
}

BOOST_AUTO_TEST_CASE(word_count_matches_sequential) {
  temp_dir dir("troupe-apps");
  std::map<std::string, std::string> inputs{
    {"empty", ""},
    {"no-trailing-newline", "alpha beta\ngamma alpha"},
    {"only-whitespace", "  \n\t\n\r\n\v\f \n"},
    {"ties", "b a c b a c d e\n"},
    {"every-space", "a\tb\vc\fd\re f\ng  h\r\n\xc3\xa9 \xff\xfe\x80 a"},
    {"one-long-line", one_long_line()},
    {"generated-seed-42", make_text(42, 400)},
  };
  for (int executors : executor_counts)
    for (auto& [name, content] : inputs) {
      BOOST_TEST_CONTEXT(executors << " executors, input " << name) {
        auto path = dir.write(name + ".txt", content);
        inline_runner runner(executors, 2);
        context ctx(runner, {0, small_split});
        auto want = seq_word_count(content);

        auto got = apps::word_counts(ctx, path).collect();
        BOOST_TEST(got.size() == want.size());  // each word once
        std::map<std::string, int64_t> got_map(got.begin(), got.end());
        BOOST_TEST((got_map == want));

        auto printed = run_app(ctx, "word_count", {path});
        BOOST_TEST(printed.code == 0);
        BOOST_TEST(printed.out == expected_word_count_output(want));

        auto out_dir = dir / ("out-" + name + "-" + std::to_string(executors));
        auto saved = run_app(ctx, "word_count", {path, out_dir});
        BOOST_TEST(saved.code == 0);
        BOOST_TEST(saved.out == "saved " + std::to_string(want.size()) + " distinct words into " + out_dir + "\n");
        BOOST_TEST(std::filesystem::exists(out_dir + "/_SUCCESS"));
        BOOST_TEST((parse_word_counts(read_parts(out_dir)) == want));
      }
    }
  // The generated text really has what it should exercise.
  auto text = make_text(42, 400);
  for (char c : {' ', '\t', '\v', '\f', '\r'})
    BOOST_TEST(text.find(c) != std::string::npos);
  BOOST_TEST(text.back() != '\n');
  BOOST_TEST(std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
  BOOST_TEST(one_long_line().size() > 20 * static_cast<size_t>(small_split));
  BOOST_TEST(one_long_line().find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(word_count_top_words_breaks_ties_bytewise) {
  std::vector<apps::word_count_row> counts{{"\xc3\xa9", 2}, {"b", 2}, {"a", 1}, {"Z", 2}, {"c", 5}};
  auto top = apps::top_words(counts, 3);
  BOOST_TEST(top.size() == 3u);
  BOOST_TEST(top[0].first == "c");
  BOOST_TEST(top[1].first == "Z");
  BOOST_TEST(top[2].first == "b");  // before the byte 0xc3
  BOOST_TEST(apps::top_words(counts, 20).size() == 5u);
}

BOOST_AUTO_TEST_CASE(word_count_usage_and_errors) {
  inline_runner runner(1, 1);
  context ctx(runner, {});
  for (auto args : {std::vector<std::string>{}, std::vector<std::string>{"a", "b", "c"}}) {
    auto r = run_app(ctx, "word_count", args);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.err.rfind("usage: word_count", 0) == 0u, r.err);
    BOOST_TEST(r.out.empty());
  }
  BOOST_CHECK_EXCEPTION(run_app(ctx, "word_count", {"/nonexistent/troupe-input.txt"}), std::runtime_error,
                        [](const std::runtime_error& e) {
                          return std::string(e.what()).find("/nonexistent/troupe-input.txt") != std::string::npos;
                        });
  temp_dir dir("troupe-apps");
  auto path = dir.write("in.txt", "a b\n");
  auto out = dir / "exists";
  std::filesystem::create_directory(out);
  BOOST_CHECK_THROW(run_app(ctx, "word_count", {path, out}), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(pi_matches_sequential) {
  const int64_t samples = 200'000;
  auto want = seq_pi_inside(samples);
  BOOST_TEST(std::abs(4.0 * static_cast<double>(want) / samples - M_PI) < 0.01);
  for (int executors : executor_counts) {
    BOOST_TEST_CONTEXT(executors << " executors") {
      inline_runner runner(executors, 2);
      context ctx(runner, {});
      for (int32_t slices : {1, 3, 8})
        BOOST_TEST(apps::pi_count_inside(ctx, samples, slices) == want);
      int tasks = runner.tasks_run;
      auto r = run_app(ctx, "pi", {std::to_string(samples)});
      BOOST_TEST(r.code == 0);
      BOOST_TEST(r.out == pi_line(want, samples));
      BOOST_TEST(runner.tasks_run - tasks == executors * 2);  // slices = default parallelism
    }
  }
  inline_runner runner(1, 2);
  context ctx(runner, {});
  auto def = run_app(ctx, "pi", {});
  BOOST_TEST(def.code == 0);
  BOOST_TEST(def.out == pi_line(seq_pi_inside(1'000'000), 1'000'000));
  for (std::string bad : {"0", "-5", "abc", "12x", "", "1e6", "99999999999999999999"}) {
    auto r = run_app(ctx, "pi", {bad});
    BOOST_TEST(r.code == 2, "SAMPLES '" << bad << "'");
    BOOST_TEST(r.err.rfind("usage: pi", 0) == 0u, r.err);
  }
  BOOST_TEST(run_app(ctx, "pi", {"1", "2"}).code == 2);
}

BOOST_AUTO_TEST_CASE(sort_matches_sequential) {
  temp_dir dir("troupe-apps");
  std::map<std::string, std::string> inputs{
    {"empty", ""},
    {"one-line-no-newline", "zebra"},
    {"empty-lines", "\n\n\n"},
    {"no-trailing-newline-seed-3", make_sort_input(3, 300, false)},
    {"trailing-newline-seed-4", make_sort_input(4, 300, true)},
    {"crlf", "b\r\na\r\na\nb\n\r\n"},
  };
  for (int executors : executor_counts)
    for (auto& [name, content] : inputs) {
      BOOST_TEST_CONTEXT(executors << " executors, input " << name) {
        auto path = dir.write(name + ".txt", content);
        inline_runner runner(executors, 2);
        context ctx(runner, {0, small_split});
        auto want_lines = lines_of(content);
        std::sort(want_lines.begin(), want_lines.end());

        auto sorted = apps::sorted_lines(ctx, path);
        BOOST_TEST(sorted.collect() == want_lines);
        if (want_lines.size() > 100)
          BOOST_TEST(sorted.partitions() > 1);  // really range partitioned

        auto out_dir = dir / ("out-" + name + "-" + std::to_string(executors));
        auto r = run_app(ctx, "sort", {path, out_dir});
        BOOST_TEST(r.code == 0);
        BOOST_TEST(r.out == "sorted " + std::to_string(want_lines.size()) + " lines into " + out_dir + "\n");
        BOOST_TEST(read_parts(out_dir) == sorted_text(content));
        BOOST_TEST(std::filesystem::exists(out_dir + "/_SUCCESS"));
      }
    }
  // The sequential reference is what `LC_ALL=C sort` does.
  for (auto& [name, content] : inputs) {
    BOOST_TEST_CONTEXT("LC_ALL=C sort of input " << name) {
      auto path = dir / (name + ".txt");
      auto r = run_command({"sort", path}, std::chrono::seconds(30), {"LC_ALL=C"});
      BOOST_TEST(r.exit_code == 0, r.err);
      BOOST_TEST(r.out == sorted_text(content));
    }
  }
  inline_runner runner(1, 1);
  context ctx(runner, {});
  BOOST_TEST(run_app(ctx, "sort", {dir / "empty.txt"}).code == 2);
}

BOOST_AUTO_TEST_CASE(page_rank_matches_sequential) {
  temp_dir dir("troupe-apps");
  std::map<std::string, std::string> inputs{
    {"empty", ""},
    {"cycle", "a b\nb c\nc a"},
    {"generated-seed-11", make_edges(11, 300)},
  };
  for (int executors : executor_counts)
    for (auto& [name, content] : inputs)
      for (int iterations : {0, 1, 6}) {
        BOOST_TEST_CONTEXT(executors << " executors, input " << name << ", " << iterations << " iterations") {
          auto path = dir.write(name + ".txt", content);
          inline_runner runner(executors, 2);
          context ctx(runner, {0, small_split});
          auto want = seq_page_rank(content, iterations);

          auto got = apps::page_ranks(ctx, path, iterations).collect();
          BOOST_TEST(got.size() == want.size());
          for (auto& [node, rank] : got) {
            auto it = want.find(node);
            BOOST_TEST_REQUIRE((it != want.end()), "unexpected node " << node);
            BOOST_TEST(std::abs(rank - it->second) <= 1e-9 * std::max(1.0, it->second), node);
          }

          auto printed = run_app(ctx, "page_rank", {path, std::to_string(iterations)});
          BOOST_TEST(printed.code == 0);
          check_rank_output(printed.out, ' ', want);

          auto out_dir = dir / ("out-" + name + "-" + std::to_string(executors) + "-" + std::to_string(iterations));
          auto saved = run_app(ctx, "page_rank", {path, std::to_string(iterations), out_dir});
          BOOST_TEST(saved.code == 0);
          BOOST_TEST(saved.out == "saved " + std::to_string(want.size()) + " ranks into " + out_dir + "\n");
          auto parts = read_parts(out_dir);
          check_rank_output(parts, '\t', want);
          auto as_printed = parts;
          std::replace(as_printed.begin(), as_printed.end(), '\t', ' ');
          BOOST_TEST(as_printed == printed.out);  // same lines, same order
        }
      }
  // Semantics the generated graph exercises.
  auto gen = seq_page_rank(make_edges(11, 300), 1);
  BOOST_TEST(gen.count("source-only") == 0u);  // no incoming link: dropped
  BOOST_TEST(gen.count("sink-only") == 1u);    // no outgoing link: still ranked
  BOOST_TEST(gen.count("lonely") == 0u);
  BOOST_TEST(gen.count("extra") == 0u);
  BOOST_TEST(gen.count("n\xc3\xa9ud") == 1u);
  auto cycle = seq_page_rank("a b\nb c\nc a", 6);
  BOOST_TEST(std::abs(cycle["a"] - 1.0) < 1e-12);

  inline_runner runner(1, 1);
  context ctx(runner, {});
  auto path = dir / "cycle.txt";
  for (auto args : {std::vector<std::string>{path}, std::vector<std::string>{path, "-1"},
                    std::vector<std::string>{path, "x"}, std::vector<std::string>{path, "1", "o", "extra"}}) {
    auto r = run_app(ctx, "page_rank", args);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.err.rfind("usage: page_rank", 0) == 0u, r.err);
  }
}

BOOST_AUTO_TEST_CASE(group_by_test_matches_sequential) {
  const int64_t mappers = 3, pairs = 400, value_size = 37;
  auto keys = seq_group_keys(mappers, pairs);
  // Keys collide, so the group count says something.
  BOOST_TEST(keys.size() < static_cast<size_t>(mappers * pairs));
  BOOST_TEST(keys.size() > static_cast<size_t>(mappers * pairs / 2));
  std::multiset<int64_t> all_keys;
  for (int64_t m = 0; m < mappers; ++m)
    for (int64_t i = 0; i < pairs; ++i)
      all_keys.insert(apps::group_by_test_key(m, i, mappers, pairs));
  for (int executors : executor_counts) {
    BOOST_TEST_CONTEXT(executors << " executors") {
      inline_runner runner(executors, 2);
      context ctx(runner, {});
      auto kv = apps::group_by_test_pairs(ctx, mappers, pairs, value_size);
      BOOST_TEST(kv.partitions() == mappers);
      auto rows = kv.collect();
      std::multiset<int64_t> got_keys;
      std::set<std::string> values;
      for (auto& [k, v] : rows) {
        got_keys.insert(k);
        values.insert(v);
        BOOST_TEST(v.size() == static_cast<size_t>(value_size));
      }
      BOOST_TEST((got_keys == all_keys));
      BOOST_TEST(values.size() == rows.size());  // values really are generated bytes

      for (int32_t reducers : {1, 5}) {
        auto [n, groups] = apps::group_by_test_run(ctx, mappers, pairs, value_size, reducers);
        BOOST_TEST(n == mappers * pairs);
        BOOST_TEST(groups == static_cast<int64_t>(keys.size()));
      }
      auto r = run_app(ctx, "group_by_test", {"3", "400", "37", "4"});
      BOOST_TEST(r.code == 0);
      BOOST_TEST(r.out == "pairs=1200\ngroups=" + std::to_string(keys.size()) + "\n");
    }
  }
  inline_runner runner(2, 1);
  context ctx(runner, {});
  auto def = run_app(ctx, "group_by_test", {});
  BOOST_TEST(def.code == 0);
  BOOST_TEST(def.out == "pairs=2000\ngroups=" + std::to_string(seq_group_keys(2, 1000).size()) + "\n");
  for (auto args : {std::vector<std::string>{"0"}, std::vector<std::string>{"2", "x"},
                    std::vector<std::string>{"2", "10", "-1"}, std::vector<std::string>{"1", "2", "3", "4", "5"}}) {
    auto r = run_app(ctx, "group_by_test", args);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.err.find("usage: group_by_test") != std::string::npos, r.err);
  }
}

BOOST_AUTO_TEST_CASE(join_demo_matches_sequential) {
  for (int64_t n : {1, 37, 500}) {
    auto ref = seq_join_demo(n);
    if (n >= 37) {
      BOOST_TEST(ref.unknown_orders > 0);             // orders without a customer
      BOOST_TEST(ref.customers_without_orders > 0);   // customers without orders
    }
    for (int executors : executor_counts) {
      BOOST_TEST_CONTEXT(executors << " executors, N=" << n) {
        inline_runner runner(executors, 2);
        context ctx(runner, {});
        auto [joined, totals] = apps::join_demo_run(ctx, n);
        BOOST_TEST(joined == ref.joined);
        for (auto& [customer, total] : totals)
          BOOST_TEST(customer.second == "customer-" + std::to_string(customer.first));
        auto r = run_app(ctx, "join_demo", {std::to_string(n)});
        BOOST_TEST(r.code == 0);
        BOOST_TEST(r.out == ref.output);
      }
    }
  }
  inline_runner runner(1, 2);
  context ctx(runner, {});
  auto def = run_app(ctx, "join_demo", {});
  BOOST_TEST(def.code == 0);
  BOOST_TEST(def.out == seq_join_demo(1000).output);
  for (auto args : {std::vector<std::string>{"0"}, std::vector<std::string>{"ten"}, std::vector<std::string>{"1", "2"}}) {
    auto r = run_app(ctx, "join_demo", args);
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.err.rfind("usage: join_demo", 0) == 0u, r.err);
  }
}

BOOST_AUTO_TEST_CASE(bench_apps_run_and_report) {
  inline_runner runner(2, 2);
  context ctx(runner, {});
  int tasks = runner.tasks_run;
  BOOST_TEST(apps::noop_tasks_run(ctx, 25) >= 0.0);
  BOOST_TEST(runner.tasks_run - tasks == 25);  // one task per element

  auto r = run_app(ctx, "noop_tasks", {"30"});
  BOOST_TEST(r.code == 0);
  double seconds = -1, rate = -1;
  int n = 0;
  BOOST_TEST(std::sscanf(r.out.c_str(), "tasks=%d seconds=%lf tasks_per_second=%lf", &n, &seconds, &rate) == 3, r.out);
  BOOST_TEST(n == 30);
  BOOST_TEST(seconds > 0.0);
  BOOST_TEST(std::abs(rate * seconds - 30) < 1.5);  // both are rounded

  int jobs = runner.jobs_run;
  auto us = apps::round_trip_run(ctx, 7);
  BOOST_TEST(us.size() == 7u);
  BOOST_TEST(runner.jobs_run - jobs == 10);  // 3 warm-up jobs first
  for (auto u : us)
    BOOST_TEST(u > 0.0);

  auto rt = run_app(ctx, "round_trip", {"9"});
  BOOST_TEST(rt.code == 0);
  double median = -1, p90 = -1;
  BOOST_TEST(std::sscanf(rt.out.c_str(), "jobs=%d median_us=%lf p90_us=%lf", &n, &median, &p90) == 3, rt.out);
  BOOST_TEST(n == 9);
  BOOST_TEST(median > 0.0);
  BOOST_TEST(p90 >= median);

  for (auto& app : {"noop_tasks", "round_trip"})
    for (auto args : {std::vector<std::string>{}, std::vector<std::string>{"0"}, std::vector<std::string>{"x"}}) {
      auto bad = run_app(ctx, app, args);
      BOOST_TEST(bad.code == 2);
      BOOST_TEST(bad.err.rfind(std::string("usage: ") + app, 0) == 0u, bad.err);
    }
}

BOOST_AUTO_TEST_SUITE_END()
