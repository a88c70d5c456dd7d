#pragma once
// The executor: runs an application's tasks on its own thread pool (never on
// CAF's scheduler threads), keeps map outputs in its block store and serves
// them to reducers in other processes.

#include "runtime/settings.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <string>

namespace troupe {

/// How an executor is configured.
struct executor_options {
  std::string app;
  std::string id;
  std::string host = "127.0.0.1";  ///< where it serves blocks
  int32_t cores = 1;
  int64_t memory_mb = 1024;
  double shuffle_memory_fraction = 0.6;
  int32_t fetch_chunk_kb = 4096;
  int32_t max_fetches = 4;
  int32_t heartbeat_interval_ms = 500;
  int32_t connect_timeout_ms = default_ms::executor_connect_timeout;  ///< executor.connect-timeout
  int32_t fetch_timeout_ms = default_ms::fetch_timeout;              ///< shuffle.fetch-timeout
  int32_t peer_connect_timeout_ms = 2000;  ///< one connection attempt to a peer executor: min(network.timeout, shuffle.fetch-timeout), >= 1 s
  std::string dir;                 ///< its folder in the worker's work dir (spills)
  std::string driver_host;         ///< the driver, reached directly
  uint16_t driver_port = 0;
  caf::actor owner;                ///< the worker that launched it in its process (may be null)
  std::string library_hash;        ///< app.library-hash: fetch and load this library first ("" = none)
  bool bound_process_memory = false;  ///< a process of its own: its RSS is bounded by memory_mb (#13)
};

/// The settings' part of an executor's options (host, shuffle knobs,
/// heartbeat); the launch fills in ids, cores, memory, folder and driver.
executor_options executor_options_from(const settings& s);

/// Spawns an executor: it connects to its driver, registers, and quits when
/// the driver or its owner goes. Its exit reason is non-normal when it could
/// not reach the driver.
caf::actor spawn_executor(caf::actor_system& sys, executor_options opts);

} // namespace troupe
