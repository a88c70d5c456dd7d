#pragma once
// Talking to a cluster from outside it: the actor system every troupe
// process configures, reaching a master with retries, following a
// cluster-mode driver, and the status, kill and logs commands.

#include "runtime/settings.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace troupe {

struct driver_status;
struct driver_logs;

/// Registers the protocol and sets CAF's knobs from the settings.
void configure_system(caf::actor_system_config& cfg, const settings& s);

/// A master handle, or why there is none.
struct master_connection {
  caf::actor handle;
  std::string error;
  explicit operator bool() const { return static_cast<bool>(handle); }
};

/// Connects to the master at host:port, retrying with backoff for `timeout`.
master_connection connect_master(caf::actor_system& sys, const std::string& host, uint16_t port,
                                 std::chrono::milliseconds timeout);

/// Connects to the settings' master (--master) for register.timeout ms.
master_connection connect_master(caf::actor_system& sys, const settings& s);

/// Builds this process's actor system, connects to the settings' master and
/// runs `body` with both; reports a master that does not answer (exit 1).
int with_master(const settings& s, const std::function<int(caf::actor_system&, const caf::actor&)>& body);

/// Polls a driver's state every `poll_ms` until it has finished; `found` false
/// if the master forgot it or did not answer within `request_timeout`.
driver_status follow_driver(caf::actor_system& sys, const caf::actor& master, const std::string& driver,
                            int32_t poll_ms, std::chrono::milliseconds request_timeout);

/// The tail of a driver's stdout and stderr, through the master and its worker.
driver_logs fetch_logs(caf::actor_system& sys, const caf::actor& master, const std::string& driver,
                       std::chrono::milliseconds timeout);

/// Waits until the master at host:port has `workers` alive workers; each
/// status request may take `request_timeout`.
bool await_workers(caf::actor_system& sys, const std::string& host, uint16_t port, int32_t workers,
                   std::chrono::milliseconds timeout, std::chrono::milliseconds request_timeout,
                   std::string& error);

/// `troupe status|kill|logs --master URL [DRIVER_ID]`; returns the exit status.
int run_control(const std::string& command, const settings& s, const std::string& driver);

} // namespace troupe
