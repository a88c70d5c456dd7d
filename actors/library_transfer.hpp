#pragma once
// Shipping an application library (troupe submit LIB.so): the driver serves
// the library it loaded in bounded chunks; an executor asks for it before it
// registers, keeps it in the worker's work dir by content hash (fetched once
// per worker and version) and loads it once; a worker unpacks the library a
// cluster-mode submission carried before it launches the driver.

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace troupe {

struct app_library_offer;
struct fetch_library;
struct library_chunk;
struct driver_description;

/// Driver: the library this process runs its app from (hash empty: none).
app_library_offer offer_app_library();
/// Driver: one chunk of it (at most 16 MiB, whatever was asked).
library_chunk serve_library_chunk(const fetch_library& f);

/// Executor: asks `driver` for its library; when there is one and this
/// process has not loaded it, takes it from `work_dir`'s cache or fetches
/// it in chunks of `chunk_bytes`, stores it there and loads it. Calls `done`
/// with "" when the executor can run the app's tasks, else with why not.
/// Without a `hash` (a built-in app), calls `done` at once.
void prepare_app_library(caf::event_based_actor* self, const caf::actor& driver, const std::string& hash,
                         const std::string& work_dir,
                         int32_t chunk_bytes, std::chrono::milliseconds timeout,
                         std::function<void(const std::string& error)> done);

/// Worker: stores the library a cluster-mode driver came with in
/// `work_dir`'s cache and rewrites `desc` to run it (app = its path, the
/// app's name first among the args); nothing for a built-in app. Returns an
/// error message or "".
std::string unpack_driver_library(const std::string& work_dir, driver_description& desc);

/// Submit: reads `path` into `desc` (name, hash, bytes) for a cluster-mode
/// submission, at most `max_bytes` (it travels in one message: below
/// network.max-frame-size). Returns an error message or "".
std::string pack_driver_library(const std::string& path, driver_description& desc, int64_t max_bytes);

} // namespace troupe
