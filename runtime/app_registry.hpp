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

/// All applications built into this program, sorted by name.
std::vector<const app_entry*> all_apps();

/// The applications registered by the loaded library with content hash
/// `hash` (runtime/app_library.hpp), sorted by name. find_app looks in
/// loaded libraries first, so a library's app shadows a built-in one of the
/// same name.
std::vector<const app_entry*> library_apps(const std::string& hash);

} // namespace troupe

/// The ABI stamp TROUPE_APP embeds in a library: `troupe submit` refuses a
/// library stamped by another troupe before running any of its code. Bump
/// the number whenever what a library and the runtime share changes (the
/// dataset API's layout, app_entry, the operation encoding).
#ifndef TROUPE_ABI_STAMP
#define TROUPE_ABI_STAMP "troupe-abi:0.1.0/2;"
#endif

/// Registers `fn` (int(context&, const std::vector<std::string>&)) as application NAME.
#define TROUPE_APP(NAME, USAGE, DESCRIPTION, FN)                                             \
  [[gnu::used, gnu::section(".troupe_abi")]] static const char troupe_abi_stamp_##NAME[] =   \
    TROUPE_ABI_STAMP;                                                                         \
  [[maybe_unused]] static const bool troupe_app_registered_##NAME =                         \
    ::troupe::register_app(::troupe::app_entry{#NAME, USAGE, DESCRIPTION, FN})
