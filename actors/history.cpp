#include "actors/history.hpp"

#include "actors/signals.hpp"
#include "runtime/driver_view.hpp"
#include "runtime/event_log.hpp"
#include "runtime/http_options.hpp"
#include "runtime/log.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>

namespace troupe {

namespace {

std::string seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f s", static_cast<double>(ms) / 1000);
  return buf;
}

int64_t span(int64_t from, int64_t to) {
  return from == 0 || to == 0 ? 0 : to - from;
}

const char* app_status_text(const status::snapshot& s) {
  return s.app.completed ? (s.app.ok ? "FINISHED" : "FAILED") : "RUNNING";
}

int print_apps(const std::string& dir) {
  std::vector<std::string> errors;
  auto logs = status::scan_logs(dir, errors);
  for (auto& e : errors)
    std::cerr << "error: " << e << std::endl;
  if (logs.empty() && !errors.empty() && !std::filesystem::is_directory(dir))
    return 1;
  std::printf("%-28s %-16s %-26s %12s  %s\n", "ID", "NAME", "START", "DURATION", "STATUS");
  for (auto& l : logs) {
    auto& a = l.snap.app;
    std::printf("%-28s %-16s %-26s %12s  %s\n", a.id.c_str(), a.name.c_str(), status::spark_time(a.start_ms).c_str(),
                seconds(a.duration_ms()).c_str(), app_status_text(l.snap));
  }
  return errors.empty() ? 0 : 1;
}

int print_app(const std::string& dir, const std::string& app) {
  auto path = status::find_log(dir, app);
  if (path.empty()) {
    std::cerr << "error: no event log of application '" << app << "' in " << dir << std::endl;
    return 1;
  }
  status::app_status model;
  std::string error;
  if (!status::replay_file(path, model, error)) {
    std::cerr << "error: " << error << std::endl;
    return 1;
  }
  auto s = model.snap();
  std::printf("application %s (%s) %s, %s\n", s.app.id.c_str(), s.app.name.c_str(), app_status_text(s),
              seconds(s.app.duration_ms()).c_str());
  if (!s.app.error.empty())
    std::printf("  error: %s\n", s.app.error.c_str());
  std::printf("\n%-6s %-12s %-10s %8s %12s  %s\n", "JOB", "NAME", "STATUS", "TASKS", "DURATION", "STAGES");
  for (auto it = s.jobs.rbegin(); it != s.jobs.rend(); ++it) {
    std::string stages;
    for (auto id : it->stage_ids)
      stages += (stages.empty() ? "" : ",") + std::to_string(id);
    std::printf("%-6lld %-12s %-10s %8s %12s  %s\n", static_cast<long long>(it->id), it->name.c_str(),
                status::to_string(it->status),
                (std::to_string(it->completed_tasks) + "/" + std::to_string(it->num_tasks)).c_str(),
                seconds(span(it->submission_ms, it->completion_ms)).c_str(), stages.c_str());
  }
  // Input and output in records, shuffles as bytes/records (what the executors counted).
  std::printf("\n%-6s %-8s %-24s %-9s %8s %6s %12s %12s %12s %20s %20s\n", "STAGE", "ATTEMPT", "NAME", "STATUS",
              "TASKS", "FAILED", "DURATION", "RECORDS IN", "RECORDS OUT", "SHUFFLE READ B/REC", "SHUFFLE WRITE B/REC");
  auto io = [](int64_t bytes, int64_t records) { return std::to_string(bytes) + "/" + std::to_string(records); };
  for (auto it = s.stages.rbegin(); it != s.stages.rend(); ++it)
    std::printf("%-6lld %-8d %-24s %-9s %8s %6d %12s %12lld %12lld %20s %20s\n", static_cast<long long>(it->id),
                it->attempt, it->name.c_str(), status::to_string(it->status),
                (std::to_string(it->complete_tasks) + "/" + std::to_string(it->num_tasks)).c_str(), it->failed_tasks,
                seconds(span(it->submission_ms, it->completion_ms)).c_str(),
                static_cast<long long>(it->input_records), static_cast<long long>(it->output_records),
                io(it->shuffle_read_bytes, it->shuffle_read_records).c_str(),
                io(it->shuffle_write_bytes, it->shuffle_write_records).c_str());
  return 0;
}

} // namespace

int run_history(const std::string& dir, const std::string& app) {
  return app.empty() ? print_apps(dir) : print_app(dir, app);
}

int run_history_server(const settings& s, const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::cerr << "error: --dir " << dir << " is not a directory" << std::endl;
    return 1;
  }
  status::snapshot_source src;
  // Read again on every request: an application that ends meanwhile shows as finished.
  src.all = [dir] {
    std::vector<std::string> errors;
    std::vector<status::snapshot> out;
    for (auto& l : status::scan_logs(dir, errors))
      out.push_back(std::move(l.snap));
    for (auto& e : errors)
      log::master()->warn("history: {}", e);
    return out;
  };
  src.one = [dir](const std::string& app, status::snapshot& out) {
    auto path = status::find_log(dir, app);
    if (path.empty())
      return false;
    status::app_status model;
    std::string error;
    if (!status::replay_file(path, model, error)) {
      log::master()->warn("history: {}", error);
      return false;
    }
    out = model.snap();
    return true;
  };
  http::server srv;
  status::add_status_routes(srv, std::move(src), true);
  http::server_options opts;
  std::string error;
  if (!http_options_from(s, "history", static_cast<uint16_t>(s.port), 16, opts, error)
      || !srv.start(opts, error)) {
    std::cerr << "error: the history server cannot start: " << error << std::endl;
    return 1;
  }
  std::cout << "history server at " << srv.url() << " serving " << dir << std::endl;
  std::mutex mtx;
  std::condition_variable cv;
  bool stop = false;
  int code = run_with_signals(
    [&] {
      std::unique_lock<std::mutex> lock{mtx};
      cv.wait(lock, [&] { return stop; });
      return 0;
    },
    [&](int) {
      {
        std::lock_guard<std::mutex> guard{mtx};
        stop = true;
      }
      cv.notify_all();
    },
    std::chrono::milliseconds(2000));
  srv.stop();
  return code;
}

} // namespace troupe
