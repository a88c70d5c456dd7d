#pragma once
// The driver's scheduling policy, as plain code (Spark's DAGScheduler and
// TaskScheduler in one): jobs become stages cut at shuffle boundaries, stages
// become task sets, pending tasks go to free executor cores. The driver actor
// feeds it events and sends what it returns; tests drive it directly.

#include "runtime/plan.hpp"
#include "runtime/task_set.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace troupe {

/// A task to send to an executor.
struct task_launch {
  task_id id = 0;
  executor_id executor;
  stage_id stage = 0;
  int32_t partition = 0;
  int32_t attempt = 0;
  std::string payload;  ///< encode_task(...)
};

/// A finished job: results per requested partition, or the error.
struct job_outcome {
  job_id id = 0;
  bool ok = false;
  std::string error;
  std::vector<std::string> results;
};

/// Where a reducer could not fetch a map output.
struct fetch_failure_info {
  shuffle_id shuffle = 0;
  int32_t map_partition = 0;
  executor_id executor;
};

/// Where a dag_scheduler reads the time: task launch and run times feed the
/// adaptive executor queue. Tests pass a fake one; the default is steady_clock.
using scheduler_clock = std::function<std::chrono::steady_clock::time_point()>;

/// A stage event for the UI and the event log (runtime/app_status): taken
/// with take_stage_events() after each call, like take_finished().
struct stage_event {
  bool submitted = true;          ///< false: completed (ok or failed)
  stage_id stage = 0;
  int32_t attempt = 0;
  int32_t tasks = 0;              ///< submitted: tasks to run in this submission
  bool map = false;               ///< a shuffle map stage (else a result stage)
  std::vector<job_id> jobs;       ///< jobs waiting on it
  bool ok = true;
  std::string reason;             ///< failed: why
};

/// The scheduler's limits beyond task.max-failures.
struct scheduler_options {
  /// stage.max-attempts: attempts of a stage that end in a fetch failure
  /// before its jobs fail (Spark's spark.stage.maxConsecutiveAttempts).
  int32_t stage_max_attempts = 4;
  /// task.speculation: launch copies of slow tasks (check_speculation).
  bool speculation = false;
  speculation_policy speculation_rules;
};

/// What losing an executor cost (for the driver's log).
struct executor_loss {
  std::vector<task_id> lost_tasks;  ///< running attempts now `lost` (not counted as failures)
  size_t lost_outputs = 0;          ///< map outputs it held, to be recomputed
};

/// Jobs, stages, map outputs and executors of one application.
class dag_scheduler {
public:
  explicit dag_scheduler(int32_t max_failures, scheduler_clock now = &std::chrono::steady_clock::now,
                         scheduler_options opts = {});

  // -- executors ------------------------------------------------------------------
  /// An executor with `cores` cores that may hold `extra` tasks more than
  /// it runs at once (queued on it, so its threads never wait for the driver).
  /// While tasks take under a millisecond the queue grows to 4 tasks per core:
  /// then the round trip to the driver, not the task, is what threads wait on.
  void add_executor(const executor_id& id, int32_t cores, int32_t extra = 0);
  /// Tasks an executor may hold now (cores + queue); 0 for an unknown one.
  int32_t slots(const executor_id& id) const;
  /// Moving average of recent task run times, in microseconds (0: none yet).
  double average_task_us() const { return avg_task_us_; }
  /// Its running tasks are lost (back to pending, not counted against
  /// task.max-failures); its map outputs and cached blocks are forgotten, so
  /// exactly the map tasks whose outputs it held run again.
  executor_loss remove_executor(const executor_id& id);
  /// True while the executor is known (added and not removed).
  bool has_executor(const executor_id& id) const { return executors_.count(id) != 0; }
  int32_t total_cores() const;
  size_t executor_count() const { return executors_.size(); }

  // -- jobs -----------------------------------------------------------------------
  job_id submit_job(job_request req);
  /// Pending tasks assigned to free cores, oldest stage first.
  std::vector<task_launch> schedule();
  /// A result (result task) or per-reducer sizes (map task; not used for
  /// scheduling yet); `cached` lists the (node, partition) blocks the task
  /// cached on its executor.
  void task_succeeded(task_id id, std::string result, std::vector<int64_t> map_sizes,
                      std::vector<std::pair<node_id, int32_t>> cached = {});
  /// A fetch failure marks every map output of the executor it names as
  /// lost (their stages run those partitions again), puts the task back to
  /// pending and counts one failed attempt of its stage; stage.max-attempts
  /// failed attempts fail the stage's jobs with a message naming the stage
  /// and the executor.
  void task_failed(task_id id, const std::string& error, std::optional<fetch_failure_info> fetch = {});
  /// With speculation on: marks running tasks slow enough for a copy (see
  /// task_set::check_speculation); the next schedule() launches the copies on
  /// other executors, and the first copy to succeed wins (the others are
  /// killed, their results ignored). Returns (stage, partition) newly marked.
  std::vector<std::pair<stage_id, int32_t>> check_speculation();
  /// Jobs that ended since the last call.
  std::vector<job_outcome> take_finished();
  /// Running tasks to kill (their job failed): (executor, task).
  std::vector<std::pair<executor_id, task_id>> take_kills();
  /// The stages job `j` needs (its result stage and every map stage under it).
  std::vector<stage_id> stages_of(job_id j) const;
  /// Stages submitted and completed since the last call, in order.
  std::vector<stage_event> take_stage_events();

