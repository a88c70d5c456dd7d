#include "runtime/task_runner.hpp"

#include "runtime/memory_guard.hpp"
#include "runtime/ops/shuffle.hpp"

#include <chrono>
#include <ctime>
#include <algorithm>
#include <map>
#include <mutex>

namespace troupe {

namespace {
thread_local int32_t running_attempt = -1;
/// Sets running_attempt for the duration of one task.
struct attempt_scope {
  explicit attempt_scope(int32_t a) { running_attempt = a; }
  ~attempt_scope() { running_attempt = -1; }
  attempt_scope(const attempt_scope&) = delete;
  attempt_scope& operator=(const attempt_scope&) = delete;
};
} // namespace

int32_t current_task_attempt() {
  return running_attempt;
}

namespace {
using clock = std::chrono::steady_clock;

int64_t micros_since(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - t).count();
}

/// CPU time of the calling thread, in nanoseconds (0 where unsupported).
int64_t thread_cpu_ns() {
  timespec ts{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
} // namespace

task_outcome run_task(std::string_view payload, const executor_id& self, block_store& blocks,
                      block_fetcher& fetcher) {
  task_outcome out;
  task_context ctx;
  auto decode_start = clock::now();
  auto run_start = decode_start;
  int64_t cpu_start = 0;
  try {
    memory_guard::check();
    auto spec = decode_task(payload);
    attempt_scope scope{spec.attempt};
    ctx.executor = self;
    ctx.blocks = &blocks;
    ctx.fetcher = &fetcher;
    ctx.map_locations = std::move(spec.map_locations);
    ctx.attempt = spec.attempt;
    ctx.counters.deserialize_us = micros_since(decode_start);
    run_start = clock::now();
    cpu_start = thread_cpu_ns();
    if (spec.shuffle)
      out.map_sizes = spec.shuffle->write(ctx, spec.partition);
    else
      out.result = spec.op->run(ctx, *spec.node, spec.partition);
    out.cached = std::move(ctx.cached);
    out.ok = true;
  } catch (const fetch_failed& e) {
    out.error = e.what();
    out.fetch = fetch_failure_info{e.shuffle, e.map_partition, e.executor};
  } catch (const std::exception& e) {
    out.error = e.what();
  } catch (...) {
    out.error = "unknown exception (not derived from std::exception)";
  }
  if (cpu_start != 0) {
    ctx.counters.run_time_us = micros_since(run_start);
    ctx.counters.cpu_time_ns = thread_cpu_ns() - cpu_start;
  }
  ctx.counters.result_bytes = static_cast<int64_t>(out.result.size());
  out.counters = ctx.counters;
  // What a failed attempt held is free again: give it back before the next
  // task is measured against the executor's bound.
  if (!out.ok && memory_guard::limit_bytes() > 0)
    memory_guard::relieve();
  return out;
}

// -- local stores -------------------------------------------------------------------

namespace {
struct store_table {
  std::mutex mtx;
  std::map<std::pair<std::string, executor_id>, block_store*> stores;
};
store_table& table() {
  static store_table t;
  return t;
}
} // namespace

void local_stores::add(const std::string& app, const executor_id& exec, block_store* store) {
  std::lock_guard<std::mutex> guard{table().mtx};
  table().stores[{app, exec}] = store;
}

void local_stores::remove(const std::string& app, const executor_id& exec) {
  std::lock_guard<std::mutex> guard{table().mtx};
  table().stores.erase({app, exec});
}

block_store* local_stores::find(const std::string& app, const executor_id& exec) {
  std::lock_guard<std::mutex> guard{table().mtx};
  auto it = table().stores.find({app, exec});
  return it == table().stores.end() ? nullptr : it->second;
}

// -- fetching -------------------------------------------------------------------------

std::vector<remote_block> serve_blocks(block_store& store, shuffle_id s, int32_t reduce,
                                       const std::vector<int32_t>& maps) {
  std::vector<remote_block> out;
  out.reserve(maps.size());
  for (auto m : maps) {
    remote_block b;
    b.found = store.contains(ops::map_done_block(s, m));
    if (b.found)
      if (auto bytes = store.get_encoded(shuffle_block(s, m, reduce)))
        b.bytes = std::move(*bytes);
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<partition_ptr> executor_fetcher::fetch(shuffle_id shuffle, int32_t reduce,
                                                   const std::vector<executor_id>& locations,
                                                   partition_decoder decoder, task_counters& counters) {
  auto start = clock::now();
  // Summed here and added once: a fetch that fails midway counts nothing.
  task_counters got;
  std::vector<partition_ptr> out(locations.size());
  std::map<executor_id, std::vector<int32_t>> remote;
  for (size_t m = 0; m < locations.size(); ++m) {
    auto& exec = locations[m];
    auto map = static_cast<int32_t>(m);
    if (exec.empty())
      throw fetch_failed(shuffle, map, exec, "no executor holds this map output");
    if (auto* store = local_stores::find(app_, exec)) {
      if (!store->contains(ops::map_done_block(shuffle, map)))
        throw fetch_failed(shuffle, map, exec, "the executor no longer has this map output");
      out[m] = store->get(shuffle_block(shuffle, map, reduce));
      if (out[m]) {
        ++got.shuffle_local_blocks;
        got.shuffle_local_bytes += static_cast<int64_t>(std::max<size_t>(out[m]->bytes_estimate(), 1));
      }
      continue;
    }
    remote[exec].push_back(map);
  }
  for (auto& [exec, maps] : remote) {
    if (!remote_)
      throw fetch_failed(shuffle, maps.front(), exec, "executor is not reachable from here");
    auto blocks = remote_(exec, shuffle, reduce, maps);
    if (blocks.size() != maps.size())
      throw fetch_failed(shuffle, maps.front(), exec, "incomplete answer");
    for (size_t i = 0; i < maps.size(); ++i) {
      if (!blocks[i].found)
        throw fetch_failed(shuffle, maps[i], exec, "the executor no longer has this map output");
      if (!blocks[i].bytes.empty()) {
        ++got.shuffle_remote_blocks;
        got.shuffle_remote_bytes += static_cast<int64_t>(blocks[i].bytes.size());
        out[static_cast<size_t>(maps[i])] = decoder(blocks[i].bytes.data(), blocks[i].bytes.size());
      }
    }
  }
  std::vector<partition_ptr> present;
  for (auto& p : out)
    if (p) {
      got.shuffle_read_records += static_cast<int64_t>(p->rows());
      present.push_back(std::move(p));
    }
  counters.shuffle_read_records += got.shuffle_read_records;
  counters.shuffle_local_blocks += got.shuffle_local_blocks;
  counters.shuffle_local_bytes += got.shuffle_local_bytes;
  counters.shuffle_remote_blocks += got.shuffle_remote_blocks;
  counters.shuffle_remote_bytes += got.shuffle_remote_bytes;
  counters.shuffle_fetch_wait_us += micros_since(start);
  return present;
}

} // namespace troupe
