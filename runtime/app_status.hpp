#pragma once
// What one application is doing, as Spark's UI and monitoring API see it:
// jobs, stages, tasks and executors, fed by events (the ones the driver and
// its DAG scheduler produce, or the lines of an event log read back) and read
// as snapshots. Plain code: the driver's UI, the event log and the history
// server share it, and the HTTP threads read snapshots, never actor state.

#include "runtime/task_counters.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace troupe::status {

/// Wall-clock milliseconds since the epoch (what every event carries).
int64_t now_ms();

/// A task's measurements (Spark's TaskMetrics, the part troupe has).
struct task_metrics {
  int64_t duration_ms = 0;          ///< launch to end as the driver saw it
  int64_t records_read = 0;
  int64_t bytes_read = 0;           ///< input bytes
  int64_t records_written = 0;
  int64_t bytes_written = 0;        ///< output bytes
  int64_t shuffle_read_bytes = 0;   ///< local and remote
  int64_t shuffle_write_bytes = 0;  ///< map output bytes (sum of its per-reducer sizes)
  // -- measured by the executor (runtime/task_counters.hpp) --
  int64_t run_time_us = 0;          ///< computing, after decoding the task
  int64_t cpu_time_ns = 0;
  int64_t deserialize_us = 0;
  int64_t result_bytes = 0;         ///< encoded result of a result task
  int64_t shuffle_read_records = 0;
  int64_t shuffle_remote_bytes_read = 0;  ///< of shuffle_read_bytes, fetched from other processes (encoded)
  int64_t shuffle_local_blocks = 0;
  int64_t shuffle_remote_blocks = 0;
  int64_t shuffle_fetch_wait_us = 0;
  int64_t shuffle_write_records = 0;
};

/// The metrics of a task from what its executor counted (duration left 0:
/// the model fills it in from the task's start).
task_metrics metrics_from(const task_counters& c);

/// The kinds of events, named as Spark's listener events.
enum class event_kind : uint8_t {
  app_start, app_end, job_start, job_end, stage_submitted, stage_completed, task_start, task_end,
  executor_added, executor_removed,
};

/// Spark's event name ("SparkListenerJobStart", ...).
const char* to_string(event_kind k);
/// The kind named `s`, or nullopt.
std::optional<event_kind> event_kind_from(const std::string& s);

/// One event; which fields mean something depends on the kind.
struct event {
  event_kind kind = event_kind::app_start;
  int64_t time_ms = 0;
  // app_start
  std::string app_id, app_name, user;
  std::map<std::string, std::string> environment;
  // job_*: the job; stage_*/task_*: the stage
  int64_t job = -1;
  std::vector<int64_t> stage_ids;  ///< job_start
  int64_t stage = -1;
  int32_t attempt = 0;             ///< stage attempt
  int32_t num_tasks = 0;           ///< stage_submitted
  std::string name;                ///< job or stage name
  // task_*
  int64_t task = -1;
  int32_t partition = -1;
  // task_*, executor_*
  std::string executor;
  std::string host_port;  ///< executor_added
  int32_t cores = 0;      ///< executor_added
  // *_end, stage_completed, executor_removed: how it ended
  bool ok = true;
  std::string reason;     ///< task_end: "success", "failed", "killed", "lost"; else an error text
  task_metrics metrics;   ///< task_end
};

enum class job_status : uint8_t { running, succeeded, failed };
enum class stage_status : uint8_t { active, complete, failed };
const char* to_string(job_status s);    ///< "RUNNING", "SUCCEEDED", "FAILED"
const char* to_string(stage_status s);  ///< "ACTIVE", "COMPLETE", "FAILED"

/// A job as the UI shows it; task counts are summed over its stages.
struct job_view {
  int64_t id = 0;
  std::string name;
  job_status status = job_status::running;
  std::vector<int64_t> stage_ids;
  int64_t submission_ms = 0, completion_ms = 0;  ///< 0: not yet
  int32_t num_tasks = 0, active_tasks = 0, completed_tasks = 0, failed_tasks = 0, killed_tasks = 0;
  int32_t num_stages = 0, completed_stages = 0, active_stages = 0, failed_stages = 0;
  std::string error;
};

