#pragma once
// The worker: registers with the master, heartbeats, and launches the
// executors the master asks for, reporting every state change.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <map>
#include <string>

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
  std::string executor_isolation = "thread";  ///< thread | process
  caf::actor master;
};

/// Spawns a worker that registers with `opts.master`.
caf::actor spawn_worker(caf::actor_system& sys, worker_options opts);

} // namespace troupe
