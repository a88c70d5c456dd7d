#include "runtime/master_view.hpp"

#include "runtime/http_server.hpp"

#include <nlohmann/json.hpp>

#include <ctime>
#include <iomanip>
#include <sstream>

namespace troupe::view {

namespace {

using json = nlohmann::json;
using http::html_escape;

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

int64_t duration_of(int64_t start, int64_t end, int64_t now) {
  if (start <= 0)
    return 0;
  auto stop = end > 0 ? end : now;
  return stop > start ? stop - start : 0;
}

const driver_row* find_driver(const master_snapshot& s, const std::string& id) {
  for (auto& d : s.drivers)
    if (d.id == id)
      return &d;
  return nullptr;
}

const app_row* find_app(const master_snapshot& s, const std::string& id) {
  for (auto& a : s.apps)
    if (a.id == id)
      return &a;
  return nullptr;
}

json worker_json(const worker_row& w) {
  return {{"id", w.id},
          {"host", w.host},
          {"port", w.port},
          {"webuiaddress", ""},  // workers serve no UI of their own
          {"cores", w.cores},
          {"coresused", w.cores_used},
          {"coresfree", w.cores - w.cores_used},
          {"memory", w.memory_mb},
          {"memoryused", w.memory_used_mb},
          {"memoryfree", w.memory_mb - w.memory_used_mb},
          {"state", upper(w.state)},
          {"lastheartbeat", w.last_heartbeat_ms}};
}

json app_json(const app_row& a, const master_snapshot& s) {
  auto place = place_of(a, s);
  json execs = json::array();
  for (auto& e : a.executors)
    execs.push_back({{"id", e.id}, {"worker", e.worker}, {"host", e.host}, {"cores", e.cores},
                     {"state", upper(e.state)}});
  return {{"id", a.id},
          {"starttime", a.start_ms},
          {"name", a.name},
          {"cores", a.cores},
          {"user", ""},
          {"memoryperexecutor", a.executor_memory_mb},
          {"memoryperslave", a.executor_memory_mb},  // Spark's older name, still read by scripts
          {"submitdate", format_time(a.start_ms)},
          {"state", upper(a.state)},
          {"duration", duration_of(a.start_ms, a.end_ms, s.now_ms)},
          {"endtime", a.end_ms},
          {"uiurl", a.ui_url},
          {"executors", execs},
          {"ranon", a.ran_on},  // troupe's: workers given its executors, ended ones too
          {"driver", {{"deployMode", place.deploy_mode}, {"host", place.host}, {"workerId", place.worker_id}}}};
}

json driver_json(const driver_row& d) {
  return {{"id", d.id},
          {"starttime", d.start_ms},
          {"state", upper(d.state)},
          {"cores", d.cores},
          {"memory", d.memory_mb},
          {"submitdate", format_time(d.start_ms)},
          {"worker", d.worker},
          {"mainclass", d.app},
          {"supervise", d.supervise},
          {"message", d.message}};
}

// -- HTML ------------------------------------------------------------------------

const char* style() {
  return "<style>body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin-bottom:"
         "1.5em;width:100%}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}"
         "th{background:#eef}h1{font-size:22px}h2{font-size:18px;margin-top:1.2em}.ALIVE,.RUNNING,.FINISHED{color:"
         "#070}.DEAD,.FAILED,.KILLED,.LOST{color:#a00}.WAITING,.SUBMITTED,.RELAUNCHING,.UNKNOWN{color:#a60}"
         "pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:30em}.summary li{margin:2px 0}</style>";
}

std::string head(const std::string& title, int refresh_s) {
  std::string out = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + html_escape(title) + "</title>";
  if (refresh_s > 0)
    out += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(refresh_s) + "\">";
  return out + style() + "</head><body>";
}

std::string cell(const std::string& text) { return "<td>" + html_escape(text) + "</td>"; }

std::string state_cell(const std::string& state) {
  auto s = upper(state);
  return "<td class=\"" + html_escape(s) + "\">" + html_escape(s) + "</td>";
}

std::string link(const std::string& href, const std::string& text) {
  return "<a href=\"" + html_escape(href) + "\">" + html_escape(text) + "</a>";
}

std::string app_table(const master_snapshot& s, bool finished) {
  std::string out = "<table id=\"" + std::string{finished ? "completed-apps" : "running-apps"}
                    + "\"><tr><th>Application ID</th><th>Name</th><th>Cores</th><th>Memory per executor</th>"
                      "<th>State</th><th>Started</th><th>Duration</th><th>Driver runs</th><th>Executors on</th></tr>";
  for (auto& a : s.apps) {
    if (a.finished != finished)
      continue;
    // Running executors; once none is left, the workers they ran on.
    std::string where;
    for (auto& e : a.executors)
      where += (where.empty() ? "" : ", ") + e.worker;
    if (where.empty() && !a.ran_on.empty()) {
      where = "ran on ";
      for (size_t i = 0; i < a.ran_on.size(); ++i)
        where += (i == 0 ? "" : ", ") + a.ran_on[i];
    }
    out += "<tr>" + std::string{"<td>"} + link("/app/" + a.id, a.id) + "</td>" + cell(a.name)
           + cell(std::to_string(a.cores)) + cell(std::to_string(a.executor_memory_mb) + " MiB") + state_cell(a.state)
           + cell(format_time(a.start_ms)) + cell(format_duration(duration_of(a.start_ms, a.end_ms, s.now_ms)))
           + "<td class=\"driver-place\">" + html_escape(place_of(a, s).text) + "</td>"
           + cell(where.empty() ? (a.waiting_reason.empty() ? "-" : a.waiting_reason) : where) + "</tr>";
  }
  return out + "</table>";
}

std::string driver_table(const master_snapshot& s, bool finished) {
  std::string out = "<table id=\"" + std::string{finished ? "completed-drivers" : "running-drivers"}
                    + "\"><tr><th>Submission ID</th><th>Application</th><th>State</th><th>Worker</th><th>Cores</th>"
                      "<th>Memory</th><th>Submitted</th><th>Duration</th><th>Message</th></tr>";
  for (auto& d : s.drivers) {
    if (d.finished != finished)
      continue;
    out += "<tr><td>" + link("/driver/" + d.id, d.id) + "</td>" + cell(d.app) + state_cell(d.state)
           + cell(d.worker.empty() ? "-" : d.worker) + cell(std::to_string(d.cores))
           + cell(std::to_string(d.memory_mb) + " MiB") + cell(format_time(d.start_ms))
           + cell(format_duration(duration_of(d.start_ms, d.end_ms, s.now_ms))) + cell(d.message) + "</tr>";
  }
  return out + "</table>";
}

} // namespace

std::string format_time(int64_t unix_ms) {
  if (unix_ms <= 0)
    return "-";
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::ostringstream s;
  s << std::put_time(&tm, "%Y-%m-%d %H:%M:%S UTC");
  return s.str();
}

std::string format_duration(int64_t ms) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1);
  if (ms < 1000)
    s << ms << " ms";
  else if (ms < 60'000)
    s << ms / 1000.0 << " s";
  else if (ms < 3'600'000)
    s << ms / 60'000.0 << " min";
  else
    s << ms / 3'600'000.0 << " h";
  return s.str();
}

