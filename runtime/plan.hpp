#pragma once
// The plan of a job: datasets as nodes (Spark's RDDs) linked by narrow
// dependencies (same process, same pass) and shuffle dependencies (stage
// boundaries). Nodes are typed for the API and type-erased here; each
// concrete type registers a decoder under a stable name (runtime/ops/op.hpp),
// so an executor running the same binary rebuilds exactly what a task needs.

#include "runtime/memory_guard.hpp"
#include "runtime/ids.hpp"
#include "runtime/partition.hpp"
#include "runtime/serialize.hpp"
#include "runtime/sink.hpp"
#include "runtime/task_counters.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace troupe {

class block_store;
class node_base;
class shuffle_dep_base;

/// Thrown by a reducer that could not get a map output; the driver then
/// recomputes that map output (Spark's FetchFailed).
struct fetch_failed : std::runtime_error {
  fetch_failed(shuffle_id s, int32_t map, executor_id exec, const std::string& why)
    : std::runtime_error("fetch failed: shuffle " + std::to_string(s) + " map " + std::to_string(map)
                         + " on executor " + exec + ": " + why),
      shuffle(s), map_partition(map), executor(std::move(exec)) {}
  shuffle_id shuffle;
  int32_t map_partition;
  executor_id executor;
};

/// Gets shuffle blocks for a reducer: from this executor's store, a
/// colocated executor's, or over the network.
class block_fetcher {
public:
  virtual ~block_fetcher() = default;
  /// Blocks (shuffle, m, reduce) for every map m, in map order.
  /// `locations[m]` is the executor holding map m's output; what was read
  /// (rows, local and remote blocks and bytes, time) is added to `counters`.
  /// Throws fetch_failed.
  virtual std::vector<partition_ptr> fetch(shuffle_id shuffle, int32_t reduce,
                                           const std::vector<executor_id>& locations,
                                           partition_decoder decoder, task_counters& counters) = 0;
};

/// What a running task can reach.
struct task_context {
  executor_id executor;
  block_store* blocks = nullptr;
  block_fetcher* fetcher = nullptr;
  /// For each shuffle the task reads: the executor holding each map's output.
  std::map<shuffle_id, std::vector<executor_id>> map_locations;
  /// (node, partition) pairs this task computed and cached.
  std::vector<std::pair<node_id, int32_t>> cached;
  int32_t attempt = 0;
  /// What the task read, wrote and took (sent with its result).
  task_counters counters;
};

// -- what a task ships ---------------------------------------------------------

/// A node, a shuffle's map side or an action: something a task carries to an
/// executor under its registered name. Concrete types derive from ops::op<>
/// (runtime/ops/op.hpp), which derives both halves from one field list.
class shipped {
public:
  virtual ~shipped() = default;
  /// The registered name of the concrete type.
  virtual const char* impl() const = 0;
  /// Writes what an executor needs to compute partition p (functions, a slice of data).
  virtual void encode(writer& w, int32_t p) const = 0;
};

/// Rebuilds a shipped object; `partitions` is its node's partition count (0 for others).
using shipped_decoder = std::shared_ptr<shipped> (*)(reader& r, int32_t partitions);

namespace impl_registry {
/// Registers a decoder under the name of the type; returns the name to
/// encode. Two types with one name (internal-linkage twins in two files) get
/// "#2", "#3", ... in registration order, which is fixed for one binary.
const char* add(const char* type_name, shipped_decoder decoder);
/// The decoder registered under `name`; throws decode_error when unknown.
shipped_decoder find(std::string_view name);
} // namespace impl_registry

// -- nodes ------------------------------------------------------------------------

class job_runner;

/// Driver side: hears when the last handle on a shuffle or on a cached node
/// is gone, so that the runner can drop its blocks on every executor (what
/// Spark's ContextCleaner does after a garbage collection; here the last
/// shared_ptr says it at once). Held by the nodes and shuffles it watches;
/// detached when the context ends.
class block_releaser {
public:
  explicit block_releaser(job_runner& runner) : runner_(&runner) {}
  void shuffle_gone(shuffle_id s);
  void cached_gone(node_id n);
  /// No runner to tell any more (the context ended first).
  void detach();

private:
  std::mutex mtx_;
  job_runner* runner_;
};

/// A dataset in a plan, without its row type.
class node_base : public shipped {
public:
  ~node_base() override;
  /// Driver side, set by cache(): told when this cached node is gone.
  std::shared_ptr<block_releaser> releaser;
  node_id id = 0;
  int32_t partitions = 0;
  bool cached = false;
  /// Narrow dependencies, computed in the same task.
  std::vector<std::shared_ptr<node_base>> parents;
  /// Shuffle dependencies: this node reads their reducer outputs (driver side).
  std::vector<std::shared_ptr<shuffle_dep_base>> shuffles;
  /// What this node reads of each shuffle, known on both sides.
  struct shuffle_read {
    shuffle_id id = 0;
    int32_t maps = 0;  ///< map partitions (= blocks per reducer)
  };
  std::vector<shuffle_read> reads;

