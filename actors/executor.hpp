#pragma once
// The executor: runs an application's tasks on its own thread pool (never on
// CAF's scheduler threads), keeps map outputs in its block store and serves
// them to reducers.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <string>

namespace troupe {

/// How an executor is configured.
struct executor_options {
  std::string app;
  std::string id;
  std::string host = "127.0.0.1";
  int32_t cores = 1;
  int64_t memory_mb = 1024;
  double shuffle_memory_fraction = 0.6;
  std::string dir;        ///< its folder in the worker's work dir (spills)
  caf::actor driver;
  caf::actor owner;       ///< the worker that launched it: the executor quits with it
};

/// Spawns an executor that registers with its driver and quits when the driver or its owner goes.
caf::actor spawn_executor(caf::actor_system& sys, executor_options opts);

} // namespace troupe
