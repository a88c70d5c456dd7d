#pragma once
// Where the master puts executors and drivers: pure functions over snapshots.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace troupe {

/// An alive worker's free resources, as the master sees them.
struct worker_offer {
  std::string id;
  int32_t cores_free = 0;
  int64_t memory_free_mb = 0;
};

/// What one application asks for.
struct executor_request {
  int32_t cores_per_executor = 0;  ///< 0: one executor per worker taking all its free cores
  int64_t memory_per_executor_mb = 1024;
  int32_t cores_wanted = 0;        ///< cores still to grant (total-executor-cores minus granted); <0 = unlimited
  bool spread_out = true;          ///< round-robin over workers; false = fill one worker first
};

/// One executor to launch.
struct executor_grant {
  size_t worker_index = 0;         ///< into the offers vector
  int32_t cores = 0;
};

/// Spark's scheduleExecutorsOnWorkers: spread or pack the wanted cores over
/// workers with room. Each grant has at least one core (cores_per_executor if
/// set), never exceeds a worker's free cores or memory. Empty if nothing fits.
std::vector<executor_grant> place_executors(const std::vector<worker_offer>& offers,
                                            const executor_request& req);

/// Picks a worker for a cluster-mode driver: among workers with room for
/// `cores` and `memory_mb`, the one with most free cores (ties: first), or
/// nullopt when none has room. `start` rotates the tie-break for fairness.
std::optional<size_t> place_driver(const std::vector<worker_offer>& offers, int32_t cores,
                                   int64_t memory_mb, size_t start = 0);

} // namespace troupe
