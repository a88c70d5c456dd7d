#include "runtime/placement.hpp"

#include <algorithm>
#include <limits>

namespace troupe {

namespace {

/// What has been handed out on one usable worker so far.
struct tally {
  size_t index = 0;       // into the offers vector
  int32_t cores = 0;      // cores assigned
  int32_t executors = 0;  // executors assigned
};

} // namespace

std::vector<executor_grant> place_executors(const std::vector<worker_offer>& offers,
                                            const executor_request& req) {
  const bool one_per_worker = req.cores_per_executor <= 0;
  const int32_t min_cores = one_per_worker ? 1 : req.cores_per_executor;
  const int64_t mem = std::max<int64_t>(0, req.memory_per_executor_mb);

  std::vector<tally> usable;
  int64_t free_total = 0;
  for (size_t i = 0; i < offers.size(); ++i) {
    if (offers[i].memory_free_mb >= mem && offers[i].cores_free >= min_cores) {
      usable.push_back({i, 0, 0});
      free_total += offers[i].cores_free;
    }
  }
  int64_t to_assign = req.cores_wanted < 0 ? free_total
                                           : std::min<int64_t>(req.cores_wanted, free_total);

  // Spark's canLaunchExecutor: room for another min_cores on this worker, and
  // memory for a new executor unless we only add cores to its one executor.
  auto can_launch = [&](const tally& t) {
    const auto& o = offers[t.index];
    if (to_assign < min_cores || o.cores_free - t.cores < min_cores)
      return false;
    bool new_executor = !one_per_worker || t.executors == 0;
    if (!new_executor)
      return true;
    // Widen before multiplying: executors * memory may not fit 32 bits.
    return o.memory_free_mb - static_cast<int64_t>(t.executors) * mem >= mem;
  };
  auto assign = [&](tally& t) {
    to_assign -= min_cores;
    t.cores += min_cores;
    t.executors = one_per_worker ? 1 : t.executors + 1;
  };

  // Round-robin passes; spread hands out one unit per worker per pass, packed
  // fills a worker before moving on (so one pass suffices, but looping is harmless).
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto& t : usable) {
      while (can_launch(t)) {
        assign(t);
        progress = true;
        if (req.spread_out)
          break;
      }
    }
  }

  std::vector<executor_grant> grants;
  for (const auto& t : usable) {
    if (t.cores == 0)
      continue;
    if (one_per_worker)
      grants.push_back({t.index, t.cores});
    else
      for (int32_t e = 0; e < t.executors; ++e)
        grants.push_back({t.index, req.cores_per_executor});
  }
  return grants;
}

std::optional<size_t> place_driver(const std::vector<worker_offer>& offers, int32_t cores,
                                   int64_t memory_mb, size_t start) {
  std::optional<size_t> best;
  const size_t n = offers.size();
  for (size_t k = 0; k < n; ++k) {
    size_t i = (start + k) % n;
    const auto& o = offers[i];
    if (o.cores_free < cores || o.memory_free_mb < memory_mb)
      continue;
    // Strictly more: among equals the first in rotated order wins.
    if (!best || o.cores_free > offers[*best].cores_free)
      best = i;
  }
  return best;
}

} // namespace troupe
