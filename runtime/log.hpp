#pragma once
// One named spdlog logger per role, writing to stderr. Key=value ids in messages.

#include <memory>
#include <string>

namespace spdlog { class logger; }

namespace troupe::log {

/// The master's logger ("master"); created on first use, thread-safe.
std::shared_ptr<spdlog::logger> master();
/// The worker's logger ("worker").
std::shared_ptr<spdlog::logger> worker();
/// The driver's logger ("driver").
std::shared_ptr<spdlog::logger> driver();
/// The executor's logger ("executor").
std::shared_ptr<spdlog::logger> executor();
/// The submitting command's logger ("submit").
std::shared_ptr<spdlog::logger> submit();
/// The DAG and task schedulers' logger ("scheduler").
std::shared_ptr<spdlog::logger> scheduler();
/// The network guard's logger ("net"): refused peers.
std::shared_ptr<spdlog::logger> net();

/// Sets the level of every troupe logger (default warn): trace, debug, info,
/// warn, error, critical, off.
/// Returns false (and changes nothing) for an unknown name.
bool set_level(const std::string& level);

/// Tags every following log line with the process's role, e.g. "[worker]".
void set_process_role(const std::string& role);

} // namespace troupe::log