  size_t running_tasks() const { return task_owner_.size(); }
  size_t active_jobs() const { return jobs_.size(); }
  /// Map outputs known for a shuffle (for tests and logs).
  size_t available_outputs(shuffle_id s) const;
  /// The shuffle's last handle is gone: forgets its map stage and outputs.
  /// False (and nothing forgotten) while a job still uses it.
  bool forget_shuffle(shuffle_id s);
  /// The cached node is gone or unpersisted: forgets where its blocks were.
  void forget_cached(node_id n);
  /// Map stages kept (running or parked) — for tests.
  size_t map_stages() const { return shuffle_stage_.size(); }

private:
  struct executor_info {
    int32_t cores = 0;
    int32_t extra = 0;    // configured queue beyond the cores
    int32_t running = 0;  // tasks sent and not yet answered
  };
  int32_t slots_of(const executor_info& e) const;
  struct stage_info {
    stage_id id = 0;
    std::shared_ptr<node_base> node;            // last node of the pipeline
    std::shared_ptr<shuffle_dep_base> shuffle;  // map stage: the shuffle it writes
    std::vector<stage_id> parents;              // map stages it reads
    std::set<job_id> jobs;                      // jobs waiting on it
    std::vector<shuffle_id> reads;              // shuffles its pipeline reads
    int32_t attempt = 0;                        // the stage attempt tasks launch under now
    std::set<int32_t> failed_attempts;          // attempts that saw a fetch failure
    shuffle_id writes = -1;                     // map stage: the shuffle it writes (kept when parked)
    // A map stage no job waits on holds its pipeline weakly, so that the
    // application's last handle decides when the shuffle goes (forget_shuffle).
    bool parked = false;
    std::weak_ptr<node_base> parked_node;
    std::weak_ptr<shuffle_dep_base> parked_shuffle;
  };
  struct job_info {
    job_request req;
    stage_id result_stage = 0;
    std::vector<std::optional<std::string>> results;
    size_t remaining = 0;
    std::map<int32_t, size_t> slot;  // partition -> index in results
  };

  stage_id new_stage(std::shared_ptr<node_base> last, std::shared_ptr<shuffle_dep_base> shuffle, job_id job);
  stage_id map_stage_for(const std::shared_ptr<shuffle_dep_base>& dep, job_id job);
  std::vector<stage_id> parent_stages(node_base& last, job_id job);
  bool outputs_complete(shuffle_id s) const;
  std::vector<int32_t> missing_outputs(shuffle_id s) const;
  /// Makes sure every stage a runnable stage needs is active, recursively.
  void activate(stage_id s);
  bool ready(const stage_info& st) const;
  void stage_finished(stage_id s);
  void fail_job(job_id j, const std::string& error);
  task_spec spec_for(const stage_info& st, int32_t partition, int32_t attempt) const;
  std::map<int32_t, std::set<executor_id>> preferred_for(const stage_info& st) const;
  void release_core(const executor_id& e);
  /// Parks every map stage no job waits on (after a job ended).
  void park_idle_stages();
  /// Holds a parked stage's pipeline strongly again, and its ancestors'.
  void unpark(stage_id s);

  void lose_outputs_of(const executor_id& id, size_t* count = nullptr);
  void kill_other_copies(task_set& ts, int32_t partition, task_id winner);

  int32_t max_failures_;
  scheduler_clock now_;
  scheduler_options opts_;
  std::map<executor_id, executor_info> executors_;
  std::map<stage_id, stage_info> stages_;
  std::map<shuffle_id, stage_id> shuffle_stage_;
  // For each shuffle, the executor holding each map output (nullopt: missing).
  std::map<shuffle_id, std::vector<std::optional<executor_id>>> outputs_;
  std::map<shuffle_id, size_t> available_;          // non-empty entries of outputs_
  std::map<stage_id, task_set> active_;             // stages with a task set
  struct running_task {
    stage_id stage = 0;
    executor_id executor;
    std::chrono::steady_clock::time_point launched;
    int32_t stage_attempt = 0;
  };
  std::map<task_id, running_task> task_owner_;      // running tasks
  std::map<job_id, job_info> jobs_;
  std::map<node_id, std::map<int32_t, std::set<executor_id>>> cache_locs_;
  std::vector<job_outcome> finished_;
  std::vector<std::pair<executor_id, task_id>> kills_;
  std::vector<stage_event> stage_events_;
  void stage_event_of(const stage_info& st, bool submitted, int32_t tasks, bool ok = true, std::string reason = {});
  double avg_task_us_ = 0;  // exponential moving average of task run times
  job_id next_job_ = 0;
  stage_id next_stage_ = 0;
  task_id next_task_ = 0;
};

} // namespace troupe
