// pi [SAMPLES]: Spark's SparkPi. Sample i is the point (x, y) in [-1, 1]^2
// given by mix64 of 2i+1 and 2i+2; pi ~ 4 * (points inside the unit circle) / SAMPLES.

#include "runtime/app_registry.hpp"
#include "runtime/dataset.hpp"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace troupe::apps {

/// A uniform double in [-1, 1] from 64 random bits.
static double unit_interval(uint64_t bits) {
  return static_cast<double>(bits >> 11) * (2.0 / 9007199254740991.0) - 1.0;  // (2^53 - 1)
}

/// True when sample `i` falls inside the unit circle.
bool pi_sample_inside(int64_t i) {
  auto u = static_cast<uint64_t>(i);
  double x = unit_interval(mix64(2 * u + 1));
  double y = unit_interval(mix64(2 * u + 2));
  return x * x + y * y <= 1.0;
}

/// How many of samples 0..samples-1 fall inside the unit circle, over `slices` tasks (0 = default parallelism).
int64_t pi_count_inside(context& ctx, int64_t samples, int32_t slices) {
  if (samples <= 0)
    return 0;
  return ctx.range(0, samples, 1, slices)
    .map([](int64_t i) { return int64_t{pi_sample_inside(i) ? 1 : 0}; })
    .reduce([](int64_t a, int64_t b) { return a + b; });
}

int pi_main(context& ctx, const std::vector<std::string>& args) {
  int64_t samples = 1'000'000;
  if (args.size() > 1) {
    std::cerr << "usage: pi [SAMPLES]\n";
    return 2;
  }
  if (args.size() == 1) {
    auto& a = args[0];
    auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), samples);
    if (a.empty() || ec != std::errc{} || end != a.data() + a.size() || samples <= 0) {
      std::cerr << "usage: pi [SAMPLES]   (SAMPLES must be a positive integer, got '" << a << "')\n";
      return 2;
    }
  }
  auto inside = pi_count_inside(ctx, samples, ctx.default_parallelism());
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", 4.0 * static_cast<double>(inside) / static_cast<double>(samples));
  std::cout << "pi is roughly " << buf << std::endl;
  return 0;
}

} // namespace troupe::apps

TROUPE_APP(pi, "pi [SAMPLES]",
           "estimates pi from SAMPLES (default 1000000) deterministic points in the square, like SparkPi",
           troupe::apps::pi_main);
