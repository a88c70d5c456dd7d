// group_by_test [NUM_MAPPERS] [NUM_KV_PAIRS] [VALUE_SIZE] [NUM_REDUCERS]:
// Spark's GroupByTest. Mapper m makes NUM_KV_PAIRS pairs (key, VALUE_SIZE
// bytes); keys come from a generator seeded by m and lie in
// [0, NUM_MAPPERS * NUM_KV_PAIRS), so that keys collide and the number of
// groups is not simply the number of pairs.

#include "runtime/app_registry.hpp"
#include "runtime/dataset.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace troupe::apps {

/// The key of pair i of mapper m, for `mappers` mappers of `pairs` pairs each.
int64_t group_by_test_key(int64_t m, int64_t i, int64_t mappers, int64_t pairs) {
  auto range = static_cast<uint64_t>(std::max<int64_t>(mappers * pairs, 1));
  auto bits = mix64(mix64(static_cast<uint64_t>(m) + 0x9e3779b97f4a7c15ULL) ^ static_cast<uint64_t>(i));
  return static_cast<int64_t>(bits % range);
}

/// The `value_size` bytes of pair i of mapper m.
static std::string group_by_test_value(int64_t m, int64_t i, int64_t value_size) {
  std::string v(static_cast<size_t>(value_size), '\0');
  uint64_t state = mix64(static_cast<uint64_t>(m) * 0x100000001b3ULL + static_cast<uint64_t>(i));
  for (size_t j = 0; j < v.size(); ++j) {
    if (j % 8 == 0)
      state = mix64(state + j);
    v[j] = static_cast<char>(state >> (8 * (j % 8)));
  }
  return v;
}

/// The pairs of every mapper: `mappers` partitions of `pairs` (key, value) pairs.
dataset<std::pair<int64_t, std::string>> group_by_test_pairs(context& ctx, int64_t mappers, int64_t pairs,
                                                             int64_t value_size) {
  return ctx.range(0, mappers, 1, static_cast<int32_t>(mappers))
    .flat_map([mappers, pairs, value_size](int64_t m) {
      std::vector<std::pair<int64_t, std::string>> out;
      out.reserve(static_cast<size_t>(pairs));
      for (int64_t i = 0; i < pairs; ++i)
        out.emplace_back(group_by_test_key(m, i, mappers, pairs), group_by_test_value(m, i, value_size));
      return out;
    });
}

/// (pairs, groups): counts of the cached pairs and of group_by_key(reducers).
std::pair<int64_t, int64_t> group_by_test_run(context& ctx, int64_t mappers, int64_t pairs, int64_t value_size,
                                              int32_t reducers) {
  auto kv = group_by_test_pairs(ctx, mappers, pairs, value_size);
  kv.cache();
  auto n = kv.count();
  auto groups = kv.group_by_key(reducers).count();
  return {n, groups};
}

static bool parse_positive(const std::string& s, int64_t& n, int64_t max) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size() && n > 0 && n <= max;
}

int group_by_test_main(context& ctx, const std::vector<std::string>& args) {
  int64_t v[4] = {2, 1000, 1000, 0};
  static const char* const usage =
    "usage: group_by_test [NUM_MAPPERS] [NUM_KV_PAIRS] [VALUE_SIZE] [NUM_REDUCERS]\n"
    "  (defaults 2 1000 1000 NUM_MAPPERS; positive integers; keys in [0, NUM_MAPPERS*NUM_KV_PAIRS))\n";
  if (args.size() > 4) {
    std::cerr << usage;
    return 2;
  }
  const int64_t max[4] = {100'000, 1'000'000'000, 1'000'000'000, 100'000};
  for (size_t i = 0; i < args.size(); ++i)
    if (!parse_positive(args[i], v[i], max[i])) {
      std::cerr << "group_by_test: bad argument '" << args[i] << "'\n" << usage;
      return 2;
    }
  if (args.size() < 4)
    v[3] = v[0];
  auto [n, groups] = group_by_test_run(ctx, v[0], v[1], v[2], static_cast<int32_t>(v[3]));
  std::cout << "pairs=" << n << "\ngroups=" << groups << std::endl;
  return 0;
}

} // namespace troupe::apps

TROUPE_APP(group_by_test, "group_by_test [NUM_MAPPERS] [NUM_KV_PAIRS] [VALUE_SIZE] [NUM_REDUCERS]",
           "Spark's GroupByTest: NUM_MAPPERS*NUM_KV_PAIRS pairs with VALUE_SIZE-byte values and keys in "
           "[0, NUM_MAPPERS*NUM_KV_PAIRS) (defaults 2 1000 1000 NUM_MAPPERS), cached, counted, grouped",
           troupe::apps::group_by_test_main);
