#pragma once
// Applications registered by name. Every process of a build holds the same
// registry, so a driver anywhere can run any application by name.

#include <functional>
#include <string>
#include <vector>

namespace troupe {

class context;

/// An application's entry point: returns the process exit status (0 = ok).
using app_main = std::function<int(context&, const std::vector<std::string>& args)>;

/// One registered application.
struct app_entry {
  std::string name;
  std::string usage;        ///< "word_count INPUT [OUTPUT_DIR]"
  std::string description;  ///< one line
  app_main main;
};

/// Registers an application (called from static registrars); returns true.
bool register_app(app_entry entry);

/// The application named `name`, or nullptr.
const app_entry* find_app(const std::string& name);

/// All applications, sorted by name.
std::vector<const app_entry*> all_apps();

} // namespace troupe

/// Registers `fn` (int(context&, const std::vector<std::string>&)) as application NAME.
#define TROUPE_APP(NAME, USAGE, DESCRIPTION, FN)                                             \
  [[maybe_unused]] static const bool troupe_app_registered_##NAME =                         \
    ::troupe::register_app(::troupe::app_entry{#NAME, USAGE, DESCRIPTION, FN})
