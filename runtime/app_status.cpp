#include "runtime/app_status.hpp"

#include <algorithm>
#include <chrono>
#include <climits>

namespace troupe::status {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

namespace {
constexpr std::pair<event_kind, const char*> kind_names[] = {
  {event_kind::app_start, "SparkListenerApplicationStart"},
  {event_kind::app_end, "SparkListenerApplicationEnd"},
  {event_kind::job_start, "SparkListenerJobStart"},
  {event_kind::job_end, "SparkListenerJobEnd"},
  {event_kind::stage_submitted, "SparkListenerStageSubmitted"},
  {event_kind::stage_completed, "SparkListenerStageCompleted"},
  {event_kind::task_start, "SparkListenerTaskStart"},
  {event_kind::task_end, "SparkListenerTaskEnd"},
  {event_kind::executor_added, "SparkListenerExecutorAdded"},
  {event_kind::executor_removed, "SparkListenerExecutorRemoved"},
};
} // namespace

const char* to_string(event_kind k) {
  for (auto& [kind, name] : kind_names)
    if (kind == k)
      return name;
  return "?";
}

std::optional<event_kind> event_kind_from(const std::string& s) {
  for (auto& [kind, name] : kind_names)
    if (s == name)
      return kind;
  return std::nullopt;
}

task_metrics metrics_from(const task_counters& c) {
  task_metrics m;
  m.records_read = c.input_records;
  m.bytes_read = c.input_bytes;
  m.records_written = c.output_records;
  m.bytes_written = c.output_bytes;
  m.shuffle_read_bytes = c.shuffle_read_bytes();
  m.shuffle_write_bytes = c.shuffle_write_bytes;
  m.run_time_us = c.run_time_us;
  m.cpu_time_ns = c.cpu_time_ns;
  m.deserialize_us = c.deserialize_us;
  m.result_bytes = c.result_bytes;
  m.shuffle_read_records = c.shuffle_read_records;
  m.shuffle_remote_bytes_read = c.shuffle_remote_bytes;
  m.shuffle_local_blocks = c.shuffle_local_blocks;
  m.shuffle_remote_blocks = c.shuffle_remote_blocks;
  m.shuffle_fetch_wait_us = c.shuffle_fetch_wait_us;
  m.shuffle_write_records = c.shuffle_write_records;
  return m;
}

const char* to_string(job_status s) {
  switch (s) {
    case job_status::running: return "RUNNING";
    case job_status::succeeded: return "SUCCEEDED";
    case job_status::failed: return "FAILED";
  }
  return "UNKNOWN";
}

const char* to_string(stage_status s) {
  switch (s) {
    case stage_status::active: return "ACTIVE";
    case stage_status::complete: return "COMPLETE";
    case stage_status::failed: return "FAILED";
  }
  return "UNKNOWN";
}

int64_t app_view::duration_ms() const {
  if (start_ms == 0)
    return 0;
  return (end_ms != 0 ? end_ms : now_ms()) - start_ms;
}

const job_view* snapshot::find_job(int64_t id) const {
  for (auto& j : jobs)
    if (j.id == id)
      return &j;
  return nullptr;
}

const stage_view* snapshot::find_stage(int64_t id) const {
  const stage_view* best = nullptr;
  for (auto& s : stages)
    if (s.id == id && (best == nullptr || s.attempt > best->attempt))
      best = &s;
  return best;
}

bool app_status::apply(event& e) {
  std::function<void(const event&)> listener;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!apply_locked(e))
      return false;
    listener = listener_;
  }
  if (listener)
    listener(e);
  return true;
}

void app_status::on_applied(std::function<void(const event&)> f) {
  std::lock_guard<std::mutex> guard{mtx_};
  listener_ = std::move(f);
}

int64_t app_status::stage_of(int64_t task) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = running_.find(task);
  return it == running_.end() ? -1 : it->second.stage;
}

