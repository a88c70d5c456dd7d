#pragma once
// The entry points of `troupe node --role master|worker|executor|driver`, and
// what deploy and the loopback cluster runner share with them.

#include "actors/worker.hpp"
#include "runtime/settings.hpp"

#include <caf/fwd.hpp>

#include <string>

namespace troupe {

/// Runs `troupe node --role ...` until it is stopped; returns the exit status.
int run_node(const settings& s);

// -- shared with deploy and local_cluster ----------------------------------------------

/// Cores a worker offers: --cores, else the hardware threads (at most max_cores).
int32_t default_cores(const settings& s);

/// Memory a worker offers: --memory, else total RAM - 1 GiB (at least 1 GiB).
int64_t default_memory_mb(const settings& s);

/// A worker's options from the settings, with its cores, memory and absolute work dir.
worker_options worker_from(const settings& s);

/// Waits until `actor` terminates; returns its exit reason.
caf::error await_down(caf::actor_system& sys, const caf::actor& actor);

/// Spawns the settings' driver in this process against `master` and waits for
/// it, stopping it on SIGINT/SIGTERM; returns the exit status. `driver_id`
/// names a cluster-mode driver ("" in client and local mode).
int run_driver_here(caf::actor_system& sys, const settings& s, const caf::actor& master,
                    const std::string& driver_id = {});

} // namespace troupe
