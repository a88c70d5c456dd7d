#include "runtime/event_log.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace troupe::status {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string suffix = ".inprogress";

json metrics_json(const task_metrics& m) {
  return {{"Duration", m.duration_ms},           {"Records Read", m.records_read},
          {"Bytes Read", m.bytes_read},          {"Records Written", m.records_written},
          {"Bytes Written", m.bytes_written},    {"Shuffle Read Bytes", m.shuffle_read_bytes},
          {"Shuffle Write Bytes", m.shuffle_write_bytes},
          // Measured by the executor; times in microseconds (a no-op task takes a few).
          {"Executor Run Time Us", m.run_time_us},
          {"Executor CPU Time", m.cpu_time_ns},
          {"Executor Deserialize Time Us", m.deserialize_us},
          {"Result Size", m.result_bytes},
          {"Shuffle Records Read", m.shuffle_read_records},
          {"Shuffle Remote Bytes Read", m.shuffle_remote_bytes_read},
          {"Shuffle Local Blocks Fetched", m.shuffle_local_blocks},
          {"Shuffle Remote Blocks Fetched", m.shuffle_remote_blocks},
          {"Shuffle Fetch Wait Time Us", m.shuffle_fetch_wait_us},
          {"Shuffle Records Written", m.shuffle_write_records}};
}

template <class T>
void get(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null())
    it->get_to(out);
}

} // namespace

std::string to_json_line(const event& e) {
  json j;
  j["Event"] = to_string(e.kind);
  j["Timestamp"] = e.time_ms;
  switch (e.kind) {
    case event_kind::app_start:
      j["App ID"] = e.app_id;
      j["App Name"] = e.app_name;
      j["User"] = e.user;
      j["Environment"] = e.environment;
      break;
    case event_kind::app_end:
      j["Succeeded"] = e.ok;
      j["Reason"] = e.reason;
      break;
    case event_kind::job_start:
      j["Job ID"] = e.job;
      j["Job Name"] = e.name;
      j["Stage IDs"] = e.stage_ids;
      break;
    case event_kind::job_end:
      j["Job ID"] = e.job;
      j["Succeeded"] = e.ok;
      j["Reason"] = e.reason;
      break;
    case event_kind::stage_submitted:
      j["Stage ID"] = e.stage;
      j["Stage Attempt ID"] = e.attempt;
      j["Stage Name"] = e.name;
      j["Number of Tasks"] = e.num_tasks;
      break;
    case event_kind::stage_completed:
      j["Stage ID"] = e.stage;
      j["Stage Attempt ID"] = e.attempt;
      j["Succeeded"] = e.ok;
      j["Reason"] = e.reason;
      break;
    case event_kind::task_start:
    case event_kind::task_end:
      j["Task ID"] = e.task;
      j["Stage ID"] = e.stage;
      j["Stage Attempt ID"] = e.attempt;
      j["Partition"] = e.partition;
      j["Executor ID"] = e.executor;
      if (e.kind == event_kind::task_end) {
        j["Task End Reason"] = e.reason.empty() ? std::string{"success"} : e.reason;
        j["Task Metrics"] = metrics_json(e.metrics);
      }
      break;
    case event_kind::executor_added:
      j["Executor ID"] = e.executor;
      j["Host Port"] = e.host_port;
      j["Total Cores"] = e.cores;
      break;
    case event_kind::executor_removed:
      j["Executor ID"] = e.executor;
      j["Removed Reason"] = e.reason;
      break;
  }
  return j.dump();
}

