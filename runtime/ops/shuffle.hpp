#pragma once
// Wide operations. The map side (a shuffle dependency) splits each map
// partition into one block per reducer, combining values by key when it can;
// the reduce side (a node with no narrow parent) fetches its blocks from
// every map output and merges them.

#include "runtime/block_store.hpp"
#include "runtime/hash_map.hpp"
#include "runtime/memory_guard.hpp"
#include "runtime/ops/op.hpp"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

namespace troupe::ops {

/// Marks a map output as written, so that a reducer can tell an empty block
/// (not stored) from a lost one.
inline block_id map_done_block(shuffle_id s, int32_t m) { return {s, m, -1}; }

/// Stores the non-empty buckets of map partition m, and the done marker; returns bytes per reducer.
template <class T>
std::vector<int64_t> store_buckets(task_context& ctx, shuffle_id s, int32_t m, std::vector<std::vector<T>>& buckets) {
  std::vector<int64_t> sizes(buckets.size(), 0);
  for (size_t r = 0; r < buckets.size(); ++r) {
    if (buckets[r].empty())
      continue;
    auto block = std::make_shared<rows_of<T>>(std::move(buckets[r]));
    sizes[r] = static_cast<int64_t>(std::max<size_t>(block->bytes_estimate(), 1));
    ctx.counters.shuffle_write_records += static_cast<int64_t>(block->rows());
    ctx.counters.shuffle_write_bytes += sizes[r];
    ctx.blocks->put(shuffle_block(s, m, static_cast<int32_t>(r)), std::move(block));
  }
  ctx.blocks->put(map_done_block(s, m), std::make_shared<rows_of<int8_t>>());
  return sizes;
}

/// Appends a block's rows to `out`: moved when this reducer holds the only
/// reference (a block decoded from another process), copied when a block
/// store still holds it (it may be fetched again).
template <class T>
void append_rows(std::vector<T>& out, partition_ptr&& block) {
  auto& rs = rows<T>(*block);
  if (block.use_count() == 1) {
    auto& owned = const_cast<std::vector<T>&>(rs);
    out.insert(out.end(), std::make_move_iterator(owned.begin()), std::make_move_iterator(owned.end()));
  } else {
    out.insert(out.end(), rs.begin(), rs.end());
  }
  block.reset();
}

/// The blocks of reducer `reduce` of shuffle read `rd` (empty ones skipped).
template <class T>
std::vector<partition_ptr> fetch_blocks(task_context& ctx, const node_base::shuffle_read& rd, int32_t reduce) {
  auto it = ctx.map_locations.find(rd.id);
  if (it == ctx.map_locations.end() || static_cast<int32_t>(it->second.size()) != rd.maps)
    throw fetch_failed(rd.id, 0, "", "the task carries no locations for this shuffle");
  return ctx.fetcher->fetch(rd.id, reduce, it->second, &rows_of<T>::decode_rows, ctx.counters);
}

// -- partitioners ------------------------------------------------------------

/// Hash of the key of a pair.
struct hash_by_key {
  int32_t n = 1;
  template <class K, class V>
  int32_t operator()(const std::pair<K, V>& row) const { return hash_partition(row.first, n); }
  void start(int32_t) {}
  template <class I>
  friend auto inspect(I& f, hash_by_key& x) { return f(x.n); }
};

/// Rows spread evenly, starting at a position that depends on the map partition.
struct round_robin {
  int32_t n = 1;
  int64_t next = 0;
  template <class T>
  int32_t operator()(const T&) { return static_cast<int32_t>(next++ % n); }
  void start(int32_t m) { next = static_cast<int64_t>(mix64(static_cast<uint64_t>(m)) % static_cast<uint64_t>(n)); }
  template <class I>
  friend auto inspect(I& f, round_robin& x) { return f(x.n); }  // `next` starts over in each map task
};

/// Key ranges cut at sorted `bounds` (reducer i takes keys <= bounds[i]);
/// reversed for a descending sort.
template <class K>
struct range_by_key {
  int32_t n = 1;
  bool ascending = true;
  std::vector<K> bounds;
  template <class V>
  int32_t operator()(const std::pair<K, V>& row) const {
    auto i = static_cast<int32_t>(std::lower_bound(bounds.begin(), bounds.end(), row.first) - bounds.begin());
    return ascending ? i : n - 1 - i;
  }
  void start(int32_t) {}
  template <class I>
  friend auto inspect(I& f, range_by_key& x) { return f(x.n, x.ascending, x.bounds); }
};

// -- map side ----------------------------------------------------------------

/// Buckets rows of T by a partitioner, without combining.
template <class T, class Part>
class bucket_dep final : public op<bucket_dep<T, Part>, shuffle_dep_base> {
public:
  bucket_dep() = default;
  explicit bucket_dep(Part part) : part_(std::move(part)) {}
  template <class I>
  friend auto inspect(I& f, bucket_dep& x) { return f(x.part_); }
  std::vector<int64_t> write(task_context& ctx, int32_t m) override {
    std::vector<std::vector<T>> buckets(static_cast<size_t>(this->reducers));
    Part part = part_;
    part.start(m);
    auto s = make_sink<T>([&](T&& row) {
      memory_guard::check();
      auto r = part(row);
      buckets[static_cast<size_t>(r)].push_back(std::move(row));
    });
    static_cast<node<T>&>(*this->parent).run(ctx, m, s);
    return store_buckets(ctx, this->id, m, buckets);
  }

private:
  Part part_;
};

/// Combines values of equal keys with F before bucketing by key hash.
template <class K, class V, class F>
class combine_dep final : public op<combine_dep<K, V, F>, shuffle_dep_base> {
public:
  combine_dep() = default;
  explicit combine_dep(F f) : f_(std::move(f)) {}
  template <class I>
  friend auto inspect(I& f, combine_dep& x) { return f(x.f_); }
  std::vector<int64_t> write(task_context& ctx, int32_t m) override {
    auto reducers = this->reducers;
    std::vector<hash_map<K, V>> maps(static_cast<size_t>(reducers));
    auto s = make_sink<std::pair<K, V>>([&](std::pair<K, V>&& row) {
      // One hash picks the reducer and probes its map (most rows are hits).
      auto h = hash<K>{}(row.first);
      auto& map = maps[static_cast<size_t>(h % static_cast<uint64_t>(reducers))];
      auto it = map.find(row.first, h);
      if (it == map.end()) {
        memory_guard::check();  // only a new key grows the map
        map.emplace(std::move(row.first), std::move(row.second));
      }
      else
        it->second = f_(std::move(it->second), std::move(row.second));
    });
    static_cast<node<std::pair<K, V>>&>(*this->parent).run(ctx, m, s);
    std::vector<std::vector<std::pair<K, V>>> buckets(maps.size());
    for (size_t r = 0; r < maps.size(); ++r) {
      buckets[r].reserve(maps[r].size());
      for (auto& kv : maps[r])
        buckets[r].emplace_back(std::move(const_cast<K&>(kv.first)), std::move(kv.second));
      maps[r] = {};
    }
    return store_buckets(ctx, this->id, m, buckets);
  }

private:
  function_field<F> f_;
};

// -- reduce side ---------------------------------------------------------------

/// Base of reduce-side nodes: no narrow parent, reads shuffles.
template <class T>
class shuffled_node : public node<T> {
public:
  std::vector<std::pair<size_t, int32_t>> parent_partitions(int32_t) const override { return {}; }
};

/// The rows of every map output for this reducer, as they come.
template <class T>
class concat_node final : public op<concat_node<T>, shuffled_node<T>> {
public:
  std::string describe() const override { return "shuffled"; }
  template <class I>
  friend auto inspect(I& f, concat_node&) { return f(); }

protected:
  void compute(task_context& ctx, int32_t p, sink<T>& out) override {
    for (auto& block : fetch_blocks<T>(ctx, this->reads.at(0), p)) {
      bool owned = block.use_count() == 1;  // see append_rows
      for (const T& row : rows<T>(*block)) {
        T next = owned ? std::move(const_cast<T&>(row)) : row;
        out.push(std::move(next));
      }
    }
  }
};

/// Values of equal keys combined with F.
template <class K, class V, class F>
class reduced_node final : public op<reduced_node<K, V, F>, shuffled_node<std::pair<K, V>>> {
public:
  reduced_node() = default;
  explicit reduced_node(F f) : f_(std::move(f)) {}
  std::string describe() const override { return "reduce_by_key"; }
  template <class I>
  friend auto inspect(I& f, reduced_node& x) { return f(x.f_); }

protected:
  void compute(task_context& ctx, int32_t p, sink<std::pair<K, V>>& out) override {
    hash_map<K, V> acc;
    for (auto& block : fetch_blocks<std::pair<K, V>>(ctx, this->reads.at(0), p))
      for (const auto& [k, v] : rows<std::pair<K, V>>(*block)) {
        auto [it, inserted] = acc.try_emplace(k, v);
        if (inserted)
          memory_guard::check();
        else
          it->second = f_(std::move(it->second), V(v));
      }
    for (auto& kv : acc) {
      std::pair<K, V> row{std::move(const_cast<K&>(kv.first)), std::move(kv.second)};
      out.push(std::move(row));
    }
  }

private:
  function_field<F> f_;
};

/// All values of each key, in fetch order.
template <class K, class V>
class grouped_node final : public op<grouped_node<K, V>, shuffled_node<std::pair<K, std::vector<V>>>> {
public:
  std::string describe() const override { return "group_by_key"; }
  template <class I>
  friend auto inspect(I& f, grouped_node&) { return f(); }

protected:
  void compute(task_context& ctx, int32_t p, sink<std::pair<K, std::vector<V>>>& out) override {
    hash_map<K, std::vector<V>> groups;
    for (auto& block : fetch_blocks<std::pair<K, V>>(ctx, this->reads.at(0), p))
      for (const auto& [k, v] : rows<std::pair<K, V>>(*block)) {
        memory_guard::check();
        groups[k].push_back(v);
      }
    for (auto& kv : groups) {
      std::pair<K, std::vector<V>> row{std::move(const_cast<K&>(kv.first)), std::move(kv.second)};
      out.push(std::move(row));
    }
  }
};

/// This reducer's key range, sorted by key.
template <class K, class V>
class sorted_node final : public op<sorted_node<K, V>, shuffled_node<std::pair<K, V>>> {
public:
  sorted_node() = default;
  explicit sorted_node(bool ascending) : ascending_(ascending) {}
  std::string describe() const override { return "sort_by_key"; }
  template <class I>
  friend auto inspect(I& f, sorted_node& x) { return f(x.ascending_); }

protected:
  void compute(task_context& ctx, int32_t p, sink<std::pair<K, V>>& out) override {
    std::vector<std::pair<K, V>> all;
    auto blocks = fetch_blocks<std::pair<K, V>>(ctx, this->reads.at(0), p);
    size_t n = 0;
    for (auto& b : blocks)
      n += b->rows();
    all.reserve(n);
    for (auto& b : blocks) {
      memory_guard::check();
      append_rows(all, std::move(b));
    }
    blocks.clear();
    // Not stable, as Spark's sortByKey is not: equal keys come in any order.
    if constexpr (std::is_same_v<K, std::string>) {
      for (auto i : prefix_sorted_order(all))
        out.push(std::move(all[i]));
    } else {
      if (ascending_)
        std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first < b.first; });
      else
        std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return b.first < a.first; });
      for (auto& row : all)
        out.push(std::move(row));
    }
  }

