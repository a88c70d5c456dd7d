// page_rank EDGES ITERATIONS [OUTPUT_DIR]: Spark's SparkPageRank. Lines of
// EDGES are `src dst` (whitespace separated; shorter lines skipped, extra
// fields ignored, duplicate edges counted once). Ranks start at 1.0 for every
// page with outgoing links; each iteration a page sends rank/outdegree to each
// of its links and gets 0.15 + 0.85 * (what it received). Pages nobody links
// to drop out after the first iteration, as in Spark's example.

#include "runtime/app_registry.hpp"
#include "runtime/dataset.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace troupe::apps {

using rank_row = std::pair<std::string, double>;

/// The text of a rank, as printed and saved: fixed, 10 decimals.
std::string format_rank(double rank) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10f", rank);
  return buf;
}

/// A rank rounded to what format_rank shows, so that output order agrees with output text.
static double shown_rank(double rank) { return std::strtod(format_rank(rank).c_str(), nullptr); }

/// (page, rank) after `iterations` iterations, in no particular order.
dataset<rank_row> page_ranks(context& ctx, const std::string& edges_path, int64_t iterations) {
  using edge = std::pair<std::string, std::string>;
  auto links = ctx.text_file(edges_path)
                 .flat_map([](const std::string& line) {
                   std::vector<edge> out;
                   auto fields = split_words(line);
                   if (fields.size() >= 2)
                     out.emplace_back(std::move(fields[0]), std::move(fields[1]));
                   return out;
                 })
                 .distinct()
                 .group_by_key();
  links.cache();
  auto ranks = links.map_values([](std::vector<std::string>&&) { return 1.0; });
  for (int64_t i = 0; i < iterations; ++i) {
    auto contribs = links.join(ranks).flat_map(
      [](std::pair<std::string, std::pair<std::vector<std::string>, double>>&& row) {
        auto& [urls, rank] = row.second;
        std::vector<rank_row> out;
        out.reserve(urls.size());
        double share = rank / static_cast<double>(urls.size());
        for (auto& url : urls)
          out.emplace_back(std::move(url), share);
        return out;
      });
    ranks = contribs.reduce_by_key([](double a, double b) { return a + b; })
              .map_values([](double sum) { return 0.15 + 0.85 * sum; });
  }
  return ranks;
}

/// Ranks sorted for output: by shown rank descending, then page ascending.
void sort_ranks(std::vector<rank_row>& ranks) {
  std::vector<std::pair<double, size_t>> keys;
  for (size_t i = 0; i < ranks.size(); ++i)
    keys.emplace_back(shown_rank(ranks[i].second), i);
  std::sort(keys.begin(), keys.end(), [&](auto& a, auto& b) {
    return a.first != b.first ? a.first > b.first : ranks[a.second].first < ranks[b.second].first;
  });
  std::vector<rank_row> out;
  out.reserve(ranks.size());
  for (auto& [r, i] : keys)
    out.push_back(std::move(ranks[i]));
  ranks = std::move(out);
}

static bool parse_count(const std::string& s, int64_t& n) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size() && n >= 0;
}

int page_rank_main(context& ctx, const std::vector<std::string>& args) {
  int64_t iterations = 0;
  if (args.size() < 2 || args.size() > 3 || !parse_count(args[1], iterations)) {
    std::cerr << "usage: page_rank EDGES ITERATIONS [OUTPUT_DIR]   (ITERATIONS: a non-negative integer)\n";
    return 2;
  }
  auto ranks = page_ranks(ctx, args[0], iterations);
  if (args.size() == 3) {
    // Sorted as printed: key (-shown rank, page), range partitioned. An
    // absolute path: executors need not share the driver's working directory.
    auto n = ranks
               .map([](rank_row&& r) {
                 return std::pair<std::pair<double, std::string>, uint8_t>{{-shown_rank(r.second), std::move(r.first)}, 0};
               })
               .sort_by_key()
               .map([](std::pair<std::pair<double, std::string>, uint8_t>&& kv) {
                 return kv.first.second + "\t" + format_rank(-kv.first.first);
               })
               .save_as_text_file(std::filesystem::absolute(args[2]).string());
    std::cout << "saved " << n << " ranks into " << args[2] << std::endl;
    return 0;
  }
  auto all = ranks.collect();
  sort_ranks(all);
  std::string out;
  for (auto& [page, rank] : all)
    out += page + " " + format_rank(rank) + "\n";
  std::cout << out << std::flush;
  return 0;
}

} // namespace troupe::apps

TROUPE_APP(page_rank, "page_rank EDGES ITERATIONS [OUTPUT_DIR]",
           "PageRank over `src dst` edge lines, like SparkPageRank; prints or saves `page rank` sorted by rank",
           troupe::apps::page_rank_main);
