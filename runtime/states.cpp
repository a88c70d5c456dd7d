#include "runtime/states.hpp"

#include <array>

namespace troupe {

namespace {

constexpr std::array<std::string_view, 4> worker_names{"alive", "dead", "decommissioned", "unknown"};
constexpr std::array<std::string_view, 5> app_names{"waiting", "running", "finished", "failed",
                                                    "killed"};
constexpr std::array<std::string_view, 6> driver_names{"submitted", "running",    "finished",
                                                       "relaunching", "failed", "killed"};
constexpr std::array<std::string_view, 6> executor_names{"launching", "running", "killed",
                                                         "failed",    "lost",    "exited"};
constexpr std::array<std::string_view, 6> task_names{"pending", "running", "succeeded",
                                                     "failed",  "killed",  "lost"};

// Maps each state enum to its name table (indexed by the enumerator's value).
constexpr const auto& names_of(worker_state*) { return worker_names; }
constexpr const auto& names_of(app_state*) { return app_names; }
constexpr const auto& names_of(driver_state*) { return driver_names; }
constexpr const auto& names_of(executor_state*) { return executor_names; }
constexpr const auto& names_of(task_state*) { return task_names; }

template <class State>
std::string_view name_of(State s) {
  const auto& names = names_of(static_cast<State*>(nullptr));
  auto i = static_cast<size_t>(s);
  return i < names.size() ? names[i] : std::string_view{"unknown"};
}

} // namespace

std::string_view to_string(worker_state s) { return name_of(s); }
std::string_view to_string(app_state s) { return name_of(s); }
std::string_view to_string(driver_state s) { return name_of(s); }
std::string_view to_string(executor_state s) { return name_of(s); }
std::string_view to_string(task_state s) { return name_of(s); }

template <class State>
std::optional<State> state_from_string(std::string_view name) {
  const auto& names = names_of(static_cast<State*>(nullptr));
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name)
      return static_cast<State>(i);
  return std::nullopt;
}

template std::optional<worker_state> state_from_string<worker_state>(std::string_view);
template std::optional<app_state> state_from_string<app_state>(std::string_view);
template std::optional<driver_state> state_from_string<driver_state>(std::string_view);
template std::optional<executor_state> state_from_string<executor_state>(std::string_view);
template std::optional<task_state> state_from_string<task_state>(std::string_view);

} // namespace troupe
