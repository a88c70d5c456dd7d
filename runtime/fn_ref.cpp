#include "runtime/fn_ref.hpp"

#include <dlfcn.h>
#include <link.h>

namespace troupe::detail {

std::pair<std::string, uint64_t> locate_function(const void* fn) {
  Dl_info info{};
  if (dladdr(fn, &info) == 0 || info.dli_fbase == nullptr)
    throw std::runtime_error("cannot locate a function pointer in this process's binaries");
  auto offset = reinterpret_cast<uintptr_t>(fn) - reinterpret_cast<uintptr_t>(info.dli_fbase);
  // The main program is named by argv[0] in dladdr; use "" for it so the
  // name does not depend on how the process was started.
  Dl_info self{};
  dladdr(reinterpret_cast<const void*>(&locate_function), &self);
  std::string path = info.dli_fbase == self.dli_fbase ? std::string{} : std::string{info.dli_fname};
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
    Dl_info self{};
    dladdr(reinterpret_cast<const void*>(&resolve_function), &self);
    return reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(self.dli_fbase) + offset);
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
