#include "actors/library_transfer.hpp"

#include "actors/protocol.hpp"
#include "runtime/app_library.hpp"
#include "runtime/log.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace troupe {

namespace {

constexpr int32_t max_chunk = 16 << 20;

struct download {
  app_library_offer offer;
  std::string bytes;
};

std::string read_all(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  *ok = static_cast<bool>(in) || in.eof();
  return ss.str();
}

void finish(const std::shared_ptr<download>& d, const std::string& work_dir,
            const std::function<void(const std::string&)>& done) {
  std::string err;
  auto path = store_library(work_dir, d->offer.name, d->offer.hash, d->bytes, &err);
  if (path.empty()) {
    done(err);
    return;
  }
  auto lib = load_app_library(path);
  if (!lib.error.empty()) {
    done(lib.error);
    return;
  }
  log::executor()->info("application library loaded name={} hash={} bytes={} path={}", d->offer.name,
                        d->offer.hash.substr(0, 12), d->offer.size, path);
  done("");
}

void fetch_next(caf::event_based_actor* self, caf::actor driver, std::shared_ptr<download> d, std::string work_dir,
                int32_t chunk, std::chrono::milliseconds timeout, std::function<void(const std::string&)> done) {
  auto offset = static_cast<int64_t>(d->bytes.size());
  self->request(driver, timeout, fetch_library{d->offer.hash, offset, chunk})
    .then(
      [=](library_chunk& c) {
        if (!c.found || c.total != d->offer.size) {
          done("the driver no longer serves library " + d->offer.name);
          return;
        }
        if (c.bytes.empty() && static_cast<int64_t>(d->bytes.size()) < d->offer.size) {
          done("the driver sent an empty chunk of library " + d->offer.name);
          return;
        }
        d->bytes += c.bytes;
        if (static_cast<int64_t>(d->bytes.size()) < d->offer.size)
          fetch_next(self, driver, d, work_dir, chunk, timeout, done);
        else
          finish(d, work_dir, done);
      },
      [=](caf::error& e) { done("cannot fetch library " + d->offer.name + ": " + self->system().render(e)); });
}

} // namespace

app_library_offer offer_app_library() {
  app_library_offer o;
  if (auto* lib = main_app_library()) {
    o.name = lib->name;
    o.hash = lib->hash;
    o.size = lib->size;
  }
  return o;
}

library_chunk serve_library_chunk(const fetch_library& f) {
  library_chunk c;
  auto* lib = loaded_library(f.hash);
  if (lib == nullptr || f.offset < 0 || f.offset > lib->size)
    return c;
  std::ifstream in(lib->path, std::ios::binary);
  if (!in)
    return c;
  auto n = std::min<int64_t>(std::clamp(f.max_bytes, 1, max_chunk), lib->size - f.offset);
  c.bytes.resize(static_cast<size_t>(n));
  in.seekg(f.offset);
  in.read(c.bytes.data(), n);
  if (in.gcount() != n)
    return library_chunk{};
  c.found = true;
  c.total = lib->size;
  return c;
}

void prepare_app_library(caf::event_based_actor* self, const caf::actor& driver, const std::string& hash,
                         const std::string& work_dir, int32_t chunk_bytes, std::chrono::milliseconds timeout,
                         std::function<void(const std::string& error)> done) {
  if (hash.empty() || loaded_library(hash) != nullptr) {
    done("");  // a built-in app, or the library is in this process already
    return;
  }
  auto chunk = std::clamp(chunk_bytes, 1, max_chunk);
  self->request(driver, timeout, request_app_library{})
    .then(
      [=](app_library_offer& o) {
        if (o.hash != hash) {
          done("the driver runs library '" + o.hash + "', not " + hash);
          return;
        }
        if (safe_library_name(o.name).empty()) {
          done("the driver offered a library with a bad name '" + o.name + "'");
          return;
        }
        auto d = std::make_shared<download>();
        d->offer = o;
        auto cached = library_cache_path(work_dir, o.hash, o.name);
        std::string err;
        if (hash_file(cached, &err) == o.hash) {
          bool ok = false;
          d->bytes = read_all(cached, &ok);
          if (ok) {
            finish(d, work_dir, done);
            return;
          }
          d->bytes.clear();
        }
        fetch_next(self, driver, d, work_dir, chunk, timeout, done);
      },
      [=](caf::error& e) { done("cannot ask the driver for its library: " + self->system().render(e)); });
}

std::string unpack_driver_library(const std::string& work_dir, driver_description& desc) {
  if (desc.library_hash.empty())
    return {};
  std::string err;
  auto path = store_library(work_dir, desc.library_name, desc.library_hash, desc.library_bytes, &err);
  if (path.empty())
    return err;
  desc.library_bytes.clear();  // on disk now; the description stays small
  // The driver node resolves LIB APP ARGS: the app's name comes first.
  desc.args.insert(desc.args.begin(), desc.app);
  desc.app = path;
  return {};
}

std::string pack_driver_library(const std::string& path, driver_description& desc, int64_t max_bytes) {
  bool ok = false;
  auto bytes = read_all(path, &ok);
  if (!ok)
    return "cannot read library '" + path + "'";
  if (static_cast<int64_t>(bytes.size()) > max_bytes)
    return "library '" + path + "' is " + std::to_string(bytes.size()) + " bytes; a cluster-mode submission carries at most "
           + std::to_string(max_bytes) + " (network.max-frame-size less 1 MiB)";
  desc.library_name = std::filesystem::path(path).filename().string();
  desc.library_hash = sha256_hex(bytes.data(), bytes.size());
  desc.library_bytes = std::move(bytes);
  return {};
}

} // namespace troupe