bool parse_line(const std::string& line, event& out, std::string& error) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& ex) {
    error = std::string("not JSON (") + ex.what() + ")";
    return false;
  }
  if (!j.is_object()) {
    error = "not a JSON object";
    return false;
  }
  auto name = j.find("Event");
  if (name == j.end() || !name->is_string()) {
    error = "no \"Event\" name";
    return false;
  }
  auto kind = event_kind_from(name->get<std::string>());
  if (!kind) {
    error = "unknown event \"" + name->get<std::string>() + "\"";
    return false;
  }
  event e;
  e.kind = *kind;
  try {
    get(j, "Timestamp", e.time_ms);
    get(j, "App ID", e.app_id);
    get(j, "App Name", e.app_name);
    get(j, "User", e.user);
    get(j, "Environment", e.environment);
    get(j, "Job ID", e.job);
    get(j, "Job Name", e.name);
    get(j, "Stage IDs", e.stage_ids);
    get(j, "Stage ID", e.stage);
    get(j, "Stage Attempt ID", e.attempt);
    get(j, "Stage Name", e.name);
    get(j, "Number of Tasks", e.num_tasks);
    get(j, "Task ID", e.task);
    get(j, "Partition", e.partition);
    get(j, "Executor ID", e.executor);
    get(j, "Host Port", e.host_port);
    get(j, "Total Cores", e.cores);
    get(j, "Succeeded", e.ok);
    get(j, "Reason", e.reason);
    get(j, "Removed Reason", e.reason);
    get(j, "Task End Reason", e.reason);
    if (auto m = j.find("Task Metrics"); m != j.end() && m->is_object()) {
      get(*m, "Duration", e.metrics.duration_ms);
      get(*m, "Records Read", e.metrics.records_read);
      get(*m, "Bytes Read", e.metrics.bytes_read);
      get(*m, "Records Written", e.metrics.records_written);
      get(*m, "Bytes Written", e.metrics.bytes_written);
      get(*m, "Shuffle Read Bytes", e.metrics.shuffle_read_bytes);
      get(*m, "Shuffle Write Bytes", e.metrics.shuffle_write_bytes);
      get(*m, "Executor CPU Time", e.metrics.cpu_time_ns);
      get(*m, "Executor Deserialize Time Us", e.metrics.deserialize_us);
      get(*m, "Result Size", e.metrics.result_bytes);
      get(*m, "Shuffle Records Read", e.metrics.shuffle_read_records);
      get(*m, "Shuffle Remote Bytes Read", e.metrics.shuffle_remote_bytes_read);
      get(*m, "Shuffle Local Blocks Fetched", e.metrics.shuffle_local_blocks);
      get(*m, "Shuffle Remote Blocks Fetched", e.metrics.shuffle_remote_blocks);
      get(*m, "Shuffle Fetch Wait Time Us", e.metrics.shuffle_fetch_wait_us);
      get(*m, "Shuffle Records Written", e.metrics.shuffle_write_records);
      // A log written before executors measured their run time: the duration stands in.
      if (m->contains("Executor Run Time Us"))
        get(*m, "Executor Run Time Us", e.metrics.run_time_us);
      else
        e.metrics.run_time_us = e.metrics.duration_ms * 1000;
    }
  } catch (const json::exception& ex) {
    error = std::string("a field has the wrong type (") + ex.what() + ")";
    return false;
  }
  bool needs_job = e.kind == event_kind::job_start || e.kind == event_kind::job_end;
  bool needs_stage = e.kind == event_kind::stage_submitted || e.kind == event_kind::stage_completed;
  bool needs_task = e.kind == event_kind::task_start || e.kind == event_kind::task_end;
  bool needs_exec = e.kind == event_kind::executor_added || e.kind == event_kind::executor_removed;
  if ((needs_job && e.job < 0) || (needs_stage && e.stage < 0) || (needs_task && e.task < 0)
      || (needs_exec && e.executor.empty()) || (e.kind == event_kind::app_start && e.app_id.empty())) {
    error = std::string(to_string(e.kind)) + " without its id";
    return false;
  }
  out = std::move(e);
  return true;
}

// -- writer -----------------------------------------------------------------------

event_log_writer::~event_log_writer() {
  close();
}

bool event_log_writer::open(const std::string& dir, const std::string& app, std::string& error) {
  std::lock_guard<std::mutex> guard{mtx_};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot create eventlog.dir " + dir + ": " + ec.message();
    return false;
  }
  final_path_ = (fs::path(dir) / app).string();
  path_ = final_path_ + suffix;
  file_ = std::fopen(path_.c_str(), "w");
  if (file_ == nullptr) {
    error = "cannot write the event log " + path_ + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool event_log_writer::is_open() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return file_ != nullptr;
}

void event_log_writer::write(const event& e) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (file_ == nullptr)
    return;
  auto line = to_json_line(e);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

void event_log_writer::close() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (file_ == nullptr)
    return;
  std::fclose(file_);
  file_ = nullptr;
  std::error_code ec;
  fs::rename(path_, final_path_, ec);
  if (!ec)
    path_ = final_path_;
}

std::string event_log_writer::path() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return path_;
}

// -- reader -----------------------------------------------------------------------

bool replay_file(const std::string& path, app_status& into, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read it";
    return false;
  }
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bool in_progress = path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  size_t pos = 0, line_no = 0;
  while (pos < content.size()) {
    auto nl = content.find('\n', pos);
    bool last_cut = nl == std::string::npos;
    auto line = content.substr(pos, last_cut ? std::string::npos : nl - pos);
    pos = last_cut ? content.size() : nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    event e;
    std::string why;
    if (!parse_line(line, e, why)) {
      if (last_cut && in_progress)
        break;  // its writer is in the middle of this line
      error = path + ":" + std::to_string(line_no) + ": " + why;
      return false;
    }
    into.apply(e);
  }
  return true;
}

std::vector<log_entry> scan_logs(const std::string& dir, std::vector<std::string>& errors) {
  std::vector<log_entry> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    errors.push_back(dir + ": cannot list it: " + ec.message());
    return out;
  }
  std::vector<std::string> paths;
  for (auto& entry : it)
    if (entry.is_regular_file(ec))
      paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());
  for (auto& p : paths) {
    app_status model;
    std::string error;
    if (!replay_file(p, model, error)) {
      errors.push_back(error);
      continue;
    }
    log_entry e;
    e.path = p;
    e.in_progress = p.size() > suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0;
    e.snap = model.snap();
    if (e.snap.app.id.empty()) {
      errors.push_back(p + ": no SparkListenerApplicationStart event");
      continue;
    }
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const log_entry& a, const log_entry& b) { return a.snap.app.start_ms > b.snap.app.start_ms; });
  return out;
}

std::string find_log(const std::string& dir, const std::string& app) {
  if (app.empty() || app.find('/') != std::string::npos || app.find("..") != std::string::npos)
    return "";
  std::error_code ec;
  auto base = fs::path(dir) / app;
  if (fs::is_regular_file(base, ec))
    return base.string();
  auto running = base.string() + suffix;
  if (fs::is_regular_file(running, ec))
    return running;
  return "";
}

} // namespace troupe::status
