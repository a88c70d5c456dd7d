#pragma once
// What the master's web UI shows, as plain structs, and its rendering: the
// HTML pages a person reads and Spark's master /json a script reads. The
// master_web actor side fills a master_snapshot from the master's
// cluster_status; everything here is plain code, unit-tested from snapshots.

#include <cstdint>
#include <string>
#include <vector>

namespace troupe::view {

/// One worker.
struct worker_row {
  std::string id;
  std::string host;
  uint16_t port = 0;
  std::string state;  ///< alive, dead, decommissioned, unknown
  int32_t cores = 0;
  int32_t cores_used = 0;
  int64_t memory_mb = 0;
  int64_t memory_used_mb = 0;
  int64_t last_heartbeat_ms = 0;  ///< unix ms
};

/// One executor of an application.
struct executor_row {
  std::string id;
  std::string worker;
  std::string host;
  int32_t cores = 0;
  std::string state;
};

/// One application.
struct app_row {
  std::string id;
  std::string name;
  std::string state;  ///< waiting, running, finished, failed, killed
  bool finished = false;
  int32_t cores = 0;      ///< granted
  int32_t cores_max = 0;  ///< asked for (0 = all)
  int64_t executor_memory_mb = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::string submit_host;
  std::string driver_host;
  uint16_t driver_port = 0;
  std::string driver_id;    ///< cluster mode: the driver's id
  std::string ui_url;       ///< the driver's UI ("" = none)
  std::string waiting_reason;
  std::vector<executor_row> executors;
  std::vector<std::string> ran_on;  ///< workers its executors were given, ended ones too
};

/// One cluster-mode driver.
struct driver_row {
  std::string id;
  std::string app;
  std::string state;
  bool finished = false;
  std::string worker;
  std::string worker_host;
  uint16_t worker_port = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int32_t cores = 0;
  int64_t memory_mb = 0;
  bool supervise = false;
  int32_t relaunches = 0;
  std::string message;
};

/// The master's state at one moment.
struct master_snapshot {
  std::string url;            ///< troupe://host:port, or "local"
  std::string state;          ///< alive, recovering
  int64_t now_ms = 0;         ///< unix ms of the snapshot
  std::vector<worker_row> workers;
  std::vector<app_row> apps;
  std::vector<driver_row> drivers;
};

/// Where an application's driver runs.
struct driver_place {
  std::string deploy_mode;  ///< client, cluster, local
  std::string host;         ///< the host the driver actor runs on
  std::string worker_id;    ///< cluster mode: the worker hosting it ("" otherwise)
  std::string text;         ///< one sentence for a person
};

/// Where `a`'s driver runs, as far as `s` tells.
driver_place place_of(const app_row& a, const master_snapshot& s);

/// Spark's master /json (its field names), plus `driver` per application.
std::string render_json(const master_snapshot& s);

/// The master's page: workers, running and completed applications (with
/// where each driver runs), running and completed drivers. Reloads itself
/// every `refresh_s` seconds (0 = never).
std::string render_master_html(const master_snapshot& s, int refresh_s);

/// One application's page; "" when `id` is not in `s`.
std::string render_app_html(const master_snapshot& s, const std::string& id, int refresh_s);

/// The output a driver left (stdout/stderr tails), for its page.
struct driver_output {
  bool found = false;
  std::string out;
  std::string err;
  std::string message;  ///< why there is none
};

/// One driver's page, with its output when `logs` is given; "" when `id` is not in `s`.
std::string render_driver_html(const master_snapshot& s, const std::string& id, const driver_output* logs,
                               int refresh_s);

/// "2026-12-03 17:20:19 UTC", or "-" for 0.
std::string format_time(int64_t unix_ms);
/// "350 ms", "12.3 s", "4.2 min", "1.5 h".
std::string format_duration(int64_t ms);

} // namespace troupe::view