stage_view& app_status::stage_for(int64_t stage, int32_t attempt) {
  auto& s = stages_[{stage, attempt}];
  s.id = stage;
  s.attempt = attempt;
  return s;
}

bool app_status::apply_locked(event& e) {
  if (e.time_ms == 0)
    e.time_ms = now_ms();
  switch (e.kind) {
    case event_kind::app_start:
      app_.id = e.app_id;
      app_.name = e.app_name;
      app_.user = e.user;
      app_.start_ms = e.time_ms;
      app_.environment = e.environment;
      break;
    case event_kind::app_end:
      app_.end_ms = e.time_ms;
      app_.completed = true;
      app_.ok = e.ok;
      app_.error = e.reason;
      break;
    case event_kind::job_start: {
      auto& j = jobs_[e.job];
      j.id = e.job;
      j.name = e.name;
      j.stage_ids = e.stage_ids;
      j.submission_ms = e.time_ms;
      for (auto& [key, s] : stages_)
        if (std::find(e.stage_ids.begin(), e.stage_ids.end(), key.first) != e.stage_ids.end()
            && std::find(s.job_ids.begin(), s.job_ids.end(), e.job) == s.job_ids.end())
          s.job_ids.push_back(e.job);
      break;
    }
    case event_kind::job_end: {
      auto& j = jobs_[e.job];
      j.id = e.job;
      j.completion_ms = e.time_ms;
      j.status = e.ok ? job_status::succeeded : job_status::failed;
      j.error = e.reason;
      // Stages the job ended with still active are over with it (a failed job
      // stops them; a result stage ends with its job's last result).
      for (auto& [key, s] : stages_)
        if (s.status == stage_status::active
            && std::find(j.stage_ids.begin(), j.stage_ids.end(), key.first) != j.stage_ids.end()) {
          s.status = e.ok ? stage_status::complete : stage_status::failed;
          s.completion_ms = e.time_ms;
          if (!e.ok)
            s.failure_reason = e.reason;
        }
      break;
    }
    case event_kind::stage_submitted: {
      auto& s = stage_for(e.stage, e.attempt);
      s.name = e.name;
      s.num_tasks = e.num_tasks;
      s.status = stage_status::active;
      s.submission_ms = e.time_ms;
      for (auto& [id, j] : jobs_)
        if (std::find(j.stage_ids.begin(), j.stage_ids.end(), e.stage) != j.stage_ids.end()
            && std::find(s.job_ids.begin(), s.job_ids.end(), id) == s.job_ids.end())
          s.job_ids.push_back(id);
      break;
    }
    case event_kind::stage_completed: {
      auto& s = stage_for(e.stage, e.attempt);
      s.status = e.ok ? stage_status::complete : stage_status::failed;
      s.completion_ms = e.time_ms;
      s.failure_reason = e.reason;
      break;
    }
    case event_kind::task_start: {
      // The task runs under the latest attempt of its stage.
      if (auto it = stages_.upper_bound({e.stage, INT32_MAX}); it != stages_.begin()) {
        --it;
        if (it->first.first == e.stage)
          e.attempt = std::max(e.attempt, it->first.second);
      }
      running_[e.task] = {e.stage, e.attempt, e.partition, e.executor, e.time_ms};
      ++stage_for(e.stage, e.attempt).active_tasks;
      if (auto x = executors_.find(e.executor); x != executors_.end())
        ++x->second.active_tasks;
      break;
    }
    case event_kind::task_end: {
      if (auto r = running_.find(e.task); r != running_.end()) {
        auto& t = r->second;
        if (e.stage < 0) {
          e.stage = t.stage;
          e.attempt = t.attempt;
        }
        if (e.partition < 0)
          e.partition = t.partition;
        if (e.executor.empty())
          e.executor = t.executor;
        if (e.metrics.duration_ms == 0)
          e.metrics.duration_ms = std::max<int64_t>(e.time_ms - t.start_ms, 0);
        auto& s = stage_for(t.stage, t.attempt);
        s.active_tasks = std::max(s.active_tasks - 1, 0);
        if (auto x = executors_.find(t.executor); x != executors_.end())
          x->second.active_tasks = std::max(x->second.active_tasks - 1, 0);
        running_.erase(r);
      } else {
        return false;  // a task this model never saw start, or a late duplicate
      }
      auto& s = stage_for(e.stage, e.attempt);
      bool success = e.reason.empty() || e.reason == "success";
      if (success)
        ++s.complete_tasks;
      else if (e.reason == "failed")
        ++s.failed_tasks;
      else
        ++s.killed_tasks;  // killed or lost: not the task's fault, as Spark counts it
      auto& m = e.metrics;
      s.executor_run_time_us += m.run_time_us;
      s.executor_run_time_ms = s.executor_run_time_us / 1000;
      s.executor_cpu_time_ns += m.cpu_time_ns;
      s.executor_deserialize_us += m.deserialize_us;
      s.result_size += m.result_bytes;
      s.input_bytes += m.bytes_read;
      s.input_records += m.records_read;
      s.output_bytes += m.bytes_written;
      s.output_records += m.records_written;
      s.shuffle_read_bytes += m.shuffle_read_bytes;
      s.shuffle_write_bytes += m.shuffle_write_bytes;
      s.shuffle_read_records += m.shuffle_read_records;
      s.shuffle_write_records += m.shuffle_write_records;
      s.shuffle_remote_bytes_read += m.shuffle_remote_bytes_read;
      s.shuffle_local_bytes_read += m.shuffle_read_bytes - m.shuffle_remote_bytes_read;
      s.shuffle_remote_blocks += m.shuffle_remote_blocks;
      s.shuffle_local_blocks += m.shuffle_local_blocks;
      s.shuffle_fetch_wait_us += m.shuffle_fetch_wait_us;
      if (auto x = executors_.find(e.executor); x != executors_.end()) {
        auto& ex = x->second;
        if (success)
          ++ex.completed_tasks;
        else if (e.reason == "failed")
          ++ex.failed_tasks;
        ex.total_duration_ms += m.duration_ms;
        ex.input_bytes += m.bytes_read;
        ex.shuffle_read_bytes += m.shuffle_read_bytes;
        ex.shuffle_write_bytes += m.shuffle_write_bytes;
      }
      break;
    }
    case event_kind::executor_added: {
      auto& x = executors_[e.executor];
      x.id = e.executor;
      x.host_port = e.host_port;
      x.total_cores = e.cores;
      x.active = true;
      x.add_ms = e.time_ms;
      break;
    }
    case event_kind::executor_removed: {
      auto x = executors_.find(e.executor);
      if (x == executors_.end())
        break;
      x->second.active = false;
      x->second.remove_ms = e.time_ms;
      x->second.remove_reason = e.reason;
      break;
    }
  }
  return true;
}

snapshot app_status::snap() const {
  std::lock_guard<std::mutex> guard{mtx_};
  snapshot out;
  out.app = app_;
  for (auto it = stages_.rbegin(); it != stages_.rend(); ++it)
    out.stages.push_back(it->second);
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) {
    auto j = it->second;
    // A job's tasks are those of the latest attempt of each of its stages.
    for (auto sid : j.stage_ids) {
      const stage_view* s = out.find_stage(sid);
      if (s == nullptr)
        continue;
      ++j.num_stages;
      j.num_tasks += s->num_tasks;
      j.active_tasks += s->active_tasks;
      j.completed_tasks += s->complete_tasks;
      j.failed_tasks += s->failed_tasks;
      j.killed_tasks += s->killed_tasks;
      if (s->status == stage_status::complete)
        ++j.completed_stages;
      else if (s->status == stage_status::failed)
        ++j.failed_stages;
      else
        ++j.active_stages;
    }
    out.jobs.push_back(std::move(j));
  }
  for (auto& [id, x] : executors_)
    out.executors.push_back(x);
  return out;
}

} // namespace troupe::status
