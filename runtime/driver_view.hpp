#pragma once
// The driver's UI and Spark's monitoring API (/api/v1) rendered from
// snapshots (runtime/app_status): plain functions from a snapshot to a JSON
// or HTML body, shared by the live driver UI and the history server.

#include "runtime/app_status.hpp"

#include <functional>
#include <string>
#include <vector>

namespace troupe::http {
class server;
}

namespace troupe::status {

/// Spark's date form: "2026-12-03T17:22:21.000GMT" ("" for 0).
std::string spark_time(int64_t ms);

// -- /api/v1 (JSON) -----------------------------------------------------------------
/// GET /api/v1/applications: one entry per snapshot, each with one attempt.
std::string applications_json(const std::vector<snapshot>& apps);
/// GET /api/v1/applications/{app}
std::string application_json(const snapshot& s);
/// GET .../jobs (newest first).
std::string jobs_json(const snapshot& s);
/// GET .../jobs/{id}
std::string job_json(const job_view& j);
/// GET .../stages (every attempt, newest first).
std::string stages_json(const snapshot& s);
/// GET .../stages/{id}: Spark answers a list of the stage's attempts.
std::string stage_json(const snapshot& s, int64_t id);
/// GET .../executors
std::string executors_json(const snapshot& s);

// -- HTML pages --------------------------------------------------------------------
/// Links of a page's tab bar are `base` + "/jobs/", ... ("" for the driver UI,
/// "/history/APP" in the history server).
std::string jobs_html(const snapshot& s, const std::string& base);
std::string stages_html(const snapshot& s, const std::string& base);
std::string executors_html(const snapshot& s, const std::string& base);
std::string environment_html(const snapshot& s, const std::string& base);
/// The history server's front page: the applications it knows.
std::string history_html(const std::vector<snapshot>& apps, const std::vector<std::string>& errors);

/// Where the routes get their snapshots: all applications (the driver: its
/// one), and one by id (false when unknown).
struct snapshot_source {
  std::function<std::vector<snapshot>()> all;
  std::function<bool(const std::string& app, snapshot& out)> one;
};

/// Adds the /api/v1 routes and the HTML pages. `history`: pages under
/// /history/{app}/ and a front page listing applications; else (the driver)
/// pages at /jobs/, /stages/, /executors/, /environment/ for its one app.
void add_status_routes(http::server& srv, snapshot_source src, bool history);

} // namespace troupe::status
