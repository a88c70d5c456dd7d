#pragma once
// A job runner without actors: the DAG scheduler and run_task on fake
// executors in this thread, encoding every task as an executor would get it.

#include "runtime/dag_scheduler.hpp"
#include "runtime/dataset.hpp"
#include "runtime/task_runner.hpp"

#include <filesystem>
#include <map>
#include <memory>

namespace troupe::testing {

class inline_runner final : public job_runner {
public:
  /// `executors` fake executors of `cores` cores each, with their own block stores.
  explicit inline_runner(int executors = 2, int cores = 2, int max_failures = 4, size_t memory = 64 << 20)
    : sched_(max_failures) {
    static int instance = 0;
    app_ = "inline-" + std::to_string(++instance);
    for (int i = 0; i < executors; ++i) {
      auto id = std::to_string(i);
      auto dir = std::filesystem::temp_directory_path() / (app_ + "-exec-" + id);
      stores_[id] = std::make_unique<block_store>(memory, dir.string());
      local_stores::add(app_, id, stores_[id].get());
      sched_.add_executor(id, cores);
    }
    fetcher_ = std::make_unique<executor_fetcher>(app_, nullptr);
  }
  ~inline_runner() override {
    for (auto& [id, s] : stores_)
      local_stores::remove(app_, id);
  }

  std::vector<std::string> run_job(job_request req) override {
    ++jobs_run;
    auto id = sched_.submit_job(std::move(req));
    for (;;) {
      for (auto& done : sched_.take_finished()) {
        if (done.id != id)
          continue;
        if (!done.ok)
          throw job_failed(done.error);
        return std::move(done.results);
      }
      auto launches = sched_.schedule();
      if (launches.empty())
        throw std::logic_error("inline_runner: job stalled");
      for (auto& t : launches) {
        ++tasks_run;
        auto out = run_task(t.payload, t.executor, *stores_.at(t.executor), *fetcher_);
        if (out.ok)
          (out.map_sizes.empty() ? result_counters : map_counters) += out.counters;
        if (out.ok)
          sched_.task_succeeded(t.id, std::move(out.result), std::move(out.map_sizes), std::move(out.cached));
        else
          sched_.task_failed(t.id, out.error, out.fetch);
      }
    }
  }
  int32_t total_cores() override { return sched_.total_cores(); }
  void release_blocks(const std::vector<shuffle_id>& shuffles, const std::vector<node_id>& cached) override {
    for (auto s : shuffles)
      if (sched_.forget_shuffle(s))
        for (auto& [id, store] : stores_)
          store->remove_shuffle(s);
    for (auto n : cached) {
      sched_.forget_cached(n);
      for (auto& [id, store] : stores_)
        store->remove_cached(n);
    }
  }
  /// Blocks in every fake executor's store.
  size_t blocks_held() const {
    size_t n = 0;
    for (auto& [id, store] : stores_)
      n += store->block_count();
    return n;
  }

  /// Drops an executor and its blocks, as if its process died.
  void lose_executor(const executor_id& id) {
    sched_.remove_executor(id);
    local_stores::remove(app_, id);
    stores_.erase(id);
  }

  dag_scheduler& scheduler() { return sched_; }
  int tasks_run = 0;
  int jobs_run = 0;
  /// What the successful map tasks (those that wrote a block) and the other tasks counted, summed.
  task_counters map_counters, result_counters;

private:
  std::string app_;
  dag_scheduler sched_;
  std::map<executor_id, std::unique_ptr<block_store>> stores_;
  std::unique_ptr<executor_fetcher> fetcher_;
};

} // namespace troupe::testing
