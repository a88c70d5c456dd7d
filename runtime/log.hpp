#pragma once
// One named spdlog logger per role, writing to stderr. Key=value ids in messages.

#include <memory>
#include <string>

namespace spdlog { class logger; }

namespace troupe::log {

std::shared_ptr<spdlog::logger> master();
std::shared_ptr<spdlog::logger> worker();
std::shared_ptr<spdlog::logger> driver();
std::shared_ptr<spdlog::logger> executor();
std::shared_ptr<spdlog::logger> submit();
std::shared_ptr<spdlog::logger> scheduler();

/// Sets the level of every troupe logger: trace, debug, info, warn, error, off.
/// Returns false (and changes nothing) for an unknown name.
bool set_level(const std::string& level);

/// Tags every following log line with the process's role, e.g. "[worker]".
void set_process_role(const std::string& role);

} // namespace troupe::log