/// One stage attempt as the UI shows it.
struct stage_view {
  int64_t id = 0;
  int32_t attempt = 0;
  std::string name;
  stage_status status = stage_status::active;
  std::vector<int64_t> job_ids;
  int32_t num_tasks = 0, active_tasks = 0, complete_tasks = 0, failed_tasks = 0, killed_tasks = 0;
  int64_t submission_ms = 0, completion_ms = 0;
  int64_t executor_run_time_ms = 0;  ///< executor_run_time_us / 1000
  int64_t executor_run_time_us = 0, executor_cpu_time_ns = 0, executor_deserialize_us = 0, result_size = 0;
  int64_t input_bytes = 0, input_records = 0, output_bytes = 0, output_records = 0;
  int64_t shuffle_read_bytes = 0, shuffle_write_bytes = 0;
  int64_t shuffle_read_records = 0, shuffle_write_records = 0;
  int64_t shuffle_remote_bytes_read = 0, shuffle_local_bytes_read = 0;
  int64_t shuffle_remote_blocks = 0, shuffle_local_blocks = 0, shuffle_fetch_wait_us = 0;
  std::string failure_reason;
};

/// One executor as the UI shows it.
struct executor_view {
  std::string id;
  std::string host_port;
  bool active = true;
  int32_t total_cores = 0;
  int32_t active_tasks = 0, completed_tasks = 0, failed_tasks = 0;
  int64_t total_duration_ms = 0;
  int64_t input_bytes = 0, shuffle_read_bytes = 0, shuffle_write_bytes = 0;
  int64_t add_ms = 0, remove_ms = 0;
  std::string remove_reason;
};

/// The application itself.
struct app_view {
  std::string id, name, user;
  int64_t start_ms = 0, end_ms = 0;  ///< end 0: still running
  bool completed = false;
  bool ok = true;
  std::string error;
  std::map<std::string, std::string> environment;
  int64_t duration_ms() const;  ///< to end, or to now while running
};

/// Everything the UI renders, copied out at one moment.
struct snapshot {
  app_view app;
  std::vector<job_view> jobs;          ///< newest first
  std::vector<stage_view> stages;      ///< newest first
  std::vector<executor_view> executors;
  const job_view* find_job(int64_t id) const;
  const stage_view* find_stage(int64_t id) const;  ///< its latest attempt
};

/// The live model: apply events, take snapshots; safe to use from several
/// threads (one mutex).
class app_status {
public:
  /// Applies `e`, completing it from what is known (a task_end gets its
  /// stage, partition and executor from its task_start, and its duration
  /// when the event has none; a task_start the latest attempt of its stage),
  /// so that what is logged is self-contained. False when the event is of a
  /// task the model never saw start (a late duplicate): nothing to log.
  bool apply(event& e);
  snapshot snap() const;
  /// Called (outside the lock, on the applying thread) after each applied
  /// event, e.g. to erase the console bar the moment a job ends.
  void on_applied(std::function<void(const event&)> f);
  /// The stage a started task belongs to (-1: unknown).
  int64_t stage_of(int64_t task) const;

private:
  struct task_info {
    int64_t stage = -1;
    int32_t attempt = 0;
    int32_t partition = -1;
    std::string executor;
    int64_t start_ms = 0;
  };
  bool apply_locked(event& e);
  stage_view& stage_for(int64_t stage, int32_t attempt);

  mutable std::mutex mtx_;
  std::function<void(const event&)> listener_;
  app_view app_;
  std::map<int64_t, job_view> jobs_;
  std::map<std::pair<int64_t, int32_t>, stage_view> stages_;
  std::map<std::string, executor_view> executors_;
  std::map<int64_t, task_info> running_;
};

} // namespace troupe::status
