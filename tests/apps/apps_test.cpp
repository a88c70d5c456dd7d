// The bundled applications against plain sequential computations, at two
// levels: in-process through inline_runner (the algorithm functions and the
// registered entry points), and through the real `troupe submit` command on
// local[1], local[2] and local[4].
#include "runtime/app_registry.hpp"
#include "tests/runtime/inline_runner.hpp"
#include "tests/support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

// -- the apps' algorithm functions (defined in apps/*.cpp) ------------------------------

namespace troupe::apps {
using word_count_row = std::pair<std::string, int64_t>;
dataset<word_count_row> word_counts(context& ctx, const std::string& input);
std::vector<word_count_row> top_words(std::vector<word_count_row> counts, size_t k);

int64_t pi_count_inside(context& ctx, int64_t samples, int32_t slices);

dataset<std::string> sorted_lines(context& ctx, const std::string& input);

using rank_row = std::pair<std::string, double>;
dataset<rank_row> page_ranks(context& ctx, const std::string& edges_path, int64_t iterations);

int64_t group_by_test_key(int64_t m, int64_t i, int64_t mappers, int64_t pairs);
dataset<std::pair<int64_t, std::string>> group_by_test_pairs(context& ctx, int64_t mappers, int64_t pairs,
                                                             int64_t value_size);
std::pair<int64_t, int64_t> group_by_test_run(context& ctx, int64_t mappers, int64_t pairs, int64_t value_size,
                                              int32_t reducers);

std::pair<int64_t, int64_t> join_demo_order(int64_t j, int64_t n);
using customer_total = std::pair<std::pair<int64_t, std::string>, int64_t>;
std::pair<int64_t, std::vector<customer_total>> join_demo_run(context& ctx, int64_t n);

double noop_tasks_run(context& ctx, int32_t tasks);
std::vector<double> round_trip_run(context& ctx, int64_t jobs);
} // namespace troupe::apps

using namespace troupe;
using troupe::testing::inline_runner;
using troupe::testing::read_file;
using troupe::testing::read_parts;
using troupe::testing::run_command;
using troupe::testing::run_result;
using troupe::testing::temp_dir;

