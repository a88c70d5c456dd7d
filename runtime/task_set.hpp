#pragma once
// Bookkeeping of one stage attempt's tasks: which partitions are pending,
// running where, done, and how often each failed (Spark's TaskSetManager).

#include "runtime/ids.hpp"
#include "runtime/states.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace troupe {

/// What a task set decided about a failed attempt.
struct failure_decision {
  bool abort = false;       ///< the stage (and its job) must fail
  std::string reason;       ///< why, naming the partition and the last error
};

/// One launched attempt.
struct task_attempt {
  task_id id = 0;
  int32_t partition = 0;
  int32_t attempt = 0;      ///< 0 for the first try of a partition
  executor_id executor;
  task_state state = task_state::running;
  std::chrono::steady_clock::time_point launched{};  ///< when it was launched (the scheduler's clock)
  bool speculative = false;  ///< a copy launched while another attempt of the partition ran
};

/// When a running task gets a speculative copy (Spark's spark.speculation.*).
struct speculation_policy {
  double multiplier = 1.5;  ///< task.speculation.multiplier: runs longer than this x the median
  double quantile = 0.75;   ///< task.speculation.quantile: share of the set that must have succeeded
  std::chrono::milliseconds min_runtime{100};  ///< never speculate a task younger than this
};

/// The tasks of one stage attempt.
class task_set {
public:
  /// `partitions` are the partitions to compute; `max_failures` attempts per
  /// partition before the set aborts. `preferred` optionally maps a partition
  /// to executors holding its input (cached blocks).
  task_set(stage_id stage, std::vector<int32_t> partitions, int32_t max_failures,
           std::map<int32_t, std::set<executor_id>> preferred = {});

  /// The stage this set computes.
  stage_id stage() const { return stage_; }

  /// Takes the next pending partition for `exec`, preferring one whose input
  /// lives there; records the attempt as running under task id `id`,
  /// launched at `now`. With nothing pending, launches a speculative copy of
  /// a partition marked by check_speculation whose running copies are all on
  /// other executors.
  std::optional<task_attempt> launch_next(const executor_id& exec, task_id id,
                                          std::chrono::steady_clock::time_point now = {});

  /// Records success (at `now`: its run time feeds speculation). Returns
  /// false when the attempt is unknown or the partition already succeeded
  /// (a late duplicate): ignore its result.
  bool on_succeeded(task_id id, std::chrono::steady_clock::time_point now = {});

  /// Running attempts of `partition` other than `except` (the copies to kill
  /// once one of them succeeded).
  std::vector<task_id> other_copies(int32_t partition, task_id except) const;

  /// Records that a running attempt was killed (another copy won); the
  /// partition does not become pending and no failure is counted.
  void on_killed(task_id id);

  /// Marks for a speculative copy each partition with exactly one running
  /// attempt that has run longer than policy.multiplier x the median run time
  /// of the succeeded ones, once policy.quantile of the set has succeeded
  /// (Spark's checkSpeculatableTasks). Returns the partitions newly marked.
  std::vector<int32_t> check_speculation(std::chrono::steady_clock::time_point now, const speculation_policy& policy);

  /// True while some partition waits for a speculative copy.
  bool has_speculatable() const { return !speculatable_.empty(); }
  /// Median run time of the succeeded attempts (0 when none).
  std::chrono::steady_clock::duration median_duration() const;

  /// Records a failure with the error text; the partition goes back to
  /// pending unless it failed max_failures times, which aborts the set.
  failure_decision on_failed(task_id id, const std::string& error);

  /// Records that an attempt was killed or lost without counting a failure
  /// (its executor died); the partition is pending again.
  void on_lost(task_id id);

  /// Every running attempt on `exec` becomes lost (not counted as a failure);
  /// returns their task ids.
  std::vector<task_id> on_executor_lost(const executor_id& exec);

  /// Moves a succeeded partition back to pending (its output was lost).
  void resubmit(int32_t partition);

  /// True while some partition waits for a launch.
  bool has_pending() const { return !pending_.empty(); }
  /// True once every partition has succeeded.
  bool all_succeeded() const;
  /// True once a partition failed max_failures times; nothing launches after.
  bool aborted() const { return aborted_; }
  /// Number of attempts running now.
  size_t running_count() const { return running_.size(); }
  /// Number of partitions waiting for a launch.
  size_t pending_count() const { return pending_.size(); }
  /// Task ids of running attempts (to kill them when the set aborts).
  std::vector<task_id> running_tasks() const;
  /// The attempt behind a task id, if it is known to this set.
  const task_attempt* find(task_id id) const;
  /// Number of failed attempts of a partition so far.
  int32_t failures(int32_t partition) const;

private:
  void make_pending(int32_t partition);
  std::optional<task_attempt> launch_copy(const executor_id& exec, task_id id,
                                          std::chrono::steady_clock::time_point now);
  /// Moves a running attempt to the ended ones with `state`; nullopt if it was not running.
  std::optional<task_attempt> end_attempt(task_id id, task_state state);

  stage_id stage_;
  int32_t max_failures_;
  std::vector<int32_t> partitions_;
  std::set<int32_t> pending_;            // ordered: lower partitions first
  std::map<task_id, task_attempt> running_;
  std::map<task_id, task_attempt> ended_; // finished attempts, so find() knows them
  std::set<int32_t> succeeded_;
  std::map<int32_t, int32_t> failures_;
  std::map<int32_t, int32_t> attempts_;
  std::map<int32_t, std::set<executor_id>> preferred_;
  std::map<executor_id, std::set<int32_t>> pending_by_exec_;  // pending partitions preferring each executor
  std::set<int32_t> speculatable_;       // partitions waiting for a speculative copy
  std::vector<std::chrono::steady_clock::duration> durations_;  // run times of succeeded attempts
  bool aborted_ = false;
};

} // namespace troupe