private:
  /// The order of string keys, as Spark sorts them: by an 8-byte prefix held
  /// in the array being sorted (cache-friendly, one integer compare), the
  /// full strings only when prefixes tie.
  std::vector<size_t> prefix_sorted_order(const std::vector<std::pair<K, V>>& rows) const {
    struct entry {
      uint64_t prefix;
      size_t index;
    };
    std::vector<entry> keys(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& k = rows[i].first;
      uint64_t p = 0;
      for (size_t b = 0; b < 8; ++b)
        p = (p << 8) | (b < k.size() ? static_cast<unsigned char>(k[b]) : 0u);
      keys[i] = {p, i};
    }
    auto less = [&](const entry& a, const entry& b) {
      if (a.prefix != b.prefix)
        return a.prefix < b.prefix;
      return rows[a.index].first < rows[b.index].first;  // also orders "ab" before "ab\0"
    };
    if (ascending_)
      std::sort(keys.begin(), keys.end(), less);
    else
      std::sort(keys.begin(), keys.end(), [&](const entry& a, const entry& b) { return less(b, a); });
    std::vector<size_t> order(keys.size());
    for (size_t i = 0; i < keys.size(); ++i)
      order[i] = keys[i].index;
    return order;
  }

  bool ascending_ = true;
};

/// Inner join: (k, (v, w)) for every v on the left and w on the right with key k.
template <class K, class V, class W>
class joined_node final : public op<joined_node<K, V, W>, shuffled_node<std::pair<K, std::pair<V, W>>>> {
public:
  std::string describe() const override { return "join"; }
  template <class I>
  friend auto inspect(I& f, joined_node&) { return f(); }

protected:
  void compute(task_context& ctx, int32_t p, sink<std::pair<K, std::pair<V, W>>>& out) override {
    hash_map<K, std::vector<V>> left;
    for (auto& block : fetch_blocks<std::pair<K, V>>(ctx, this->reads.at(0), p))
      for (const auto& [k, v] : rows<std::pair<K, V>>(*block)) {
        memory_guard::check();
        left[k].push_back(v);
      }
    for (auto& block : fetch_blocks<std::pair<K, W>>(ctx, this->reads.at(1), p))
      for (const auto& [k, w] : rows<std::pair<K, W>>(*block)) {
        auto it = left.find(k);
        if (it == left.end())
          continue;
        for (const V& v : it->second) {
          std::pair<K, std::pair<V, W>> row{k, {v, w}};
          out.push(std::move(row));
        }
      }
  }
};

} // namespace troupe::ops
