#pragma once
// The worker: registers with the master (retrying until it answers),
// heartbeats, and launches the executors and cluster-mode drivers the master
// asks for, as child processes or in its own process, reporting every state
// change.

#include "runtime/settings.hpp"

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace troupe {

/// How a worker is configured.
struct worker_options {
  std::string id;
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  int32_t cores = 1;
  int64_t memory_mb = 1024;
  std::string work_dir = "work";
  int32_t heartbeat_interval_ms = 500;
  isolation executor_isolation = isolation::process;
  isolation driver_isolation = isolation::process;
  settings base;                               ///< the worker's own settings, which executors and
                                               ///< drivers it starts inherit (then their app's conf)
  caf::actor master;                           ///< the master, when it lives in this process
  std::string master_host;                     ///< else where to reach it
  uint16_t master_port = 0;
  int32_t register_timeout_ms = 10000;         ///< give up (quit with an error) after this
  /// worker.master-reconnect-timeout: once registered, how long a lost master is
  /// waited for (executors and drivers keep running) before the worker stops.
  int32_t master_reconnect_timeout_ms = default_ms::worker_master_reconnect;
  int32_t ask_timeout_ms = default_ms::worker_ask_timeout;          ///< worker.register-request-timeout
  int32_t register_retry_ms = default_ms::worker_register_retry;    ///< worker.register-retry
  int32_t connect_timeout_ms = default_ms::worker_connect_timeout;  ///< worker.connect-timeout
  int32_t reconnect_delay_ms = default_ms::worker_reconnect_delay;  ///< worker.reconnect-delay
  int32_t child_stop_grace_ms = default_ms::worker_child_stop_grace;///< worker.child-stop-grace
  int32_t stop_poll_ms = 20;                   ///< while stopping, how often exited children are reaped
};

/// The settings' part of a worker's options (host, heartbeat, isolation,
/// timeouts, `base`); the caller fills in id, cores, memory, work dir and master.
worker_options worker_options_from(const settings& s);

/// Asks a worker to stop its executors and drivers, tell the master, and quit.
using stop_atom = caf::atom_constant<caf::atom("stop")>;
constexpr stop_atom stop_v{};

/// Spawns a worker.
caf::actor spawn_worker(caf::actor_system& sys, worker_options opts);

} // namespace troupe
