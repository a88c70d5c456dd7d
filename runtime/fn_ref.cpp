#include "runtime/fn_ref.hpp"

#include "runtime/app_library.hpp"

#include <dlfcn.h>
#include <link.h>

namespace troupe::detail {

namespace {
/// The main program's link map (its functions travel as path "").
link_map* main_program() {
  static link_map* lm = [] {
    link_map* m = nullptr;
    void* self = dlopen(nullptr, RTLD_NOW);
    if (self != nullptr)
      dlinfo(self, RTLD_DI_LINKMAP, &m);
    return m;
  }();
  return lm;
}
} // namespace

std::pair<std::string, uint64_t> locate_function(const void* fn) {
  Dl_info info{};
  link_map* lm = nullptr;
  if (dladdr1(fn, &info, reinterpret_cast<void**>(&lm), RTLD_DL_LINKMAP) == 0 || lm == nullptr)
    throw std::runtime_error("cannot locate a function pointer in this process's binaries");
  auto offset = reinterpret_cast<uintptr_t>(fn) - static_cast<uintptr_t>(lm->l_addr);
  // The main program is named by argv[0] in dladdr; use "" for it so the
  // name does not depend on how the process was started.
  std::string path = lm == main_program() ? std::string{} : std::string{lm->l_name};
  // A function of an application library travels relative to that library,
  // named by its content hash: executors load it from another path.
  if (!path.empty())
    if (auto hash = library_hash_of_path(path); !hash.empty())
      path = "lib:" + hash;
  return {path, offset};
}

namespace {
struct search {
  const std::string* path;
  uintptr_t base = 0;
  bool found = false;
};
} // namespace

const void* resolve_function(const std::string& path, uint64_t offset) {
  if (path.empty()) {
    auto* lm = main_program();
    if (lm == nullptr)
      throw decode_error("cannot find this process's main program");
    return reinterpret_cast<const void*>(static_cast<uintptr_t>(lm->l_addr) + offset);
  }
  if (path.rfind("lib:", 0) == 0) {
    auto* lib = loaded_library(path.substr(4));
    if (lib == nullptr)
      throw decode_error("function lives in application library " + path.substr(4)
                         + ", which this process has not loaded");
    return resolve_function(lib->path, offset);
  }
  search s{&path};
  dl_iterate_phdr(
    [](dl_phdr_info* info, size_t, void* data) {
      auto* s = static_cast<search*>(data);
      if (info->dlpi_name != nullptr && *s->path == info->dlpi_name) {
        s->base = info->dlpi_addr;
        s->found = true;
        return 1;
      }
      return 0;
    },
    &s);
  if (!s.found)
    throw decode_error("function lives in '" + path + "', which this process has not loaded");
  return reinterpret_cast<const void*>(s.base + offset);
}

} // namespace troupe::detail
