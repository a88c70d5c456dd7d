#pragma once
// The typed dataset API applications are written against. An application
// never learns its deploy mode: its context hands actions to a job_runner.

#include "runtime/ops/actions.hpp"
#include "runtime/ops/narrow.hpp"
#include "runtime/ops/shuffle.hpp"
#include "runtime/ops/source.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace troupe {

template <class T>
class dataset;

/// Knobs of a context, taken from the settings by whoever builds it.
struct context_options {
  int32_t default_parallelism = 0;  ///< 0: the total cores of the executors
  int64_t split_size_bytes = 32 << 20;
};

/// An application's handle on the cluster (Spark's SparkContext).
class context {
public:
  context(job_runner& runner, context_options opts)
    : runner_(&runner), opts_(opts), releaser_(std::make_shared<block_releaser>(runner)) {}
  ~context() { releaser_->detach(); }
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  /// The rows of `data`, cut into `slices` partitions (default parallelism when 0).
  template <class T>
  dataset<T> parallelize(std::vector<T> data, int32_t slices = 0);

  /// start, start+step, ... up to (not including) end.
  dataset<int64_t> range(int64_t start, int64_t end, int64_t step = 1, int32_t slices = 0);

  /// The lines of a file, read in parallel by byte ranges aligned to lines.
  /// Throws std::runtime_error naming the path when it cannot be read.
  dataset<std::string> text_file(const std::string& path, int32_t min_partitions = 0);

  /// Partitions of wide operations when not given: default.parallelism, or
  /// the total executor cores.
  int32_t default_parallelism();

  // -- used by dataset<T> ------------------------------------------------------
  node_id next_node_id() { return next_node_++; }
  shuffle_id next_shuffle_id() { return next_shuffle_++; }
  /// Partitions for a wide operation: explicit, else default.parallelism if set, else the parent's.
  int32_t wide_partitions(int32_t asked, int32_t parent) const {
    return asked > 0 ? asked : opts_.default_parallelism > 0 ? opts_.default_parallelism : std::max(parent, 1);
  }
  std::vector<std::string> run_job(job_request req) { return runner_->run_job(std::move(req)); }
  /// Told by shuffles and cached nodes when their last handle is gone.
  const std::shared_ptr<block_releaser>& releaser() const { return releaser_; }

  /// Gives a new node its id and partition count.
  template <class N>
  std::shared_ptr<N> add(std::shared_ptr<N> n, int32_t partitions) {
    n->id = next_node_id();
    n->partitions = partitions;
    return n;
  }

private:
  job_runner* runner_;
  context_options opts_;
  std::atomic<node_id> next_node_{0};
  std::atomic<shuffle_id> next_shuffle_{0};
  std::shared_ptr<block_releaser> releaser_;
};

/// Splits a line into words: maximal runs of bytes other than ASCII
/// whitespace (space, \t, \n, \v, \f, \r).
std::vector<std::string> split_words(std::string_view line);

/// True for the six ASCII whitespace bytes.
constexpr bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

namespace fns {
// Function objects the API composes. The user's function is a declared
// field, so it travels by its own rules (a function pointer as an offset).
template <class F>
struct key_by {
  function_field<F> f;
  template <class T>
  auto operator()(T&& x) {
    auto k = f(std::as_const(x));
    return std::pair<decltype(k), std::decay_t<T>>{std::move(k), std::forward<T>(x)};
  }
  template <class I>
  friend auto inspect(I& i, key_by& x) { return i(x.f); }
};
template <class F>
struct map_values {
  function_field<F> f;
  template <class K, class V>
  auto operator()(std::pair<K, V>&& kv) {
    auto w = f(std::move(kv.second));
    return std::pair<K, decltype(w)>{std::move(kv.first), std::move(w)};
  }
  template <class I>
  friend auto inspect(I& i, map_values& x) { return i(x.f); }
};
struct with_unit {
  template <class T>
  std::pair<T, uint8_t> operator()(T&& x) const { return {std::forward<T>(x), uint8_t{0}}; }
};
struct keep_first {
  uint8_t operator()(uint8_t a, uint8_t) const { return a; }
};
struct first_of {
  template <class A, class B>
  A operator()(std::pair<A, B>&& p) const { return std::move(p.first); }
};
} // namespace fns

/// Key and value types of a dataset of pairs.
template <class T>
struct pair_traits {
  static constexpr bool is_pair = false;
};
template <class K, class V>
struct pair_traits<std::pair<K, V>> {
  static constexpr bool is_pair = true;
  using key = K;
  using value = V;
};

/// A distributed, immutable collection of T (Spark's RDD[T]).
template <class T>
class dataset {
public:
  dataset(context* ctx, std::shared_ptr<node<T>> n) : ctx_(ctx), node_(std::move(n)) {}

