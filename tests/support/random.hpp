#pragma once
// Seeded inputs: one generator for every test that makes inputs from a seed.

#include <cstdint>

namespace troupe::testing {

/// splitmix64 from a seed: the same numbers on every platform and library
/// (unlike <random>'s distributions), so an input is named by its seed; name
/// the seed in the failure context of checks on generated inputs.
class seeded_rng {
public:
  explicit seeded_rng(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// A number in [0, n); n > 0.
  uint64_t below(uint64_t n) { return next() % n; }

private:
  uint64_t state_;
};

} // namespace troupe::testing