driver_place place_of(const app_row& a, const master_snapshot& s) {
  driver_place p;
  if (s.url == "local") {
    p.deploy_mode = "local";
    p.host = a.driver_host;
    p.text = "local mode, in-process with the master";
    return p;
  }
  if (a.driver_id.empty()) {
    p.deploy_mode = "client";
    p.host = a.submit_host.empty() ? a.driver_host : a.submit_host;
    p.text = "client mode, in the submitting process on " + a.driver_host + ":" + std::to_string(a.driver_port)
             + " (submitted from " + a.submit_host + ")";
    return p;
  }
  p.deploy_mode = "cluster";
  p.host = a.driver_host;
  if (auto* d = find_driver(s, a.driver_id)) {
    p.worker_id = d->worker;
    if (!d->worker_host.empty())
      p.host = d->worker_host;
  }
  p.text = "cluster mode, driver " + a.driver_id + " on worker " + (p.worker_id.empty() ? "?" : p.worker_id) + " ("
           + p.host + ")";
  return p;
}

std::string render_json(const master_snapshot& s) {
  json workers = json::array(), active = json::array(), completed = json::array(), adrivers = json::array(),
       cdrivers = json::array();
  int64_t cores = 0, cores_used = 0, memory = 0, memory_used = 0, alive = 0;
  for (auto& w : s.workers) {
    workers.push_back(worker_json(w));
    if (w.state == "alive") {
      ++alive;
      cores += w.cores;
      cores_used += w.cores_used;
      memory += w.memory_mb;
      memory_used += w.memory_used_mb;
    }
  }
  for (auto& a : s.apps)
    (a.finished ? completed : active).push_back(app_json(a, s));
  for (auto& d : s.drivers)
    (d.finished ? cdrivers : adrivers).push_back(driver_json(d));
  json out = {{"url", s.url},
              {"workers", workers},
              {"aliveworkers", alive},
              {"cores", cores},
              {"coresused", cores_used},
              {"memory", memory},
              {"memoryused", memory_used},
              {"activeapps", active},
              {"completedapps", completed},
              {"activedrivers", adrivers},
              {"completeddrivers", cdrivers},
              {"status", upper(s.state)}};
  return out.dump();
}