  /// For partition p of this node, the (parent index, parent partition)
  /// pairs it reads. Default: partition p of every parent.
  virtual std::vector<std::pair<size_t, int32_t>> parent_partitions(int32_t p) const;
  /// A short name for logs ("map", "text_file", ...).
  virtual std::string describe() const;
};

/// A dataset of T.
template <class T>
class node : public node_base {
public:
  using row_type = T;
  /// Pushes partition p into `out`, from the cache when this node is cached and
  /// the block is there, else computing it (and caching it if asked).
  void run(task_context& ctx, int32_t p, sink<T>& out);

protected:
  virtual void compute(task_context& ctx, int32_t p, sink<T>& out) = 0;
};

namespace detail {
partition_ptr cache_get(task_context& ctx, node_id id, int32_t p);
void cache_put(task_context& ctx, node_id id, int32_t p, partition_ptr data);
} // namespace detail

template <class T>
void node<T>::run(task_context& ctx, int32_t p, sink<T>& out) {
  if (!cached || ctx.blocks == nullptr) {
    compute(ctx, p, out);
    return;
  }
  if (auto hit = detail::cache_get(ctx, id, p)) {
    ctx.counters.input_records += static_cast<int64_t>(hit->rows());
    ctx.counters.input_bytes += static_cast<int64_t>(hit->bytes_estimate());
    for (const T& row : rows<T>(*hit)) {
      T copy = row;
      out.push(std::move(copy));
    }
    return;
  }
  std::vector<T> all;
  auto collect = make_sink<T>([&](T&& row) {
    memory_guard::check();  // an executor past its memory bound fails the task (#13)
    all.push_back(std::move(row));
  });
  compute(ctx, p, collect);
  auto block = std::make_shared<rows_of<T>>(std::move(all));
  detail::cache_put(ctx, id, p, block);
  for (const T& row : block->get()) {
    T copy = row;
    out.push(std::move(copy));
  }
}

/// The typed parent `i` of a node (null when the task did not need it).
template <class T>
node<T>* parent_as(const node_base& n, size_t i) {
  return static_cast<node<T>*>(n.parents.at(i).get());
}

// -- shuffle dependencies -----------------------------------------------------

/// A shuffle: the map side of a wide operation. A map task runs partition m
/// of `parent` and stores one block per reducer.
class shuffle_dep_base : public shipped {
public:
  ~shuffle_dep_base() override;
  /// Driver side: told when this shuffle is gone, so its blocks can go.
  std::shared_ptr<block_releaser> releaser;
  shuffle_id id = 0;
  int32_t reducers = 0;
  std::shared_ptr<node_base> parent;

  /// Runs map partition m and stores blocks (id, m, r); returns bytes per reducer.
  virtual std::vector<int64_t> write(task_context& ctx, int32_t m) = 0;
};

// -- actions --------------------------------------------------------------------

/// What a result task does with its partition (collect, count, save, ...).
class result_op_base : public shipped {
public:
  /// Runs partition p of `n` and returns the encoded partial result.
  virtual std::string run(task_context& ctx, node_base& n, int32_t p) = 0;
};

/// One action to run: a result op over some partitions of a node.
struct job_request {
  std::shared_ptr<node_base> node;
  std::shared_ptr<result_op_base> op;
  std::vector<int32_t> partitions;  ///< empty = all
  std::string description;          ///< "collect", "count", ...
};

/// Thrown by an action whose job failed; what() is the reason.
struct job_failed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Runs jobs for an application's context: the driver implements it.
class job_runner {
public:
  virtual ~job_runner() = default;
  /// Runs a job and returns one encoded result per requested partition, in
  /// order. Throws job_failed.
  virtual std::vector<std::string> run_job(job_request req) = 0;
  /// Cores of all executors, waiting until at least one executor is there.
  virtual int32_t total_cores() = 0;
  /// No later job can read these shuffles' blocks or these nodes' cached
  /// partitions: drop them. Called from any thread (whichever dropped the
  /// last handle), so it must not block on a job.
  virtual void release_blocks(const std::vector<shuffle_id>& shuffles, const std::vector<node_id>& cached) {
    (void)shuffles;
    (void)cached;
  }
};

// -- task payloads ------------------------------------------------------------

/// What a task computes, as the driver encodes it for an executor.
struct task_spec {
  stage_id stage = 0;
  int32_t partition = 0;
  int32_t attempt = 0;
  std::shared_ptr<node_base> node;            ///< the stage's last node
  std::shared_ptr<shuffle_dep_base> shuffle;  ///< set for a map task
  std::shared_ptr<result_op_base> op;         ///< set for a result task
  std::map<shuffle_id, std::vector<executor_id>> map_locations;
};

/// Encodes a task: the nodes partition `spec.partition` needs, parents
/// first, then the shuffle writer or result op, then map locations.
std::string encode_task(const task_spec& spec);

/// Rebuilds a task on an executor. Throws decode_error on bad bytes or a
/// name this binary does not know.
task_spec decode_task(std::string_view bytes);

/// The nodes of a stage's pipeline reachable through narrow dependencies.
std::vector<node_base*> narrow_closure(node_base& last);

} // namespace troupe