  int32_t partitions() const { return node_->partitions; }
  const std::shared_ptr<node<T>>& plan() const { return node_; }

  // -- narrow ---------------------------------------------------------------------

  /// f(row) for every row.
  template <class F>
  auto map(F f) const {
    using U = std::decay_t<std::invoke_result_t<F&, T&&>>;
    return narrow<U>(std::make_shared<ops::map_node<T, U, F>>(std::move(f)));
  }

  /// The rows for which f(row) is true.
  template <class F>
  dataset<T> filter(F f) const {
    return narrow<T>(std::make_shared<ops::filter_node<T, F>>(std::move(f)));
  }

  /// Every element of the container f(row) returns.
  template <class F>
  auto flat_map(F f) const {
    using U = ops::element_t<std::invoke_result_t<F&, T&&>>;
    return narrow<U>(std::make_shared<ops::flat_map_node<T, U, F>>(std::move(f)));
  }

  /// f(std::vector<T> rows) -> container, or f(int32_t partition, std::vector<T> rows).
  template <class F>
  auto map_partitions(F f) const {
    using R = std::conditional_t<std::is_invocable_v<F&, int32_t, std::vector<T>&&>,
                                 std::invoke_result<F&, int32_t, std::vector<T>&&>,
                                 std::invoke_result<F&, std::vector<T>&&>>;
    using U = ops::element_t<typename R::type>;
    return narrow<U>(std::make_shared<ops::map_partitions_node<T, U, F>>(std::move(f)));
  }

  /// (f(row), row) for every row.
  template <class F>
  auto key_by(F f) const {
    return map(fns::key_by<F>{function_field<F>(std::move(f))});
  }

  /// (k, f(v)) for every (k, v).
  template <class F>
  auto map_values(F f) const {
    static_assert(pair_traits<T>::is_pair, "map_values needs a dataset of std::pair");
    return map(fns::map_values<F>{function_field<F>(std::move(f))});
  }

  /// The rows of this dataset, then those of `other`.
  dataset<T> union_with(const dataset<T>& other) const {
    auto n = std::make_shared<ops::union_node<T>>(std::vector<int32_t>{partitions(), other.partitions()});
    n->parents = {node_, other.node_};
    return {ctx_, ctx_->add(n, partitions() + other.partitions())};
  }

  /// Keeps computed partitions in the executors' block stores for later jobs.
  /// The cached partitions are dropped when the last handle on this dataset
  /// (or on one built from it) is gone, or at unpersist().
  dataset<T>& cache() {
    node_->cached = true;
    node_->releaser = ctx_->releaser();
    return *this;
  }

  /// Stops caching and drops the cached partitions from the executors now.
  dataset<T>& unpersist() {
    if (node_->cached && node_->releaser)
      node_->releaser->cached_gone(node_->id);
    node_->cached = false;
    node_->releaser.reset();
    return *this;
  }

  // -- wide -----------------------------------------------------------------------

  /// Values of each key combined with f (associative), combining on the map side first.
  template <class F>
  dataset<T> reduce_by_key(F f, int32_t partitions = 0) const {
    static_assert(pair_traits<T>::is_pair, "reduce_by_key needs a dataset of std::pair");
    using K = typename pair_traits<T>::key;
    using V = typename pair_traits<T>::value;
    auto dep = std::make_shared<ops::combine_dep<K, V, F>>(f);
    return shuffled<T>(std::make_shared<ops::reduced_node<K, V, F>>(std::move(f)), {{dep, *this}}, partitions);
  }

  /// (k, all values of k).
  auto group_by_key(int32_t partitions = 0) const {
    static_assert(pair_traits<T>::is_pair, "group_by_key needs a dataset of std::pair");
    using K = typename pair_traits<T>::key;
    using V = typename pair_traits<T>::value;
    auto n = ctx_->wide_partitions(partitions, this->partitions());
    auto dep = std::make_shared<ops::bucket_dep<T, ops::hash_by_key>>(ops::hash_by_key{n});
    return shuffled<std::pair<K, std::vector<V>>>(std::make_shared<ops::grouped_node<K, V>>(), {{dep, *this}}, n);
  }

  /// Inner join on keys: (k, (v, w)).
  template <class W, class D = T>
  auto join(const dataset<std::pair<typename pair_traits<D>::key, W>>& other, int32_t partitions = 0) const {
    using K = typename pair_traits<T>::key;
    using V = typename pair_traits<T>::value;
    auto n = ctx_->wide_partitions(partitions, std::max(this->partitions(), other.partitions()));
    auto left = std::make_shared<ops::bucket_dep<T, ops::hash_by_key>>(ops::hash_by_key{n});
    auto right = std::make_shared<ops::bucket_dep<std::pair<K, W>, ops::hash_by_key>>(ops::hash_by_key{n});
    return shuffled<std::pair<K, std::pair<V, W>>>(std::make_shared<ops::joined_node<K, V, W>>(),
                                                  {{left, *this}, {right, other}}, n);
  }