std::string render_master_html(const master_snapshot& s, int refresh_s) {
  int64_t cores = 0, used = 0, mem = 0, mem_used = 0;
  int alive = 0;
  for (auto& w : s.workers)
    if (w.state == "alive") {
      ++alive;
      cores += w.cores;
      used += w.cores_used;
      mem += w.memory_mb;
      mem_used += w.memory_used_mb;
    }
  std::string out = head("troupe master at " + s.url, refresh_s);
  out += "<h1>troupe master at " + html_escape(s.url) + "</h1><ul class=\"summary\"><li><b>Status:</b> "
         + html_escape(upper(s.state)) + "</li><li><b>Alive workers:</b> " + std::to_string(alive) + " of "
         + std::to_string(s.workers.size()) + "</li><li><b>Cores in use:</b> " + std::to_string(used) + " of "
         + std::to_string(cores) + "</li><li><b>Memory in use:</b> " + std::to_string(mem_used) + " of "
         + std::to_string(mem) + " MiB</li><li><b>Snapshot:</b> " + html_escape(format_time(s.now_ms))
         + (refresh_s > 0 ? " (reloads every " + std::to_string(refresh_s) + " s)" : "")
         + "</li><li>" + link("/json", "/json") + "</li></ul>";
  out += "<h2>Workers (" + std::to_string(s.workers.size()) + ")</h2><table id=\"workers\"><tr><th>Worker ID</th>"
         "<th>Address</th><th>State</th><th>Cores</th><th>Memory</th><th>Last heartbeat</th></tr>";
  for (auto& w : s.workers)
    out += "<tr class=\"worker\">" + cell(w.id) + cell(w.host + ":" + std::to_string(w.port)) + state_cell(w.state)
           + cell(std::to_string(w.cores_used) + " / " + std::to_string(w.cores) + " used")
           + cell(std::to_string(w.memory_used_mb) + " / " + std::to_string(w.memory_mb) + " MiB used")
           + cell(w.last_heartbeat_ms > 0 ? format_duration(std::max<int64_t>(s.now_ms - w.last_heartbeat_ms, 0))
                                              + " ago"
                                        : "-")
           + "</tr>";
  out += "</table>";
  int running_apps = 0, running_drivers = 0;
  for (auto& a : s.apps)
    running_apps += a.finished ? 0 : 1;
  for (auto& d : s.drivers)
    running_drivers += d.finished ? 0 : 1;
  out += "<h2>Running applications (" + std::to_string(running_apps) + ")</h2>" + app_table(s, false);
  out += "<h2>Running drivers (" + std::to_string(running_drivers) + ")</h2>" + driver_table(s, false);
  out += "<h2>Completed applications (" + std::to_string(s.apps.size() - running_apps) + ")</h2>" + app_table(s, true);
  out += "<h2>Completed drivers (" + std::to_string(s.drivers.size() - running_drivers) + ")</h2>"
         + driver_table(s, true);
  return out + "</body></html>";
}

