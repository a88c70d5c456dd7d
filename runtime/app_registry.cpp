#include "runtime/app_registry.hpp"

#include "runtime/app_library.hpp"
#include "runtime/log.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <mutex>

namespace troupe {

namespace {

struct app_table {
  std::mutex mtx;
  std::map<std::string, app_entry> apps; // node-based: entry addresses stay valid
  // Apps of loaded libraries, by library hash, in load order.
  std::vector<std::pair<std::string, std::map<std::string, app_entry>>> libraries;
};

// Function-local static: registrars run during static initialization, in any order.
app_table& table() {
  static app_table instance;
  return instance;
}

} // namespace

bool register_app(app_entry entry) {
  auto& t = table();
  std::lock_guard guard{t.mtx};
  auto name = entry.name;
  if (const auto& lib = detail::library_being_loaded(); !lib.empty()) {
    if (t.libraries.empty() || t.libraries.back().first != lib)
      t.libraries.emplace_back(lib, std::map<std::string, app_entry>{});
    if (!t.libraries.back().second.emplace(name, std::move(entry)).second)
      log::driver()->error("application name={} registered twice in library {}; keeping the first", name, lib);
    return true;
  }
  auto [it, added] = t.apps.emplace(name, std::move(entry));
  // Two apps with one name is a build bug; keep the first so lookups stay stable.
  if (!added)
    log::driver()->error("application name={} registered twice; keeping the first", name);
  return true;
}

const app_entry* find_app(const std::string& name) {
  auto& t = table();
  std::lock_guard guard{t.mtx};
  for (auto& [_, apps] : t.libraries)
    if (auto j = apps.find(name); j != apps.end())
      return &j->second;
  auto i = t.apps.find(name);
  return i == t.apps.end() ? nullptr : &i->second;
}

std::vector<const app_entry*> all_apps() {
  auto& t = table();
  std::lock_guard guard{t.mtx};
  std::vector<const app_entry*> result;
  result.reserve(t.apps.size());
  for (const auto& [_, entry] : t.apps) // std::map: already sorted by name
    result.push_back(&entry);
  return result;
}

std::vector<const app_entry*> library_apps(const std::string& hash) {
  auto& t = table();
  std::lock_guard guard{t.mtx};
  std::vector<const app_entry*> result;
  for (auto& [h, apps] : t.libraries)
    if (h == hash)
      for (const auto& [_, entry] : apps)
        result.push_back(&entry);
  return result;
}

} // namespace troupe