  /// Sorted by key through a range-partitioned shuffle: partition i holds
  /// keys before those of partition i+1. Samples the keys first (a job).
  dataset<T> sort_by_key(bool ascending = true, int32_t partitions = 0) const;

  /// Each distinct row once.
  dataset<T> distinct(int32_t partitions = 0) const {
    return map(fns::with_unit{}).reduce_by_key(fns::keep_first{}, partitions).map(fns::first_of{});
  }

  /// The same rows spread evenly over `partitions` partitions.
  dataset<T> repartition(int32_t partitions) const {
    if (partitions < 1)
      throw std::invalid_argument("repartition: partitions must be >= 1");
    auto dep = std::make_shared<ops::bucket_dep<T, ops::round_robin>>(ops::round_robin{partitions, 0});
    return shuffled<T>(std::make_shared<ops::concat_node<T>>(), {{dep, *this}}, partitions);
  }

  // -- actions --------------------------------------------------------------------

  /// All rows, partition by partition.
  std::vector<T> collect() const {
    std::vector<T> all;
    for (auto& bytes : run(std::make_shared<ops::collect_op<T>>(), "collect")) {
      auto part = decode<std::vector<T>>(bytes);
      all.insert(all.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return all;
  }

  /// Number of rows.
  int64_t count() const {
    int64_t n = 0;
    for (auto& bytes : run(std::make_shared<ops::count_op<T>>(), "count"))
      n += decode<int64_t>(bytes);
    return n;
  }

  /// The rows folded with f (associative and commutative). Throws
  /// std::runtime_error on an empty dataset.
  template <class F>
  T reduce(F f) const {
    std::optional<T> acc;
    for (auto& bytes : run(std::make_shared<ops::reduce_op<T, F>>(f), "reduce"))
      for (auto& x : decode<std::vector<T>>(bytes))
        acc = acc ? f(std::move(*acc), std::move(x)) : std::move(x);
    if (!acc)
      throw std::runtime_error("reduce of an empty dataset");
    return std::move(*acc);
  }

  /// The first n rows, scanning as few partitions as it can.
  std::vector<T> take(int64_t n) const {
    std::vector<T> out;
    int32_t next = 0;
    int32_t batch = 1;
    while (static_cast<int64_t>(out.size()) < n && next < partitions()) {
      job_request req{node_, std::make_shared<ops::take_op<T>>(n - static_cast<int64_t>(out.size())), {}, "take"};
      for (int32_t p = next; p < std::min(partitions(), next + batch); ++p)
        req.partitions.push_back(p);
      next += batch;
      batch *= 4;
      for (auto& bytes : ctx_->run_job(std::move(req)))
        for (auto& x : decode<std::vector<T>>(bytes))
          if (static_cast<int64_t>(out.size()) < n)
            out.push_back(std::move(x));
    }
    return out;
  }

  /// Writes `dir/part-NNNNN` files, one row a line, and `dir/_SUCCESS`.
  /// Throws std::runtime_error if `dir` exists already.
  int64_t save_as_text_file(const std::string& dir) const;

private:
  template <class U, class N>
  dataset<U> narrow(std::shared_ptr<N> n) const {
    n->parents = {node_};
    return {ctx_, ctx_->add(std::shared_ptr<node<U>>(std::move(n)), partitions())};
  }

  struct wide_input {
    std::shared_ptr<shuffle_dep_base> dep;
    std::shared_ptr<node_base> parent;
    template <class P>
    wide_input(std::shared_ptr<shuffle_dep_base> d, const dataset<P>& p) : dep(std::move(d)), parent(p.plan()) {}
  };

  template <class U, class N>
  dataset<U> shuffled(std::shared_ptr<N> n, std::vector<wide_input> inputs, int32_t asked) const {
    int32_t most = 0;
    for (auto& in : inputs)
      most = std::max(most, in.parent->partitions);
    auto reducers = ctx_->wide_partitions(asked, most);
    for (auto& in : inputs) {
      in.dep->id = ctx_->next_shuffle_id();
      in.dep->releaser = ctx_->releaser();
      in.dep->reducers = reducers;
      in.dep->parent = in.parent;
      n->shuffles.push_back(in.dep);
      n->reads.push_back({in.dep->id, in.parent->partitions});
    }
    return {ctx_, ctx_->add(std::shared_ptr<node<U>>(std::move(n)), reducers)};
  }

  std::vector<std::string> run(std::shared_ptr<result_op_base> op, const char* what) const {
    return ctx_->run_job(job_request{node_, std::move(op), {}, what});
  }

  context* ctx_;
  std::shared_ptr<node<T>> node_;
};

// -- context ---------------------------------------------------------------------

template <class T>
dataset<T> context::parallelize(std::vector<T> data, int32_t slices) {
  if (slices <= 0)
    slices = default_parallelism();
  std::vector<std::vector<T>> parts(static_cast<size_t>(slices));
  size_t n = data.size();
  for (int32_t i = 0; i < slices; ++i) {
    auto lo = n * static_cast<size_t>(i) / static_cast<size_t>(slices);
    auto hi = n * static_cast<size_t>(i + 1) / static_cast<size_t>(slices);
    parts[static_cast<size_t>(i)].assign(std::make_move_iterator(data.begin() + static_cast<ptrdiff_t>(lo)),
                                         std::make_move_iterator(data.begin() + static_cast<ptrdiff_t>(hi)));
  }
  auto node = std::make_shared<ops::parallelize_node<T>>(std::move(parts));
  return {this, add(std::shared_ptr<troupe::node<T>>(node), slices)};
}

// -- wide operations that run jobs ---------------------------------------------------

/// Cut points for `n` ranges from per-partition key samples (Spark's determineBounds).
template <class K>
std::vector<K> range_bounds(std::vector<std::pair<int64_t, std::vector<K>>> samples, int32_t n) {
  std::vector<std::pair<K, double>> weighted;
  double total = 0;
  for (auto& [count, keys] : samples) {
    if (keys.empty())
      continue;
    double w = static_cast<double>(count) / static_cast<double>(keys.size());
    for (auto& k : keys)
      weighted.emplace_back(std::move(k), w);
    total += static_cast<double>(count);
  }
  std::sort(weighted.begin(), weighted.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<K> bounds;
  double step = total / n;
  double cum = 0;
  double target = step;
  for (auto& [k, w] : weighted) {
    cum += w;
    if (static_cast<int32_t>(bounds.size()) >= n - 1)
      break;
    if (cum >= target && (bounds.empty() || bounds.back() < k)) {
      bounds.push_back(k);
      target += step;
    }
  }
  return bounds;
}

template <class T>
dataset<T> dataset<T>::sort_by_key(bool ascending, int32_t partitions) const {
  static_assert(pair_traits<T>::is_pair, "sort_by_key needs a dataset of std::pair");
  using K = typename pair_traits<T>::key;
  using V = typename pair_traits<T>::value;
  int32_t n = ctx_->wide_partitions(partitions, this->partitions());
  std::vector<K> bounds;
  if (n > 1) {
    auto sample_size = std::min<int64_t>(20LL * n, 1'000'000);
    auto per_partition = static_cast<int32_t>(std::ceil(3.0 * static_cast<double>(sample_size) / std::max(this->partitions(), 1)));
    std::vector<std::pair<int64_t, std::vector<K>>> samples;
    for (auto& bytes : run(std::make_shared<ops::sample_keys_op<K, V>>(per_partition), "sample for sort_by_key"))
      samples.push_back(decode<std::pair<int64_t, std::vector<K>>>(bytes));
    bounds = range_bounds(std::move(samples), n);
  }
  auto reducers = static_cast<int32_t>(bounds.size()) + 1;
  auto dep = std::make_shared<ops::bucket_dep<T, ops::range_by_key<K>>>(ops::range_by_key<K>{reducers, ascending, std::move(bounds)});
  return shuffled<T>(std::make_shared<ops::sorted_node<K, V>>(ascending), {{dep, *this}}, reducers);
}

namespace detail {
/// Creates `dir` (and its parents) and returns its absolute path; throws if
/// it exists already or cannot be made.
std::string make_output_dir(const std::string& dir);
/// Commits a finished save: removes the hidden temporaries that killed or
/// lost attempts left behind, then writes the empty `dir/_SUCCESS` marker.
void commit_output(const std::string& dir);
/// Aborts a failed save: removes every part file and temporary, and writes
/// `dir/_FAILED` holding `reason` (a later run may reuse such a directory).
void abort_output(const std::string& dir, const std::string& reason);
} // namespace detail

template <class T>
int64_t dataset<T>::save_as_text_file(const std::string& path) const {
  // Executors may run in another working directory: they get the absolute path.
  auto dir = detail::make_output_dir(path);
  int64_t n = 0;
  try {
    for (auto& bytes : run(std::make_shared<ops::save_op<T>>(dir), "save_as_text_file"))
      n += decode<int64_t>(bytes);
  } catch (const std::exception& e) {
    detail::abort_output(dir, e.what());
    throw;
  }
  detail::commit_output(dir);
  return n;
}

} // namespace troupe
