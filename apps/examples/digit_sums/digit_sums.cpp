// An application built out of tree, as a user would: against an installed
// troupe (pkg-config troupe), into a shared library that `troupe submit`
// ships to the cluster.
//
//   digit_sums N: for each last digit d, the sum of the numbers in 0..N-1
//   ending in d (a map, a shuffle and a function pointer, all running on
//   the executors from this library).

#include <troupe/runtime/app_registry.hpp>
#include <troupe/runtime/dataset.hpp>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace {

int64_t add(int64_t a, int64_t b) { return a + b; }

int digit_sums(troupe::context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: digit_sums N\n";
    return 2;
  }
  int64_t n = std::stoll(args[0]);
  auto sums = ctx.range(0, n, 1, 4)
                .map([](int64_t i) { return std::pair<int64_t, int64_t>{i % 10, i}; })
                .reduce_by_key(&add, 3)
                .collect();
  std::sort(sums.begin(), sums.end());
  for (auto& [digit, sum] : sums)
    std::cout << digit << " " << sum << "\n";
  std::cout << std::flush;
  return 0;
}

} // namespace

TROUPE_APP(digit_sums, "digit_sums N", "per last digit, the sum of 0..N-1 (out-of-tree example)", digit_sums);
