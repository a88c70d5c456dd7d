#include "runtime/driver_view.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

namespace troupe::status {

using nlohmann::json;

std::string spark_time(int64_t ms) {
  if (ms <= 0)
    return "";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof(out), "%s.%03dGMT", buf, static_cast<int>(ms % 1000));
  return out;
}

namespace {

json app_entry(const snapshot& s) {
  auto& a = s.app;
  auto last = a.end_ms != 0 ? a.end_ms : now_ms();
  json attempt = {{"startTime", spark_time(a.start_ms)},
                  {"endTime", a.end_ms != 0 ? spark_time(a.end_ms) : spark_time(-1)},
                  {"lastUpdated", spark_time(last)},
                  {"duration", a.duration_ms()},
                  {"sparkUser", a.user},
                  {"completed", a.completed},
                  {"appSparkVersion", "troupe"},
                  {"startTimeEpoch", a.start_ms},
                  {"endTimeEpoch", a.end_ms != 0 ? a.end_ms : -1},
                  {"lastUpdatedEpoch", last}};
  return {{"id", a.id}, {"name", a.name}, {"attempts", json::array({attempt})}};
}

json job_entry(const job_view& j) {
  json out = {{"jobId", j.id},
              {"name", j.name},
              {"submissionTime", spark_time(j.submission_ms)},
              {"stageIds", j.stage_ids},
              {"status", to_string(j.status)},
              {"numTasks", j.num_tasks},
              {"numActiveTasks", j.active_tasks},
              {"numCompletedTasks", j.completed_tasks},
              {"numSkippedTasks", 0},
              {"numFailedTasks", j.failed_tasks},
              {"numKilledTasks", j.killed_tasks},
              {"numActiveStages", j.active_stages},
              {"numCompletedStages", j.completed_stages},
              {"numSkippedStages", 0},
              {"numFailedStages", j.failed_stages}};
  if (j.completion_ms != 0)
    out["completionTime"] = spark_time(j.completion_ms);
  if (!j.error.empty())
    out["failureReason"] = j.error;
  return out;
}

json stage_entry(const stage_view& s) {
  json out = {{"status", to_string(s.status)},
              {"stageId", s.id},
              {"attemptId", s.attempt},
              {"name", s.name},
              {"jobIds", s.job_ids},
              {"numTasks", s.num_tasks},
              {"numActiveTasks", s.active_tasks},
              {"numCompleteTasks", s.complete_tasks},
              {"numFailedTasks", s.failed_tasks},
              {"numKilledTasks", s.killed_tasks},
              {"executorRunTime", s.executor_run_time_ms},
              {"executorCpuTime", s.executor_cpu_time_ns},
              {"executorDeserializeTime", s.executor_deserialize_us / 1000},
              {"resultSize", s.result_size},
              {"submissionTime", spark_time(s.submission_ms)},
              {"inputBytes", s.input_bytes},
              {"inputRecords", s.input_records},
              {"outputBytes", s.output_bytes},
              {"outputRecords", s.output_records},
              {"shuffleReadBytes", s.shuffle_read_bytes},
              {"shuffleReadRecords", s.shuffle_read_records},
              {"shuffleRemoteBytesRead", s.shuffle_remote_bytes_read},
              {"shuffleLocalBytesRead", s.shuffle_local_bytes_read},
              {"shuffleRemoteBlocksFetched", s.shuffle_remote_blocks},
              {"shuffleLocalBlocksFetched", s.shuffle_local_blocks},
              {"shuffleFetchWaitTime", s.shuffle_fetch_wait_us / 1000},
              {"shuffleWriteBytes", s.shuffle_write_bytes},
              {"shuffleWriteRecords", s.shuffle_write_records}};
  if (s.completion_ms != 0)
    out["completionTime"] = spark_time(s.completion_ms);
  if (!s.failure_reason.empty())
    out["failureReason"] = s.failure_reason;
  return out;
}

json executor_entry(const executor_view& x) {
  json out = {{"id", x.id},
              {"hostPort", x.host_port},
              {"isActive", x.active},
              {"totalCores", x.total_cores},
              {"maxTasks", x.total_cores},
              {"activeTasks", x.active_tasks},
              {"completedTasks", x.completed_tasks},
              {"failedTasks", x.failed_tasks},
              {"totalTasks", x.active_tasks + x.completed_tasks + x.failed_tasks},
              {"totalDuration", x.total_duration_ms},
              {"totalInputBytes", x.input_bytes},
              {"totalShuffleRead", x.shuffle_read_bytes},
              {"totalShuffleWrite", x.shuffle_write_bytes},
              {"addTime", spark_time(x.add_ms)}};
  if (x.remove_ms != 0) {
    out["removeTime"] = spark_time(x.remove_ms);
    out["removeReason"] = x.remove_reason;
  }
  return out;
}

} // namespace

std::string applications_json(const std::vector<snapshot>& apps) {
  json out = json::array();
  for (auto& s : apps)
    out.push_back(app_entry(s));
  return out.dump();
}

std::string application_json(const snapshot& s) {
  return app_entry(s).dump();
}

std::string jobs_json(const snapshot& s) {
  json out = json::array();
  for (auto& j : s.jobs)
    out.push_back(job_entry(j));
  return out.dump();
}

std::string job_json(const job_view& j) {
  return job_entry(j).dump();
}

std::string stages_json(const snapshot& s) {
  json out = json::array();
  for (auto& st : s.stages)
    out.push_back(stage_entry(st));
  return out.dump();
}

std::string stage_json(const snapshot& s, int64_t id) {
  json out = json::array();
  for (auto& st : s.stages)
    if (st.id == id)
      out.push_back(stage_entry(st));
  return out.dump();
}

std::string executors_json(const snapshot& s) {
  json out = json::array();
  for (auto& x : s.executors)
    out.push_back(executor_entry(x));
  return out.dump();
}

} // namespace troupe::status
