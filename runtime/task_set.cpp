#include "runtime/task_set.hpp"

#include <algorithm>

namespace troupe {

task_set::task_set(stage_id stage, std::vector<int32_t> partitions, int32_t max_failures,
                   std::map<int32_t, std::set<executor_id>> preferred)
  : stage_(stage),
    max_failures_(std::max(1, max_failures)),
    partitions_(std::move(partitions)),
    preferred_(std::move(preferred)) {
  std::sort(partitions_.begin(), partitions_.end());
  partitions_.erase(std::unique(partitions_.begin(), partitions_.end()), partitions_.end());
  for (auto p : partitions_)
    make_pending(p);
}

void task_set::make_pending(int32_t partition) {
  pending_.insert(partition);
  auto pref = preferred_.find(partition);
  if (pref != preferred_.end())
    for (auto& exec : pref->second)
      pending_by_exec_[exec].insert(partition);
}

std::optional<task_attempt> task_set::launch_next(const executor_id& exec, task_id id) {
  if (aborted_ || pending_.empty() || running_.count(id) != 0)
    return std::nullopt;
  // Locality first (Spark's PROCESS_LOCAL level), else the lowest pending
  // partition. The per-executor index may hold partitions that have since
  // been launched elsewhere; they are dropped as they are met.
  auto pick = pending_.end();
  auto local = pending_by_exec_.find(exec);
  if (local != pending_by_exec_.end()) {
    auto& mine = local->second;
    while (!mine.empty() && pick == pending_.end()) {
      pick = pending_.find(*mine.begin());
      mine.erase(mine.begin());
    }
  }
  if (pick == pending_.end())
    pick = pending_.begin();
  int32_t partition = *pick;
  pending_.erase(pick);
  task_attempt attempt;
  attempt.id = id;
  attempt.partition = partition;
  attempt.attempt = attempts_[partition]++;
  attempt.executor = exec;
  attempt.state = task_state::running;
  running_.emplace(id, attempt);
  return attempt;
}

std::optional<task_attempt> task_set::end_attempt(task_id id, task_state state) {
  auto i = running_.find(id);
  if (i == running_.end())
    return std::nullopt;
  auto attempt = i->second;
  running_.erase(i);
  attempt.state = state;
  ended_[id] = attempt;
  return attempt;
}

bool task_set::on_succeeded(task_id id) {
  auto ended = end_attempt(id, task_state::succeeded);
  if (!ended)
    return false;
  auto& attempt = *ended;
  // After an abort nothing of this set counts any more.
  if (aborted_)
    return false;
  return succeeded_.insert(attempt.partition).second;
}

failure_decision task_set::on_failed(task_id id, const std::string& error) {
  failure_decision decision;
  auto ended = end_attempt(id, task_state::failed);
  if (!ended)
    return decision;
  auto& attempt = *ended;
  // The abort is reported once: failures of attempts still running at that
  // moment must not fail the job a second time.
  if (aborted_)
    return decision;
  auto count = ++failures_[attempt.partition];
  if (count >= max_failures_) {
    aborted_ = true;
    pending_.clear();
    decision.abort = true;
    decision.reason = "task for partition " + std::to_string(attempt.partition) + " failed "
                      + std::to_string(count) + " times; last error: " + error;
  } else if (succeeded_.count(attempt.partition) == 0) {
    make_pending(attempt.partition);
  }
  return decision;
}

void task_set::on_lost(task_id id) {
  auto ended = end_attempt(id, task_state::lost);
  if (ended && !aborted_ && succeeded_.count(ended->partition) == 0)
    make_pending(ended->partition);
}

std::vector<task_id> task_set::on_executor_lost(const executor_id& exec) {
  std::vector<task_id> lost;
  for (const auto& [id, attempt] : running_)
    if (attempt.executor == exec)
      lost.push_back(id);
  for (auto id : lost)
    on_lost(id);
  return lost;
}

void task_set::resubmit(int32_t partition) {
  if (!aborted_ && succeeded_.erase(partition) != 0)
    make_pending(partition);
}

bool task_set::all_succeeded() const {
  return succeeded_.size() == partitions_.size();
}

std::vector<task_id> task_set::running_tasks() const {
  std::vector<task_id> ids;
  ids.reserve(running_.size());
  for (const auto& [id, _] : running_)
    ids.push_back(id);
  return ids;
}

const task_attempt* task_set::find(task_id id) const {
  if (auto i = running_.find(id); i != running_.end())
    return &i->second;
  if (auto i = ended_.find(id); i != ended_.end())
    return &i->second;
  return nullptr;
}

int32_t task_set::failures(int32_t partition) const {
  auto i = failures_.find(partition);
  return i == failures_.end() ? 0 : i->second;
}

} // namespace troupe
