#pragma once
// The master: registry of workers, applications and their executors;
// places executors on workers; drops workers that stop heartbeating.
// It never sees tasks or data. Its bookkeeping is runtime/cluster_book;
// this actor decodes messages, feeds the book and sends what it decided.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace troupe {

struct settings;
class journal;

/// How a master is configured.
struct master_options {
  std::string url;                ///< troupe://host:port, or "local" in-process
  int32_t worker_timeout_ms = 5000;
  bool spread_out = true;         ///< deploy.spread-out
  int32_t retained_applications = 200;  ///< master.retained-applications
  int32_t retained_drivers = 200;       ///< master.retained-drivers
  int32_t max_executor_failures = 10;   ///< failed executors before an application fails
  int32_t executor_failures_per_worker = 2;  ///< master.executor-failures-per-worker
  int32_t executor_min_uptime_ms = 5000;     ///< master.executor-min-uptime
  int32_t max_driver_relaunches = 3;         ///< driver.max-relaunches
  int32_t logs_timeout_ms = 10000;      ///< how long a worker may take to answer for a driver's logs
  int32_t min_check_interval_ms = 50;   ///< heartbeats are checked every worker_timeout/4, at least this often
  /// master.recovery-dir, opened: the book is recorded there, and a master
  /// that finds records in it recovers from them (nullptr: nothing recorded).
  std::shared_ptr<journal> recovery{};
  int32_t recovery_timeout_ms = 5000;   ///< master.recovery-timeout
};

/// The master options that `s` sets (url as given).
master_options master_options_from(const settings& s, std::string url);

/// Spawns a master actor.
caf::actor spawn_master(caf::actor_system& sys, master_options opts);

} // namespace troupe
