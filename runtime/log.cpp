#include "runtime/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <map>
#include <mutex>
#include <string_view>

namespace troupe::log {

namespace {

/// The loggers of this process. They are never put in spdlog's global
/// registry, so no name clashes with other code and no use of the default logger.
struct logger_registry {
  std::mutex mtx;
  // One sink shared by every logger: one lock orders all lines on stderr.
  std::shared_ptr<spdlog::sinks::stderr_color_sink_mt> sink =
    std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
  spdlog::level::level_enum level = spdlog::level::warn;

  logger_registry() { sink->set_pattern(pattern("")); }

  static std::string pattern(const std::string& role) {
    std::string tag;
    for (char c : role) {
      if (c == '%')
        tag += '%'; // a literal percent in spdlog's pattern language
      tag += c;
    }
    return role.empty() ? "[%H:%M:%S.%e] [%n] %l: %v"
                        : "[%H:%M:%S.%e] [" + tag + "] [%n] %l: %v";
  }

  std::shared_ptr<spdlog::logger> get(std::string_view name) {
    std::lock_guard guard{mtx};
    if (auto i = loggers.find(name); i != loggers.end())
      return i->second;
    auto lg = std::make_shared<spdlog::logger>(std::string{name}, sink);
    lg->set_level(level);
    lg->flush_on(spdlog::level::warn);
    loggers.emplace(std::string{name}, lg);
    return lg;
  }
};

// Function-local static: safe to use from other static initializers.
logger_registry& registry() {
  static logger_registry instance;
  return instance;
}

} // namespace

std::shared_ptr<spdlog::logger> master() { return registry().get("master"); }
std::shared_ptr<spdlog::logger> worker() { return registry().get("worker"); }
std::shared_ptr<spdlog::logger> driver() { return registry().get("driver"); }
std::shared_ptr<spdlog::logger> executor() { return registry().get("executor"); }
std::shared_ptr<spdlog::logger> submit() { return registry().get("submit"); }
std::shared_ptr<spdlog::logger> scheduler() { return registry().get("scheduler"); }
std::shared_ptr<spdlog::logger> net() { return registry().get("net"); }

bool set_level(const std::string& level) {
  // spdlog::level::from_str maps unknown names to "off": check the names ourselves.
  static constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 7> names{{
    {"trace", spdlog::level::trace},
    {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},
    {"error", spdlog::level::err},
    {"critical", spdlog::level::critical},
    {"off", spdlog::level::off},
  }};
  for (const auto& [name, lvl] : names) {
    if (name == level) {
      auto& reg = registry();
      std::lock_guard guard{reg.mtx};
      reg.level = lvl;
      for (auto& [_, lg] : reg.loggers)
        lg->set_level(lvl);
      return true;
    }
  }
  return false;
}

void set_process_role(const std::string& role) {
  auto& reg = registry();
  std::lock_guard guard{reg.mtx};
  reg.sink->set_pattern(logger_registry::pattern(role));
}

} // namespace troupe::log
