#pragma once
// Applications as shared libraries (troupe submit ./libmyjob.so): the
// checks before loading one (an ELF shared object, stamped by this troupe's
// ABI through TROUPE_APP), its content hash (SHA-256: the library's name in
// every process, whatever path it was loaded from), loading it once, and the
// cache of shipped libraries in a worker's work dir. No CAF here.

#include <cstdint>
#include <string>
#include <vector>

namespace troupe {

/// A loaded (or about to be loaded) application library.
struct library_info {
  std::string path;  ///< absolute path it was loaded from in this process
  std::string name;  ///< file name as submitted ("libmyjob.so")
  std::string hash;  ///< SHA-256 of its content, hex
  int64_t size = 0;  ///< bytes
};

/// What load_app_library did.
struct library_load {
  std::string error;               ///< empty = loaded
  library_info info;
  std::vector<std::string> apps;   ///< the apps it registers, sorted
};

/// True when APP on a command line names a library file rather than a
/// built-in application: it contains a '/' or ends in ".so".
bool names_library(const std::string& app);

/// SHA-256 of a file's content as hex; "" and `error` set when unreadable.
std::string hash_file(const std::string& path, std::string* error);
/// SHA-256 of bytes as hex.
std::string sha256_hex(const char* data, size_t size);

/// The ABI stamp this troupe expects ("troupe-abi:...;"), as TROUPE_APP embeds it.
const char* expected_abi_stamp();

/// Checks `path` (a readable ELF shared object whose TROUPE_APP stamp is
/// this troupe's) and loads it, once per process and content hash (a second
/// call with the same content returns the first load). Every problem is an
/// error message naming the file; nothing here ends the process.
library_load load_app_library(const std::string& path);

/// The library loaded with content hash `hash` in this process, or nullptr.
const library_info* loaded_library(const std::string& hash);
/// The first application library this process loaded (the one its driver
/// serves to executors), or nullptr.
const library_info* main_app_library();
/// The hash of the loaded library at absolute path `path`, or "".
std::string library_hash_of_path(const std::string& path);

/// `troupe submit LIB [APP_NAME] ARGS...`: loads LIB (`app`), then sets
/// `app` to the application to run and drops APP_NAME from `args` when
/// given. APP_NAME is needed only when LIB registers more than one app; with
/// one, a first argument equal to its name is taken as APP_NAME. Returns an
/// error message (the caller exits 2) or "".
std::string resolve_library_app(std::string& app, std::vector<std::string>& args, library_info* loaded = nullptr);

/// `troupe apps LIB`: the lines to print, or an error.
std::string describe_library(const std::string& path, std::string& out);

/// Where a worker keeps the library with this hash: WORK_DIR/libraries/HASH/NAME.
std::string library_cache_path(const std::string& work_dir, const std::string& hash, const std::string& name);
/// Writes `bytes` to the cache (atomically: temp file and rename) after
/// checking their hash; returns the path, or "" with `error` set. A file
/// already there with that hash is kept.
std::string store_library(const std::string& work_dir, const std::string& name, const std::string& hash,
                          const std::string& bytes, std::string* error);

/// A file name safe to keep in the cache ("libmyjob.so"; no '/', not "." or ".."), else "".
std::string safe_library_name(const std::string& name);

namespace detail {
/// While a library's static initializers run: its hash (operation names
/// registered then are prefixed with it), else "".
const std::string& library_being_loaded();
} // namespace detail

} // namespace troupe
