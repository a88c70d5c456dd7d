#pragma once
// The master: registry of workers, applications and their executors;
// places executors on workers; drops workers that stop heartbeating.
// It never sees tasks or data.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <string>

namespace troupe {

/// How a master is configured.
struct master_options {
  std::string url;                ///< troupe://host:port, or "local" in-process
  int32_t worker_timeout_ms = 5000;
  bool spread_out = true;         ///< deploy.spread-out
};

/// Spawns a master actor.
caf::actor spawn_master(caf::actor_system& sys, master_options opts);

} // namespace troupe
