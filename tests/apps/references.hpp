#pragma once
// What the bundled applications must compute, as plain sequential code, the
// inputs they are checked on (made from seeds, tests/support/random.hpp), and
// parsers for what they print. Shared by apps_in_process_test.cpp and
// apps_cli_test.cpp.
#include "runtime/dataset.hpp"
#include "runtime/serialize.hpp"
#include "tests/support/random.hpp"
#include "tests/support/text.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
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

namespace troupe::testing {

// -- sequential references ---------------------------------------------------------------

// -- sequential references ---------------------------------------------------------------

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

inline std::vector<std::string> seq_words(const std::string& text) {
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

inline std::map<std::string, int64_t> seq_word_count(const std::string& text) {
  std::map<std::string, int64_t> m;
  for (auto& w : seq_words(text))
    ++m[w];
  return m;
}

/// What `word_count INPUT` prints for these counts.
inline std::string expected_word_count_output(const std::map<std::string, int64_t>& counts) {
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


/// SparkPageRank, sequentially.
inline std::map<std::string, double> seq_page_rank(const std::string& text, int iterations) {
  std::map<std::string, std::set<std::string>> links;
  for (auto& line : lines_of(text)) {
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
inline int64_t seq_pi_inside(int64_t samples) {
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

inline std::string pi_line(int64_t inside, int64_t samples) {
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

inline join_reference seq_join_demo(int64_t n) {
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

inline std::set<int64_t> seq_group_keys(int64_t mappers, int64_t pairs) {
  std::set<int64_t> keys;
  for (int64_t m = 0; m < mappers; ++m)
    for (int64_t i = 0; i < pairs; ++i)
      keys.insert(apps::group_by_test_key(m, i, mappers, pairs));
  return keys;
}

// -- generated inputs --------------------------------------------------------------------

/// Text with every whitespace kind between words, CRLF and LF line ends,
/// bytes >= 0x80, empty lines, lines far longer than a split, a skewed word
/// distribution, and no newline at the end.
inline std::string make_text(uint64_t seed, int lines) {
  static const std::vector<std::string> vocab{
    "the", "of", "and", "a", "to", "in", "is", "troupe", "spark", "actor", "The", "the,", "x", "yy",
    "h\xc3\xa9llo", "na\xc3\xafve", "\xff\xfe", "\x80", "caf\xc3\xa9", "\xe2\x82\xac" "100", "word\x7f", "0", "zeta"};
  static const std::vector<std::string> seps{" ", "\t", "\v", "\f", "\r", "  ", " \t\v\f\r "};
  seeded_rng r{seed};
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
inline std::string one_long_line() {
  auto text = make_text(7, 60);
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

/// Lines for sort: duplicates, prefixes, empty lines, '\r', tabs, bytes >= 0x80, long lines.
inline std::string make_sort_input(uint64_t seed, int lines, bool trailing_newline) {
  static const std::vector<std::string> pieces{
    "", "a", "a\r", "ab", "abc", "B", "b", " a", "\ta", "\xc3\xa9t\xc3\xa9", "\xff", "\x80z", "Z", "0", "9 lives", "~",
    std::string(150, 'q'), std::string(70, 'q') + "r"};
  seeded_rng r{seed};
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
inline std::string make_edges(uint64_t seed, int edges) {
  seeded_rng r{seed};
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

// -- parsing what the apps print --------------------------------------------------------

inline std::map<std::string, int64_t> parse_word_counts(const std::string& text) {
  std::map<std::string, int64_t> m;
  for (auto& line : lines_of(text)) {
    auto tab = line.rfind('\t');
    BOOST_REQUIRE_MESSAGE(tab != std::string::npos, "no tab in output line '" << line << "'");
    auto word = line.substr(0, tab);
    BOOST_TEST(m.count(word) == 0u, "word '" << word << "' appears twice");
    m[word] = std::stoll(line.substr(tab + 1));
  }
  return m;
}

/// `node<sep>rank` lines, in order.
inline std::vector<std::pair<std::string, double>> parse_ranks(const std::string& text, char sep) {
  std::vector<std::pair<std::string, double>> v;
  for (auto& line : lines_of(text)) {
    auto at = line.rfind(sep);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "bad rank line '" << line << "'");
    v.emplace_back(line.substr(0, at), std::stod(line.substr(at + 1)));
  }
  return v;
}

/// Ranks printed by page_rank agree with the sequential ones and come sorted.
inline void check_rank_output(const std::string& text, char sep, const std::map<std::string, double>& want) {
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

} // namespace troupe::testing
