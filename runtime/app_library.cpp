#include "runtime/app_library.hpp"

#include "runtime/app_registry.hpp"

#include <openssl/evp.h>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <list>
#include <mutex>
#include <sstream>

namespace troupe {

namespace {

struct library_table {
  std::mutex load_mtx;  // one load at a time: registrations are attributed to it
  std::mutex mtx;
  std::list<library_info> loaded;  // node-based: pointers stay valid
  std::string loading;
};

library_table& libs() {
  static library_table instance;
  return instance;
}

std::string to_hex(const unsigned char* d, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    out += digits[d[i] >> 4];
    out += digits[d[i] & 15];
  }
  return out;
}

bool read_file(const std::string& path, std::string& out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error)
      *error = "cannot read '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

/// The stamp TROUPE_APP left in the file ("troupe-abi:...;"), or "".
std::string find_stamp(const std::string& bytes) {
  static const std::string marker = std::string("troupe-abi") + ":";
  auto at = bytes.find(marker);
  if (at == std::string::npos)
    return {};
  auto end = bytes.find(';', at);
  if (end == std::string::npos || end - at > 64)
    return {};
  return bytes.substr(at, end - at + 1);
}

} // namespace

bool names_library(const std::string& app) {
  return app.find('/') != std::string::npos || (app.size() > 3 && app.compare(app.size() - 3, 3, ".so") == 0)
         || app.find(".so.") != std::string::npos;
}

std::string sha256_hex(const char* data, size_t size) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data, size, md, &n, EVP_sha256(), nullptr);
  return to_hex(md, n);
}

std::string hash_file(const std::string& path, std::string* error) {
  std::string bytes;
  if (!read_file(path, bytes, error))
    return {};
  return sha256_hex(bytes.data(), bytes.size());
}

const char* expected_abi_stamp() {
  return TROUPE_ABI_STAMP;
}

library_load load_app_library(const std::string& path) {
  library_load r;
  std::string bytes;
  if (!read_file(path, bytes, &r.error))
    return r;
  if (bytes.size() < 18 || bytes.compare(0, 4, "\x7f" "ELF") != 0) {
    r.error = "'" + path + "' is not a shared library (no ELF header)";
    return r;
  }
  uint16_t type = 0;
  std::memcpy(&type, bytes.data() + 16, 2);
  if (type != 3) {  // ET_DYN
    r.error = "'" + path + "' is an ELF file but not a shared library (build it with -shared -fPIC)";
    return r;
  }
  auto stamp = find_stamp(bytes);
  if (stamp.empty()) {
    r.error = "'" + path + "' registers no troupe application (no TROUPE_APP in it)";
    return r;
  }
  if (stamp != expected_abi_stamp()) {
    r.error = "'" + path + "' was built against another troupe (" + stamp.substr(0, stamp.size() - 1)
              + ", this troupe is " + std::string(expected_abi_stamp(), std::strlen(expected_abi_stamp()) - 1)
              + "): rebuild it against this troupe's headers";
    return r;
  }
  std::error_code ec;
  auto abs = std::filesystem::canonical(path, ec);
  r.info.path = ec ? path : abs.string();
  r.info.name = std::filesystem::path(path).filename().string();
  r.info.hash = sha256_hex(bytes.data(), bytes.size());
  r.info.size = static_cast<int64_t>(bytes.size());
  auto& t = libs();
  std::lock_guard load_guard{t.load_mtx};
  if (auto* known = loaded_library(r.info.hash)) {
    r.info = *known;
  } else {
    {
      std::lock_guard guard{t.mtx};
      t.loading = r.info.hash;
    }
    void* h = dlopen(r.info.path.c_str(), RTLD_NOW | RTLD_LOCAL);
    {
      std::lock_guard guard{t.mtx};
      t.loading.clear();
    }
    if (h == nullptr) {
      const char* why = dlerror();
      r.error = "cannot load '" + path + "': " + (why ? why : "dlopen failed");
      return r;
    }
    std::lock_guard guard{t.mtx};
    t.loaded.push_back(r.info);
  }
  for (auto* a : library_apps(r.info.hash))
    r.apps.push_back(a->name);
  if (r.apps.empty())
    r.error = "'" + path + "' registers no troupe application (its TROUPE_APP registrations did not run)";
  return r;
}

const library_info* loaded_library(const std::string& hash) {
  auto& t = libs();
  std::lock_guard guard{t.mtx};
  for (auto& l : t.loaded)
    if (l.hash == hash)
      return &l;
  return nullptr;
}

const library_info* main_app_library() {
  auto& t = libs();
  std::lock_guard guard{t.mtx};
  return t.loaded.empty() ? nullptr : &t.loaded.front();
}

std::string library_hash_of_path(const std::string& path) {
  auto& t = libs();
  std::lock_guard guard{t.mtx};
  for (auto& l : t.loaded)
    if (l.path == path)
      return l.hash;
  return {};
}

std::string resolve_library_app(std::string& app, std::vector<std::string>& args, library_info* loaded) {
  auto lib = load_app_library(app);
  if (!lib.error.empty())
    return lib.error;
  if (loaded)
    *loaded = lib.info;
  auto has = [&](const std::string& n) { return std::find(lib.apps.begin(), lib.apps.end(), n) != lib.apps.end(); };
  std::string names;
  for (auto& n : lib.apps)
    names += (names.empty() ? "" : ", ") + n;
  if (!args.empty() && has(args.front())) {
    app = args.front();
    args.erase(args.begin());
    return {};
  }
  if (lib.apps.size() == 1) {
    app = lib.apps.front();
    return {};
  }
  if (args.empty())
    return "'" + lib.info.name + "' holds several applications (" + names + "): name the one to run after it";
  return "no application '" + args.front() + "' in '" + lib.info.name + "'; it holds: " + names;
}

std::string describe_library(const std::string& path, std::string& out) {
  auto lib = load_app_library(path);
  if (!lib.error.empty())
    return lib.error;
  std::ostringstream os;
  for (auto* a : library_apps(lib.info.hash))
    os << a->name << "\n    usage: troupe submit --master MASTER " << path << " " << a->usage << "\n    "
       << a->description << "\n";
  out = os.str();
  return {};
}

std::string safe_library_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos
      || name.find('\0') != std::string::npos || name.size() > 200)
    return {};
  return name;
}

std::string library_cache_path(const std::string& work_dir, const std::string& hash, const std::string& name) {
  return work_dir + "/libraries/" + hash + "/" + name;
}

std::string store_library(const std::string& work_dir, const std::string& name, const std::string& hash,
                          const std::string& bytes, std::string* error) {
  auto safe = safe_library_name(name);
  if (safe.empty() || hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
    *error = "bad library name '" + name + "' or hash '" + hash + "'";
    return {};
  }
  if (sha256_hex(bytes.data(), bytes.size()) != hash) {
    *error = "library '" + name + "' arrived damaged (its content does not have hash " + hash + ")";
    return {};
  }
  auto path = library_cache_path(work_dir, hash, safe);
  std::string known_error;
  if (std::filesystem::exists(path) && hash_file(path, &known_error) == hash)
    return path;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) {
    *error = "cannot create the library cache for " + path + ": " + ec.message();
    return {};
  }
  auto tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      *error = "cannot write " + tmp;
      return {};
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    *error = "cannot store " + path + ": " + ec.message();
    return {};
  }
  return path;
}

namespace detail {
const std::string& library_being_loaded() {
  // Read only by the loading thread (registrars run inside dlopen), under load_mtx.
  return libs().loading;
}
} // namespace detail

} // namespace troupe