namespace {

const std::vector<int> executor_counts{1, 2, 4};
constexpr int64_t small_split = 64;  // bytes: most generated lines cross a split

// -- sequential references ---------------------------------------------------------------

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::vector<std::string> seq_words(const std::string& text) {
  std::vector<std::string> words;
  std::string cur;
  for (char c : text) {
    if (is_space(c)) {
      if (!cur.empty())
        words.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    words.push_back(cur);
  return words;
}

std::map<std::string, int64_t> seq_word_count(const std::string& text) {
  std::map<std::string, int64_t> m;
  for (auto& w : seq_words(text))
    ++m[w];
  return m;
}

/// What `word_count INPUT` prints for these counts.
std::string expected_word_count_output(const std::map<std::string, int64_t>& counts) {
  std::vector<std::pair<std::string, int64_t>> v(counts.begin(), counts.end());  // word order
  std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::string out;
  int64_t total = 0;
  for (auto& [w, n] : counts)
    total += n;
  for (size_t i = 0; i < v.size() && i < 20; ++i)
    out += v[i].first + "\t" + std::to_string(v[i].second) + "\n";
  out += "distinct=" + std::to_string(counts.size()) + " total=" + std::to_string(total) + "\n";
  return out;
}

/// Lines as text_file and `sort` see them: split on '\n', a last line without newline counts.
std::vector<std::string> seq_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::string seq_sorted_text(const std::string& text) {
  auto lines = seq_lines(text);
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (auto& l : lines)
    out += l + "\n";
  return out;
}

/// SparkPageRank, sequentially.
std::map<std::string, double> seq_page_rank(const std::string& text, int iterations) {
  std::map<std::string, std::set<std::string>> links;
  for (auto& line : seq_lines(text)) {
    auto f = seq_words(line);
    if (f.size() >= 2)
      links[f[0]].insert(f[1]);
  }
  std::map<std::string, double> ranks;
  for (auto& [src, urls] : links)
    ranks[src] = 1.0;
  for (int i = 0; i < iterations; ++i) {
    std::map<std::string, double> contrib;
    for (auto& [src, urls] : links) {
      auto it = ranks.find(src);
      if (it == ranks.end())
        continue;
      for (auto& u : urls)
        contrib[u] += it->second / static_cast<double>(urls.size());
    }
    ranks.clear();
    for (auto& [u, s] : contrib)
      ranks[u] = 0.15 + 0.85 * s;
  }
  return ranks;
}

/// Sample i of pi, as documented in apps/pi.cpp: x, y from mix64(2i+1), mix64(2i+2).
int64_t seq_pi_inside(int64_t samples) {
  int64_t inside = 0;
  auto unit = [](uint64_t bits) { return static_cast<double>(bits >> 11) * (2.0 / 9007199254740991.0) - 1.0; };
  for (int64_t i = 0; i < samples; ++i) {
    auto u = static_cast<uint64_t>(i);
    double x = unit(mix64(2 * u + 1));
    double y = unit(mix64(2 * u + 2));
    inside += x * x + y * y <= 1.0 ? 1 : 0;
  }
  return inside;
}

std::string pi_line(int64_t inside, int64_t samples) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", 4.0 * static_cast<double>(inside) / static_cast<double>(samples));
  return std::string("pi is roughly ") + buf + "\n";
}

struct join_reference {
  int64_t joined = 0;
  int64_t unknown_orders = 0;
  int64_t customers_without_orders = 0;
  std::string output;
};

join_reference seq_join_demo(int64_t n) {
  join_reference ref;
  std::map<int64_t, int64_t> totals;
  for (int64_t j = 0; j < 3 * n; ++j) {
    auto [id, amount] = apps::join_demo_order(j, n);
    if (id >= 0 && id < n) {
      ++ref.joined;
      totals[id] += amount;
    } else {
      ++ref.unknown_orders;
    }
  }
  ref.customers_without_orders = n - static_cast<int64_t>(totals.size());
  std::vector<std::pair<int64_t, int64_t>> v(totals.begin(), totals.end());  // id order
  std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
  int64_t sum = 0;
  for (auto& [id, t] : totals)
    sum += t;
  for (size_t i = 0; i < v.size() && i < 10; ++i)
    ref.output += std::to_string(v[i].first) + "\tcustomer-" + std::to_string(v[i].first) + "\t"
                  + std::to_string(v[i].second) + "\n";
  ref.output += "joined=" + std::to_string(ref.joined) + " customers_with_orders=" + std::to_string(totals.size())
                + " total=" + std::to_string(sum) + "\n";
  return ref;
}

std::set<int64_t> seq_group_keys(int64_t mappers, int64_t pairs) {
  std::set<int64_t> keys;
  for (int64_t m = 0; m < mappers; ++m)
    for (int64_t i = 0; i < pairs; ++i)
      keys.insert(apps::group_by_test_key(m, i, mappers, pairs));
  return keys;
}

// -- generated inputs --------------------------------------------------------------------

struct rng {
  uint64_t state;
  uint64_t next() { return state = mix64(state + 0x9e3779b97f4a7c15ULL); }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
};

/// Text with every whitespace kind between words, CRLF and LF line ends,
/// bytes >= 0x80, empty lines, lines far longer than a split, a skewed word
/// distribution, and no newline at the end.
std::string make_text(uint64_t seed, int lines) {
  static const std::vector<std::string> vocab{
    "the", "of", "and", "a", "to", "in", "is", "troupe", "spark", "actor", "The", "the,", "x", "yy",
    "h\xc3\xa9llo", "na\xc3\xafve", "\xff\xfe", "\x80", "caf\xc3\xa9", "\xe2\x82\xac" "100", "word\x7f", "0", "zeta"};
  static const std::vector<std::string> seps{" ", "\t", "\v", "\f", "\r", "  ", " \t\v\f\r "};
  rng r{seed};
  std::string text;
  for (int l = 0; l < lines; ++l) {
    auto n = r.below(7) == 0 ? 0 : r.below(l % 10 == 3 ? 120 : 25);
    if (r.below(4) == 0)
      text += seps[r.below(seps.size())];  // leading whitespace
    for (size_t i = 0; i < n; ++i) {
      if (i > 0)
        text += seps[r.below(seps.size())];
      if (r.below(9) == 0)
        text += "w" + std::to_string(r.below(500));  // a long tail of rare words
      else
        text += vocab[r.below(r.below(vocab.size()) + 1)];  // skewed towards the front
    }
    if (r.below(5) == 0)
      text += seps[r.below(seps.size())];  // trailing whitespace
    if (l + 1 < lines)
      text += r.below(3) == 0 ? "\r\n" : "\n";
  }
  return text;
}

/// One line of words many splits long.
std::string one_long_line() {
  auto text = make_text(7, 60);
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

/// Lines for sort: duplicates, prefixes, empty lines, '\r', tabs, bytes >= 0x80, long lines.
std::string make_sort_input(uint64_t seed, int lines, bool trailing_newline) {
  static const std::vector<std::string> pieces{
    "", "a", "a\r", "ab", "abc", "B", "b", " a", "\ta", "\xc3\xa9t\xc3\xa9", "\xff", "\x80z", "Z", "0", "9 lives", "~",
    std::string(150, 'q'), std::string(70, 'q') + "r"};
  rng r{seed};
  std::string text;
  for (int l = 0; l < lines; ++l) {
    std::string line = pieces[r.below(pieces.size())];
    if (r.below(2) == 0)
      line += std::to_string(r.below(1000));
    text += line;
    if (l + 1 < lines || trailing_newline)
      text += "\n";
  }
  return text;
}

/// Edge lines for page_rank: duplicates, short lines, extra fields, tabs, '\r', bytes >= 0x80.
std::string make_edges(uint64_t seed, int edges) {
  rng r{seed};
  auto node = [&] {
    auto i = r.below(r.below(30) + 1);
    return i == 7 ? std::string("n\xc3\xa9ud") : "n" + std::to_string(i);
  };
  std::string text = "source-only n1\nn2 sink-only\nlonely\n\n";
  for (int e = 0; e < edges; ++e) {
    auto src = node();
    auto dst = node();
    switch (r.below(6)) {
      case 0: text += "  " + src + "\t" + dst + "  extra fields\n"; break;
      case 1: text += src + " " + dst + "\r\n"; break;
      case 2: text += src + "\n"; break;  // too short: skipped
      default: text += src + " " + dst + "\n"; break;
    }
  }
  text += "n3 n4";  // no newline at the end
  return text;
}

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

std::map<std::string, int64_t> parse_word_counts(const std::string& text) {
  std::map<std::string, int64_t> m;
  for (auto& line : seq_lines(text)) {
    auto tab = line.rfind('\t');
    BOOST_REQUIRE_MESSAGE(tab != std::string::npos, "no tab in output line '" << line << "'");
    auto word = line.substr(0, tab);
    BOOST_TEST(m.count(word) == 0u, "word '" << word << "' appears twice");
    m[word] = std::stoll(line.substr(tab + 1));
  }
  return m;
}

/// `node<sep>rank` lines, in order.
std::vector<std::pair<std::string, double>> parse_ranks(const std::string& text, char sep) {
  std::vector<std::pair<std::string, double>> v;
  for (auto& line : seq_lines(text)) {
    auto at = line.rfind(sep);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "bad rank line '" << line << "'");
    v.emplace_back(line.substr(0, at), std::stod(line.substr(at + 1)));
  }
  return v;
}

/// Ranks printed by page_rank agree with the sequential ones and come sorted.
void check_rank_output(const std::string& text, char sep, const std::map<std::string, double>& want) {
  auto got = parse_ranks(text, sep);
  BOOST_TEST(got.size() == want.size());
  std::set<std::string> seen;
  for (size_t i = 0; i < got.size(); ++i) {
    auto& [node, rank] = got[i];
    BOOST_TEST(seen.insert(node).second, "node " << node << " printed twice");
    auto it = want.find(node);
    BOOST_TEST_REQUIRE((it != want.end()), "unexpected node " << node);
    BOOST_TEST(std::abs(rank - it->second) <= 1e-9 * std::max(1.0, it->second), node << ": " << rank << " vs " << it->second);
    if (i > 0) {
      auto& prev = got[i - 1];
      BOOST_TEST((prev.second > rank || (prev.second == rank && prev.first < node)),
                 "out of order: " << prev.first << " " << prev.second << " before " << node << " " << rank);
    }
  }
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
    {"generated", make_text(42, 400)},
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
    {"no-trailing-newline", make_sort_input(3, 300, false)},
    {"trailing-newline", make_sort_input(4, 300, true)},
    {"crlf", "b\r\na\r\na\nb\n\r\n"},
  };
  for (int executors : executor_counts)
    for (auto& [name, content] : inputs) {
      BOOST_TEST_CONTEXT(executors << " executors, input " << name) {
        auto path = dir.write(name + ".txt", content);
        inline_runner runner(executors, 2);
        context ctx(runner, {0, small_split});
        auto want_lines = seq_lines(content);
        std::sort(want_lines.begin(), want_lines.end());

        auto sorted = apps::sorted_lines(ctx, path);
        BOOST_TEST(sorted.collect() == want_lines);
        if (want_lines.size() > 100)
          BOOST_TEST(sorted.partitions() > 1);  // really range partitioned

        auto out_dir = dir / ("out-" + name + "-" + std::to_string(executors));
        auto r = run_app(ctx, "sort", {path, out_dir});
        BOOST_TEST(r.code == 0);
        BOOST_TEST(r.out == "sorted " + std::to_string(want_lines.size()) + " lines into " + out_dir + "\n");
        BOOST_TEST(read_parts(out_dir) == seq_sorted_text(content));
        BOOST_TEST(std::filesystem::exists(out_dir + "/_SUCCESS"));
      }
    }
  // The sequential reference is what `LC_ALL=C sort` does.
  for (auto& [name, content] : inputs) {
    BOOST_TEST_CONTEXT("LC_ALL=C sort of input " << name) {
      auto path = dir / (name + ".txt");
      auto r = run_command({"sort", path}, std::chrono::seconds(30), {"LC_ALL=C"});
      BOOST_TEST(r.exit_code == 0, r.err);
      BOOST_TEST(r.out == seq_sorted_text(content));
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
    {"generated", make_edges(11, 300)},
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

// == through the troupe command ===========================================================

namespace {

std::string troupe_bin() {
  if (const char* env = std::getenv("TROUPE_BIN"); env != nullptr && *env != '\0')
    return env;
  for (auto p : {"build/troupe", "./troupe"})
    if (std::filesystem::exists(p))
      return std::filesystem::absolute(p).string();
  return "build/troupe";
}

/// `troupe submit --master MASTER [--conf c]... app args...`, run in `cwd` when given.
run_result submit_to(const std::string& master, const std::string& app, const std::vector<std::string>& args,
                     const std::vector<std::string>& conf = {}, const std::string& cwd = {}) {
  std::vector<std::string> argv{troupe_bin(), "submit", "--master", master};
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
    {"generated", make_text(5, 200)},
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
    {"generated", make_sort_input(9, 400, false)},
  };
  for (int cores : local_cores)
    for (auto& [name, content] : inputs) {
      BOOST_TEST_CONTEXT("local[" << cores << "], input " << name) {
        auto path = dir.write(name + ".txt", content);
        auto out_dir = dir / ("out-" + name + "-" + std::to_string(cores));
        auto r = submit(cores, "sort", {path, out_dir}, small_splits);
        BOOST_TEST(r.exit_code == 0, r.err);
        BOOST_TEST(r.out == "sorted " + std::to_string(seq_lines(content).size()) + " lines into " + out_dir + "\n");
        BOOST_TEST(read_parts(out_dir) == seq_sorted_text(content));
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
  BOOST_TEST(read_parts(dir / "sorted-out") == seq_sorted_text(lines));

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

// == the process helper itself ==============================================================

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
