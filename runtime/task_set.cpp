#include "runtime/task_set.hpp"

#include <algorithm>
#include <cmath>

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
  speculatable_.erase(partition);  // a regular attempt comes first
  auto pref = preferred_.find(partition);
  if (pref != preferred_.end())
    for (auto& exec : pref->second)
      pending_by_exec_[exec].insert(partition);
}

std::optional<task_attempt> task_set::launch_next(const executor_id& exec, task_id id,
                                                  std::chrono::steady_clock::time_point now) {
  if (aborted_ || running_.count(id) != 0)
    return std::nullopt;
  if (pending_.empty())
    return launch_copy(exec, id, now);
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
  attempt.launched = now;
  running_.emplace(id, attempt);
  return attempt;
}

std::optional<task_attempt> task_set::launch_copy(const executor_id& exec, task_id id,
                                                  std::chrono::steady_clock::time_point now) {
  // A copy never runs beside another attempt of its partition on one executor.
  for (auto it = speculatable_.begin(); it != speculatable_.end(); ++it) {
    auto partition = *it;
    bool here = false;
    for (const auto& [tid, a] : running_)
      here = here || (a.partition == partition && a.executor == exec);
    if (here)
      continue;
    speculatable_.erase(it);
    task_attempt attempt;
    attempt.id = id;
    attempt.partition = partition;
    attempt.attempt = attempts_[partition]++;
    attempt.executor = exec;
    attempt.state = task_state::running;
    attempt.launched = now;
    attempt.speculative = true;
    running_.emplace(id, attempt);
    return attempt;
  }
  return std::nullopt;
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

bool task_set::on_succeeded(task_id id, std::chrono::steady_clock::time_point now) {
  auto ended = end_attempt(id, task_state::succeeded);
  if (!ended)
    return false;
  auto& attempt = *ended;
  // After an abort nothing of this set counts any more.
  if (aborted_)
    return false;
  if (!succeeded_.insert(attempt.partition).second)
    return false;
  speculatable_.erase(attempt.partition);
  durations_.push_back(now - attempt.launched);
  return true;
}

std::vector<task_id> task_set::other_copies(int32_t partition, task_id except) const {
  std::vector<task_id> out;
  for (const auto& [tid, a] : running_)
    if (a.partition == partition && tid != except)
      out.push_back(tid);
  return out;
}

void task_set::on_killed(task_id id) {
  end_attempt(id, task_state::killed);
}

std::chrono::steady_clock::duration task_set::median_duration() const {
  if (durations_.empty())
    return {};
  auto d = durations_;
  auto mid = d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2);
  std::nth_element(d.begin(), mid, d.end());
  return *mid;
}

std::vector<int32_t> task_set::check_speculation(std::chrono::steady_clock::time_point now,
                                                 const speculation_policy& policy) {
  std::vector<int32_t> marked;
  if (aborted_ || partitions_.empty())
    return marked;
  // Spark: at least one success, and at least floor(quantile x tasks).
  auto needed = std::max<size_t>(
    1, static_cast<size_t>(std::floor(policy.quantile * static_cast<double>(partitions_.size()))));
  if (succeeded_.size() < needed)
    return marked;
  auto median = std::chrono::duration<double>(median_duration()).count();
  auto threshold = std::max(policy.multiplier * median, std::chrono::duration<double>(policy.min_runtime).count());
  std::map<int32_t, int> copies;
  for (const auto& [tid, a] : running_)
    ++copies[a.partition];
  for (const auto& [tid, a] : running_) {
    auto p = a.partition;
    if (copies[p] != 1 || succeeded_.count(p) != 0 || speculatable_.count(p) != 0 || pending_.count(p) != 0)
      continue;
    if (std::chrono::duration<double>(now - a.launched).count() > threshold) {
      speculatable_.insert(p);
      marked.push_back(p);
    }
  }
  return marked;
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
