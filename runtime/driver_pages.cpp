// The HTML pages of the driver UI and the history server (declared in
// runtime/driver_view.hpp), rendered from snapshots.
#include "runtime/driver_view.hpp"
#include "runtime/http_server.hpp"

#include <cstdio>
#include <sstream>

namespace troupe::status {

namespace {

using http::html_escape;

std::string duration_text(int64_t ms) {
  char buf[32];
  if (ms < 1000)
    std::snprintf(buf, sizeof(buf), "%lld ms", static_cast<long long>(ms));
  else if (ms < 60'000)
    std::snprintf(buf, sizeof(buf), "%.1f s", static_cast<double>(ms) / 1000);
  else if (ms < 3'600'000)
    std::snprintf(buf, sizeof(buf), "%.1f min", static_cast<double>(ms) / 60'000);
  else
    std::snprintf(buf, sizeof(buf), "%.1f h", static_cast<double>(ms) / 3'600'000);
  return buf;
}

std::string bytes_text(int64_t b) {
  char buf[32];
  if (b < 1024)
    std::snprintf(buf, sizeof(buf), "%lld B", static_cast<long long>(b));
  else if (b < (1 << 20))
    std::snprintf(buf, sizeof(buf), "%.1f KiB", static_cast<double>(b) / 1024);
  else if (b < (1LL << 30))
    std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(b) / (1 << 20));
  else
    std::snprintf(buf, sizeof(buf), "%.1f GiB", static_cast<double>(b) / (1LL << 30));
  return buf;
}

/// Bytes and records of one stage column, as "1.5 KiB / 40 records" (the row count alone when bytes are unknown).
std::string io_text(int64_t bytes, int64_t records) {
  if (bytes == 0 && records == 0)
    return "";
  std::string out = bytes > 0 ? bytes_text(bytes) + " / " : std::string{};
  return out + std::to_string(records) + " records";
}

int64_t span(int64_t from, int64_t to) {
  if (from == 0)
    return 0;
  return (to != 0 ? to : now_ms()) - from;
}

/// Spark's progress bar: completed (and active) share of the tasks, with "done + active / total".
std::string progress_bar(int32_t done, int32_t active, int32_t total, int32_t failed) {
  double d = total > 0 ? 100.0 * done / total : 0, a = total > 0 ? 100.0 * active / total : 0;
  std::ostringstream o;
  o << "<div class=\"progress\"><span class=\"label\">" << done << "/" << total;
  if (active > 0)
    o << " (" << active << " running)";
  if (failed > 0)
    o << " (" << failed << " failed)";
  o << "</span><div class=\"done\" style=\"width:" << d << "%\"></div><div class=\"active\" style=\"width:" << a
    << "%\"></div></div>";
  return o.str();
}

std::string page(const snapshot& s, const std::string& base, const std::string& tab, const std::string& body) {
  std::ostringstream o;
  o << "<!DOCTYPE html><html><head><meta charset=\"utf-8\">";
  if (!s.app.completed)
    o << "<meta http-equiv=\"refresh\" content=\"2\">";
  o << "<title>" << html_escape(s.app.name) << " - " << tab << "</title><style>"
    << "body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse;margin-bottom:1.5em}"
    << "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#eee}"
    << "nav a{margin-right:1.2em}nav a.on{font-weight:bold}"
    << ".progress{position:relative;width:220px;height:1.2em;background:#eee;border:1px solid #aaa}"
    << ".progress .done{position:absolute;left:0;top:0;bottom:0;background:#8c8}"
    << ".progress .active{position:relative;display:inline-block;height:100%;background:#acf}"
    << ".progress .label{position:absolute;width:100%;text-align:center;z-index:1;font-size:.85em}"
    << "</style></head><body><nav>";
  for (auto t : {"jobs", "stages", "executors", "environment"}) {
    o << "<a href=\"" << base << "/" << t << "/\"" << (tab == t ? " class=\"on\"" : "") << ">" << t << "</a>";
  }
  o << "</nav><h2>" << html_escape(s.app.name) << " <small>" << html_escape(s.app.id) << "</small></h2><p>"
    << (s.app.completed ? (s.app.ok ? "finished" : "failed") : "running") << ", "
    << duration_text(s.app.duration_ms()) << "</p>" << body << "</body></html>";
  return o.str();
}

} // namespace

std::string jobs_html(const snapshot& s, const std::string& base) {
  std::ostringstream o;
  o << "<h3>Jobs (" << s.jobs.size() << ")</h3><table id=\"jobs\"><tr><th>Job Id</th><th>Description</th>"
    << "<th>Status</th><th>Submitted</th><th>Duration</th><th>Stages: Succeeded/Total</th>"
    << "<th>Tasks (for all stages): Succeeded/Total</th></tr>";
  for (auto& j : s.jobs) {
    o << "<tr class=\"job\" data-status=\"" << to_string(j.status) << "\"><td>" << j.id << "</td><td>"
      << html_escape(j.name) << "</td><td>" << to_string(j.status);
    if (!j.error.empty())
      o << ": " << html_escape(j.error);
    o << "</td><td>" << spark_time(j.submission_ms) << "</td><td>"
      << duration_text(span(j.submission_ms, j.completion_ms)) << "</td><td>" << j.completed_stages << "/"
      << j.num_stages << "</td><td>" << progress_bar(j.completed_tasks, j.active_tasks, j.num_tasks, j.failed_tasks)
      << "</td></tr>";
  }
  o << "</table>";
  return page(s, base, "jobs", o.str());
}

std::string stages_html(const snapshot& s, const std::string& base) {
  std::ostringstream o;
  o << "<h3>Stages (" << s.stages.size() << ")</h3><table id=\"stages\"><tr><th>Stage Id</th><th>Attempt</th>"
    << "<th>Description</th><th>Status</th><th>Submitted</th><th>Duration</th><th>Tasks: Succeeded/Total</th>"
    << "<th>Active</th><th>Failed</th><th>Run Time</th><th>Input</th><th>Output</th><th>Shuffle Read</th>"
    << "<th>Shuffle Write</th></tr>";
  for (auto& st : s.stages) {
    o << "<tr class=\"stage\" data-status=\"" << to_string(st.status) << "\"><td>" << st.id << "</td><td>"
      << st.attempt << "</td><td>" << html_escape(st.name) << "</td><td>" << to_string(st.status) << "</td><td>"
      << spark_time(st.submission_ms) << "</td><td>" << duration_text(span(st.submission_ms, st.completion_ms))
      << "</td><td>" << progress_bar(st.complete_tasks, st.active_tasks, st.num_tasks, st.failed_tasks)
      << "</td><td>" << st.active_tasks << "</td><td>" << st.failed_tasks << "</td><td>"
      << duration_text(st.executor_run_time_ms) << "</td><td class=\"input\">"
      << io_text(st.input_bytes, st.input_records) << "</td><td class=\"output\">"
      << io_text(st.output_bytes, st.output_records) << "</td><td class=\"shuffle-read\">"
      << io_text(st.shuffle_read_bytes, st.shuffle_read_records) << "</td><td class=\"shuffle-write\">"
      << io_text(st.shuffle_write_bytes, st.shuffle_write_records) << "</td></tr>";
  }
  o << "</table>";
  return page(s, base, "stages", o.str());
}

std::string executors_html(const snapshot& s, const std::string& base) {
  std::ostringstream o;
  o << "<h3>Executors (" << s.executors.size() << ")</h3><table id=\"executors\"><tr><th>Executor ID</th>"
    << "<th>Address</th><th>Status</th><th>Cores</th><th>Active Tasks</th><th>Complete Tasks</th>"
    << "<th>Failed Tasks</th><th>Task Time</th><th>Input</th><th>Shuffle Read</th><th>Shuffle Write</th></tr>";
  for (auto& x : s.executors) {
    o << "<tr class=\"executor\"><td>" << html_escape(x.id) << "</td><td>" << html_escape(x.host_port)
      << "</td><td>" << (x.active ? "Active" : "Dead: " + html_escape(x.remove_reason)) << "</td><td>"
      << x.total_cores << "</td><td>" << x.active_tasks << "</td><td>" << x.completed_tasks << "</td><td>"
      << x.failed_tasks << "</td><td>" << duration_text(x.total_duration_ms) << "</td><td>"
      << bytes_text(x.input_bytes) << "</td><td>" << bytes_text(x.shuffle_read_bytes) << "</td><td>"
      << bytes_text(x.shuffle_write_bytes) << "</td></tr>";
  }
  o << "</table>";
  return page(s, base, "executors", o.str());
}

std::string environment_html(const snapshot& s, const std::string& base) {
  std::ostringstream o;
  o << "<h3>Settings</h3><table id=\"environment\"><tr><th>Name</th><th>Value</th></tr>";
  for (auto& [k, v] : s.app.environment)
    o << "<tr><td>" << html_escape(k) << "</td><td>" << html_escape(v) << "</td></tr>";
  o << "</table>";
  return page(s, base, "environment", o.str());
}

std::string history_html(const std::vector<snapshot>& apps, const std::vector<std::string>& errors) {
  std::ostringstream o;
  o << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>History Server</title><style>"
    << "body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse}"
    << "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#eee}</style></head><body>"
    << "<h2>History Server</h2><table id=\"applications\"><tr><th>App ID</th><th>App Name</th><th>Started</th>"
    << "<th>Completed</th><th>Duration</th><th>Status</th></tr>";
  for (auto& s : apps) {
    auto id = html_escape(s.app.id);
    o << "<tr class=\"app\"><td><a href=\"/history/" << id << "/jobs/\">" << id << "</a></td><td>"
      << html_escape(s.app.name) << "</td><td>" << spark_time(s.app.start_ms) << "</td><td>"
      << spark_time(s.app.end_ms) << "</td><td>" << duration_text(s.app.duration_ms()) << "</td><td>"
      << (s.app.completed ? (s.app.ok ? "finished" : "failed") : "in progress") << "</td></tr>";
  }
  o << "</table>";
  if (!errors.empty()) {
    o << "<h3>Unreadable event logs</h3><ul>";
    for (auto& e : errors)
      o << "<li>" << html_escape(e) << "</li>";
    o << "</ul>";
  }
  o << "</body></html>";
  return o.str();
}

} // namespace troupe::status
