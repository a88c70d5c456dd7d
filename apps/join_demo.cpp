// join_demo [N]: an inner join of customers (id -> name) with orders
// (customer id -> amount), both generated from N. Customers 0..N-1; 3N orders
// whose customer ids lie in [0, N + N/5], so some name no customer; customers
// whose id ends in 7 never order. Prints the top 10 customers by total.

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

/// The name of customer `id`.
std::string join_demo_name(int64_t id) { return "customer-" + std::to_string(id); }

/// Order j of the demo of size n: (customer id, amount in 1..1000).
std::pair<int64_t, int64_t> join_demo_order(int64_t j, int64_t n) {
  auto h = mix64(static_cast<uint64_t>(j) ^ 0x5bd1e995ULL);
  auto id = static_cast<int64_t>(h % static_cast<uint64_t>(n + n / 5 + 1));
  if (id < n && id % 10 == 7)
    id += n;  // these customers never order: the order names an unknown customer
  auto amount = static_cast<int64_t>(1 + mix64(h) % 1000);
  return {id, amount};
}

using customer_total = std::pair<std::pair<int64_t, std::string>, int64_t>;

/// (joined rows, ((id, name), total amount) per customer with orders, in no particular order).
std::pair<int64_t, std::vector<customer_total>> join_demo_run(context& ctx, int64_t n) {
  auto customers = ctx.range(0, n).map([](int64_t id) { return std::pair<int64_t, std::string>{id, join_demo_name(id)}; });
  auto orders = ctx.range(0, 3 * n).map([n](int64_t j) { return join_demo_order(j, n); });
  auto joined = customers.join(orders);
  joined.cache();
  auto rows = joined.count();
  auto totals = joined
                  .map([](std::pair<int64_t, std::pair<std::string, int64_t>>&& r) {
                    return customer_total{{r.first, std::move(r.second.first)}, r.second.second};
                  })
                  .reduce_by_key([](int64_t a, int64_t b) { return a + b; })
                  .collect();
  return {rows, std::move(totals)};
}

int join_demo_main(context& ctx, const std::vector<std::string>& args) {
  int64_t n = 1000;
  if (args.size() > 1) {
    std::cerr << "usage: join_demo [N]\n";
    return 2;
  }
  if (args.size() == 1) {
    auto& a = args[0];
    auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), n);
    if (a.empty() || ec != std::errc{} || end != a.data() + a.size() || n <= 0 || n > (int64_t{1} << 40)) {
      std::cerr << "usage: join_demo [N]   (N must be a positive integer, got '" << a << "')\n";
      return 2;
    }
  }
  auto [joined, totals] = join_demo_run(ctx, n);
  int64_t sum = 0;
  for (auto& t : totals)
    sum += t.second;
  auto with_orders = totals.size();
  auto k = std::min<size_t>(10, totals.size());
  std::partial_sort(totals.begin(), totals.begin() + static_cast<ptrdiff_t>(k), totals.end(),
                    [](const customer_total& a, const customer_total& b) {
                      return a.second != b.second ? a.second > b.second : a.first.first < b.first.first;
                    });
  std::string out;
  for (size_t i = 0; i < k; ++i)
    out += std::to_string(totals[i].first.first) + "\t" + totals[i].first.second + "\t"
           + std::to_string(totals[i].second) + "\n";
  out += "joined=" + std::to_string(joined) + " customers_with_orders=" + std::to_string(with_orders)
         + " total=" + std::to_string(sum) + "\n";
  std::cout << out << std::flush;
  return 0;
}

} // namespace troupe::apps

TROUPE_APP(join_demo, "join_demo [N]",
           "joins N generated customers with 3N orders (some for unknown customers); prints the top 10 totals",
           troupe::apps::join_demo_main);
