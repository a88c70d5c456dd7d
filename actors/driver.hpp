#pragma once
// The driver: hosts one application. Registers it with the master, runs the
// application's code on a thread of its own, turns actions into jobs and
// tasks (runtime/dag_scheduler) and sends them to executors directly.

#include "actors/protocol.hpp"
#include "runtime/app_status.hpp"
#include "runtime/dag_scheduler.hpp"
#include "runtime/http_server.hpp"
#include "runtime/dataset.hpp"
#include "runtime/settings.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace troupe {

/// How the application ended, for whoever spawned the driver.
struct driver_outcome {
  std::mutex mtx;
  int exit_code = 1;
  std::string error;     ///< empty on success
  std::string app;       ///< the app id the master gave
};

/// How a driver is configured.
struct driver_options {
  app_description desc;
  caf::actor master;
  context_options ctx;
  int32_t max_failures = 4;
  int32_t extra_tasks = 2;  ///< scheduler.extra-tasks
  int32_t executor_timeout_ms = 3000;  ///< executor.heartbeat-timeout: an executor silent this long is lost
  scheduler_options sched;             ///< stage.max-attempts, task.speculation*
  int32_t speculation_interval_ms = 100;  ///< task.speculation.interval
  int32_t register_timeout_ms = default_ms::driver_register_timeout;   ///< driver.register-timeout
  int32_t executor_wait_warning_ms = default_ms::driver_executor_wait; ///< driver.executor-wait-warning
  // The master link: where to reach the master again when it is lost (port 0:
  // it lives in this process, and losing it ends the application).
  std::string master_host;
  uint16_t master_port = 0;
  int32_t master_reconnect_timeout_ms = default_ms::driver_master_reconnect;  ///< driver.master-reconnect-timeout
  std::shared_ptr<driver_outcome> outcome;
  // What the application is doing (runtime/app_status): the driver feeds it,
  // its UI (driver.ui-port), the console progress bar and the event log
  // (eventlog.dir) read it.
  std::shared_ptr<status::app_status> model;
  std::optional<http::server_options> ui;          ///< nullopt: no UI (driver.ui-port=0)
  std::string eventlog_dir;                        ///< "" = no event log
  std::map<std::string, std::string> environment;  ///< the settings the environment page shows
};

/// A driver for the settings' application (s.app, s.app_args, its executors'
/// size and conf, its scheduling knobs), reachable at s.host; `id` names a
/// cluster-mode driver ("" in client mode). The caller sets the master.
driver_options driver_options_from(const settings& s, const driver_id& id);

/// Spawns a driver; it quits when the application's code returns.
caf::actor spawn_driver(caf::actor_system& sys, driver_options opts);

} // namespace troupe
