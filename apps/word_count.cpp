// word_count INPUT [OUTPUT_DIR]: Spark's word count. A word is a maximal run
// of bytes other than ASCII whitespace.

#include "runtime/app_registry.hpp"
#include "runtime/dataset.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace troupe::apps {

using word_count_row = std::pair<std::string, int64_t>;

/// The words of a line, as troupe::split_words, with the vector sized once
/// for usual lines (a huge line grows it as usual).
static std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  words.reserve(std::min<size_t>(line.size() / 4 + 1, 1024));
  size_t i = 0;
  const size_t end = line.size();
  while (i < end) {
    while (i < end && is_ascii_space(line[i]))
      ++i;
    size_t j = i;
    while (j < end && !is_ascii_space(line[j]))
      ++j;
    if (j > i)
      words.emplace_back(line.data() + i, j - i);
    i = j;
  }
  return words;
}

/// (word, occurrences) for every distinct word of `input`, in no particular order.
dataset<word_count_row> word_counts(context& ctx, const std::string& input) {
  return ctx.text_file(input)
    .flat_map([](const std::string& line) { return words_of(line); })
    .map([](std::string&& w) { return word_count_row{std::move(w), 1}; })
    .reduce_by_key([](int64_t a, int64_t b) { return a + b; });
}

/// The `k` most frequent words, most frequent first, ties by word (bytewise ascending).
std::vector<word_count_row> top_words(std::vector<word_count_row> counts, size_t k) {
  auto before = [](const word_count_row& a, const word_count_row& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  k = std::min(k, counts.size());
  std::partial_sort(counts.begin(), counts.begin() + static_cast<ptrdiff_t>(k), counts.end(), before);
  counts.resize(k);
  return counts;
}

/// What one partition of the counts contributes to the printed result:
/// (its top words, (its distinct words, its total count)).
using word_count_summary = std::pair<std::vector<word_count_row>, std::pair<int64_t, int64_t>>;

/// Top `k` words, distinct words and total count of `counts`, combining a
/// summary per partition (as Spark's takeOrdered does) instead of shipping
/// every distinct word to the driver.
word_count_summary summarize_counts(const dataset<word_count_row>& counts, size_t k) {
  auto parts = counts
                 .map_partitions([k](std::vector<word_count_row>&& rows) {
                   int64_t total = 0;
                   for (auto& r : rows)
                     total += r.second;
                   auto distinct = static_cast<int64_t>(rows.size());
                   return std::vector<word_count_summary>{{top_words(std::move(rows), k), {distinct, total}}};
                 })
                 .collect();
  word_count_summary all;
  for (auto& [top, sizes] : parts) {
    all.first.insert(all.first.end(), std::make_move_iterator(top.begin()), std::make_move_iterator(top.end()));
    all.second.first += sizes.first;
    all.second.second += sizes.second;
  }
  all.first = top_words(std::move(all.first), k);
  return all;
}

int word_count_main(context& ctx, const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) {
    std::cerr << "usage: word_count INPUT [OUTPUT_DIR]\n";
    return 2;
  }
  auto counts = word_counts(ctx, args[0]);
  if (args.size() == 2) {
    // An absolute path: executors need not share the driver's working directory.
    auto distinct = counts.save_as_text_file(std::filesystem::absolute(args[1]).string());
    std::cout << "saved " << distinct << " distinct words into " << args[1] << "\n";
    return 0;
  }
  auto [top, sizes] = summarize_counts(counts, 20);
  std::string out;
  for (auto& [w, n] : top) {
    out += w;
    out += '\t';
    out += std::to_string(n);
    out += '\n';
  }
  out += "distinct=" + std::to_string(sizes.first) + " total=" + std::to_string(sizes.second) + "\n";
  std::cout << out << std::flush;
  return 0;
}

} // namespace troupe::apps

TROUPE_APP(word_count, "word_count INPUT [OUTPUT_DIR]",
           "counts words (runs of non-whitespace bytes); prints the top 20 or saves word<TAB>count lines",
           troupe::apps::word_count_main);
