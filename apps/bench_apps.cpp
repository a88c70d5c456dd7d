// Benchmarks of the scheduler itself: noop_tasks (task throughput) and
// round_trip (latency of a one-task job).

#include "runtime/app_registry.hpp"
#include "runtime/dataset.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace troupe::apps {

static bool parse_positive(const std::string& s, int64_t& n) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size() && n > 0;
}

/// Runs one job of `tasks` one-element tasks; returns its wall time in seconds.
double noop_tasks_run(context& ctx, int32_t tasks) {
  auto ds = ctx.range(0, tasks, 1, tasks);
  auto start = std::chrono::steady_clock::now();
  auto n = ds.count();
  auto end = std::chrono::steady_clock::now();
  if (n != tasks)
    throw std::runtime_error("noop_tasks: counted " + std::to_string(n) + " elements, expected "
                             + std::to_string(tasks));
  return std::chrono::duration<double>(end - start).count();
}

/// Microseconds of each of `jobs` sequential one-task jobs, after a few warm-up jobs.
std::vector<double> round_trip_run(context& ctx, int64_t jobs) {
  auto one = [&] {
    auto start = std::chrono::steady_clock::now();
    auto n = ctx.range(0, 1, 1, 1).count();
    auto end = std::chrono::steady_clock::now();
    if (n != 1)
      throw std::runtime_error("round_trip: a one-element job counted " + std::to_string(n));
    return std::chrono::duration<double, std::micro>(end - start).count();
  };
  for (int i = 0; i < 3; ++i)
    one();
  std::vector<double> us;
  us.reserve(static_cast<size_t>(jobs));
  for (int64_t i = 0; i < jobs; ++i)
    us.push_back(one());
  return us;
}

/// The q-quantile (0..1) of `xs` by the nearest-rank method.
double quantile(std::vector<double> xs, double q) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(xs.size())));
  return xs[std::clamp<size_t>(rank, 1, xs.size()) - 1];
}

int noop_tasks_main(context& ctx, const std::vector<std::string>& args) {
  int64_t n = 0;
  if (args.size() != 1 || !parse_positive(args[0], n) || n > 10'000'000) {
    std::cerr << "usage: noop_tasks N   (N: tasks, a positive integer)\n";
    return 2;
  }
  auto seconds = noop_tasks_run(ctx, static_cast<int32_t>(n));
  char buf[128];
  std::snprintf(buf, sizeof buf, "tasks=%lld seconds=%.6f tasks_per_second=%.1f", static_cast<long long>(n), seconds,
                seconds > 0 ? static_cast<double>(n) / seconds : 0.0);
  std::cout << buf << std::endl;
  return 0;
}

int round_trip_main(context& ctx, const std::vector<std::string>& args) {
  int64_t k = 0;
  if (args.size() != 1 || !parse_positive(args[0], k) || k > 10'000'000) {
    std::cerr << "usage: round_trip K   (K: jobs, a positive integer)\n";
    return 2;
  }
  auto us = round_trip_run(ctx, k);
  char buf[128];
  std::snprintf(buf, sizeof buf, "jobs=%lld median_us=%.1f p90_us=%.1f", static_cast<long long>(k), quantile(us, 0.5),
                quantile(us, 0.9));
  std::cout << buf << std::endl;
  return 0;
}

} // namespace troupe::apps

TROUPE_APP(noop_tasks, "noop_tasks N", "times one job of N one-element tasks (scheduler throughput)",
           troupe::apps::noop_tasks_main);
TROUPE_APP(round_trip, "round_trip K", "times K sequential one-task jobs (job latency: median and p90)",
           troupe::apps::round_trip_main);