std::string render_app_html(const master_snapshot& s, const std::string& id, int refresh_s) {
  auto* a = find_app(s, id);
  if (a == nullptr)
    return "";
  auto place = place_of(*a, s);
  std::string out = head("application " + a->id, refresh_s);
  out += "<p>" + link("/", "back to the master") + "</p><h1>Application " + html_escape(a->id) + ": "
         + html_escape(a->name) + "</h1><ul class=\"summary\">";
  auto item = [&](const std::string& k, const std::string& v) {
    out += "<li><b>" + html_escape(k) + ":</b> " + html_escape(v) + "</li>";
  };
  item("State", upper(a->state));
  item("Driver runs", place.text);
  item("Submitted from", a->submit_host.empty() ? "-" : a->submit_host);
  item("Cores", std::to_string(a->cores) + " granted" + (a->cores_max > 0 ? " of " + std::to_string(a->cores_max)
                                                                           : " (asked for all)"));
  item("Memory per executor", std::to_string(a->executor_memory_mb) + " MiB");
  item("Started", format_time(a->start_ms));
  item("Duration", format_duration(duration_of(a->start_ms, a->end_ms, s.now_ms)));
  if (!a->waiting_reason.empty())
    item("Waiting", a->waiting_reason);
  if (!a->ui_url.empty())
    out += "<li><b>Driver UI:</b> " + link(a->ui_url, a->ui_url) + "</li>";
  if (!a->driver_id.empty())
    out += "<li><b>Driver:</b> " + link("/driver/" + a->driver_id, a->driver_id) + "</li>";
  if (!a->ran_on.empty()) {
    std::string workers;
    for (auto& w : a->ran_on)
      workers += (workers.empty() ? "" : ", ") + w;
    item("Executors ran on", workers);
  }
  out += "</ul><h2>Executors (" + std::to_string(a->executors.size())
         + ")</h2><table id=\"executors\"><tr><th>Executor ID</th><th>Worker</th><th>Host</th><th>Cores</th>"
           "<th>State</th></tr>";
  for (auto& e : a->executors)
    out += "<tr>" + cell(e.id) + cell(e.worker) + cell(e.host) + cell(std::to_string(e.cores)) + state_cell(e.state)
           + "</tr>";
  return out + "</table></body></html>";
}

std::string render_driver_html(const master_snapshot& s, const std::string& id, const driver_output* logs,
                               int refresh_s) {
  auto* d = find_driver(s, id);
  if (d == nullptr)
    return "";
  std::string out = head("driver " + d->id, refresh_s);
  out += "<p>" + link("/", "back to the master") + "</p><h1>Driver " + html_escape(d->id) + "</h1><ul class=\"summary\">";
  auto item = [&](const std::string& k, const std::string& v) {
    out += "<li><b>" + html_escape(k) + ":</b> " + html_escape(v) + "</li>";
  };
  item("Application", d->app);
  item("State", upper(d->state));
  item("Worker", d->worker.empty() ? "- (not placed)"
                                   : d->worker + " (" + d->worker_host + ":" + std::to_string(d->worker_port) + ")");
  item("Cores", std::to_string(d->cores));
  item("Memory", std::to_string(d->memory_mb) + " MiB");
  item("Submitted", format_time(d->start_ms));
  item("Duration", format_duration(duration_of(d->start_ms, d->end_ms, s.now_ms)));
  item("Supervised", d->supervise ? "yes (relaunches: " + std::to_string(d->relaunches) + ")" : "no");
  if (!d->message.empty())
    item("Message", d->message);
  for (auto& a : s.apps)
    if (a.driver_id == d->id)
      out += "<li><b>Application:</b> " + link("/app/" + a.id, a.id) + "</li>";
  out += "</ul>";
  if (logs == nullptr) {
    out += "<p>" + link("/driver/" + d->id + "?logs=1", "show its stdout and stderr") + "</p>";
  } else if (!logs->found) {
    out += "<p>No output: " + html_escape(logs->message) + "</p>";
  } else {
    out += "<h2>stdout</h2><pre id=\"stdout\">" + html_escape(logs->out) + "</pre><h2>stderr</h2><pre id=\"stderr\">"
           + html_escape(logs->err) + "</pre>";
  }
  return out + "</body></html>";
}

} // namespace troupe::view
