#pragma once
// Running one task on an executor: decode it, compute, report. Plain code:
// the executor actor calls it on its own thread pool.

#include "runtime/block_store.hpp"
#include "runtime/dag_scheduler.hpp"
#include "runtime/plan.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe {

/// What a task attempt produced.
struct task_outcome {
  bool ok = false;
  std::string result;                  ///< result task: the encoded partial result
  std::vector<int64_t> map_sizes;      ///< map task: bytes per reducer
  std::string error;                   ///< failed: the exception's text
  std::optional<fetch_failure_info> fetch;  ///< failed because an input was missing
  std::vector<std::pair<node_id, int32_t>> cached;
  task_counters counters;              ///< what the attempt read, wrote and took (also when it failed)
};

/// The attempt number (0 for the first try of a partition) of the task the
/// calling thread runs; -1 outside run_task. For applications that
/// demonstrate retries and speculation (apps/fault_demo.cpp).
int32_t current_task_attempt();

/// Decodes and runs a task; never throws (errors become a failed outcome).
task_outcome run_task(std::string_view payload, const executor_id& self, block_store& blocks,
                      block_fetcher& fetcher);

/// One map output's block for a reducer, as another executor answers it.
struct remote_block {
  bool found = false;     ///< false: the map output is not there (lost)
  std::string bytes;      ///< encoded rows; empty when the block is empty
};

/// Fetches blocks: from executors of this process through their stores
/// (objects, no encoding), from others through `remote`.
class executor_fetcher final : public block_fetcher {
public:
  /// Asks executor `exec` for blocks (shuffle, m, reduce) of maps `maps`; one answer per map.
  using remote_fn = std::function<std::vector<remote_block>(const executor_id& exec, shuffle_id s,
                                                            int32_t reduce, const std::vector<int32_t>& maps)>;
  executor_fetcher(std::string app, remote_fn remote) : app_(std::move(app)), remote_(std::move(remote)) {}
  std::vector<partition_ptr> fetch(shuffle_id shuffle, int32_t reduce, const std::vector<executor_id>& locations,
                                   partition_decoder decoder, task_counters& counters) override;

private:
  std::string app_;
  remote_fn remote_;
};

/// Block stores of the executors living in this process, by application and
/// executor id, so that colocated executors hand blocks over as objects.
namespace local_stores {
void add(const std::string& app, const executor_id& exec, block_store* store);
void remove(const std::string& app, const executor_id& exec);
block_store* find(const std::string& app, const executor_id& exec);
} // namespace local_stores

/// Answers another executor's fetch from `store`: one remote_block per map.
std::vector<remote_block> serve_blocks(block_store& store, shuffle_id s, int32_t reduce,
                                       const std::vector<int32_t>& maps);

} // namespace troupe
