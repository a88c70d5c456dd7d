#pragma once
// State machines with Spark's names, so its users can read them.

#include <cstdint>
#include <optional>
#include <string_view>

namespace troupe {

/// A worker as the master sees it.
/// `unknown`: recorded by a previous master, not registered again yet (recovery).
enum class worker_state : uint8_t { alive, dead, decommissioned, unknown };

/// An application registered with the master.
enum class app_state : uint8_t { waiting, running, finished, failed, killed };

/// A driver submitted in cluster mode (client-mode drivers are recorded too).
enum class driver_state : uint8_t { submitted, running, finished, relaunching, failed, killed };

/// An executor launched for an application on a worker.
enum class executor_state : uint8_t { launching, running, killed, failed, lost, exited };

/// One attempt of a task.
enum class task_state : uint8_t { pending, running, succeeded, failed, killed, lost };

/// True once an application will never run again.
constexpr bool is_finished(app_state s) { return s >= app_state::finished; }
/// True once a driver will never run again (relaunching is not finished).
constexpr bool is_finished(driver_state s) {
  return s == driver_state::finished || s == driver_state::failed || s == driver_state::killed;
}
/// True once an executor has stopped for good.
constexpr bool is_finished(executor_state s) { return s >= executor_state::killed; }
/// True once a task attempt has ended.
constexpr bool is_finished(task_state s) { return s >= task_state::succeeded; }

/// Lower-case name of a state, as Spark prints it (upper-cased by the CLI).
std::string_view to_string(worker_state s);
std::string_view to_string(app_state s);
std::string_view to_string(driver_state s);
std::string_view to_string(executor_state s);
std::string_view to_string(task_state s);

/// Parses a state name as printed by to_string; nullopt for anything else.
template <class State>
std::optional<State> state_from_string(std::string_view name);

} // namespace troupe
