#pragma once
// The integration tests' inputs, made from fixed seeds (tests/support/random.hpp),
// and what the bundled apps must print for them.
#include "tests/support/random.hpp"
#include "tests/support/text.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace troupe::itest {

using troupe::testing::seeded_rng;

inline constexpr uint64_t text_seed = 42;
inline constexpr uint64_t sort_seed = 7;
inline constexpr uint64_t edges_seed = 2024;

/// The seeds, for failure messages about checks on these inputs.
inline std::string input_seeds() {
  return "inputs from seeds text=" + std::to_string(text_seed) + " sort=" + std::to_string(sort_seed)
         + " edges=" + std::to_string(edges_seed);
}

/// ~300 KB of text (from text_seed): words with a skewed frequency (ties too), several per line.
inline std::string make_text() {
  seeded_rng r{text_seed};
  std::string out;
  while (out.size() < 300 * 1024) {
    auto words = 1 + r.below(12);
    for (uint64_t i = 0; i < words; ++i) {
      // Small ids are much more frequent: min of two draws, then a bucket.
      auto id = std::min(r.below(3000), r.below(3000)) / (1 + r.below(3));
      if (i > 0)
        out += r.below(10) == 0 ? "  " : " ";
      out += (id % 7 == 0 ? "Word" : "w") + std::to_string(id);
    }
    out += '\n';
  }
  return out;
}

/// What word_count INPUT prints: the 20 most frequent words (ties by word), then distinct and total.
inline std::string expected_word_count(const std::string& text) {
  std::map<std::string, int64_t> counts;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n'))
      ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n')
      ++j;
    if (j > i) {
      ++counts[text.substr(i, j - i)];
      ++total;
    }
    i = j;
  }
  std::vector<std::pair<std::string, int64_t>> rows(counts.begin(), counts.end());
  std::stable_sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::string out;
  for (size_t k = 0; k < std::min<size_t>(20, rows.size()); ++k)
    out += rows[k].first + "\t" + std::to_string(rows[k].second) + "\n";
  return out + "distinct=" + std::to_string(counts.size()) + " total=" + std::to_string(total) + "\n";
}

/// ~250 KB of lines to sort (from sort_seed): random lengths and bytes (printable ASCII), duplicates.
inline std::string make_sort_input() {
  seeded_rng r{sort_seed};
  std::vector<std::string> pool;
  std::string out;
  while (out.size() < 250 * 1024) {
    std::string line;
    if (!pool.empty() && r.below(8) == 0) {
      line = pool[r.below(pool.size())];  // a duplicate
    } else {
      auto len = 1 + r.below(60);
      for (uint64_t i = 0; i < len; ++i)
        line += static_cast<char>('!' + r.below(94));
      pool.push_back(line);
    }
    out += line + "\n";
  }
  return out;
}

/// A link graph (from edges_seed): 400 pages, each with 1..15 outgoing links, some duplicated.
inline std::string make_edges() {
  seeded_rng r{edges_seed};
  std::string out;
  for (int page = 0; page < 400; ++page) {
    auto links = 1 + r.below(15);
    for (uint64_t i = 0; i < links; ++i) {
      auto to = r.below(4) == 0 ? r.below(20) : r.below(450);  // some popular pages; some never link out
      out += "p" + std::to_string(page) + " p" + std::to_string(to) + "\n";
    }
  }
  return out;
}

} // namespace troupe::itest
