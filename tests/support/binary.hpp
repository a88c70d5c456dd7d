#pragma once
// Where the tests find the troupe binary they run.

#include "tests/support/process.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace troupe::testing {

/// The troupe binary as built: $TROUPE_BIN (set by meson), else the one next
/// to this test binary (both live in the build dir), else build/troupe of the
/// source tree this file belongs to, else build/troupe from the current
/// directory.
inline std::string built_troupe_binary() {
  if (const char* env = std::getenv("TROUPE_BIN"); env != nullptr && *env != '\0')
    return env;
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    candidates.push_back(exe.parent_path() / "troupe");
  fs::path here{__FILE__};  // <root>/tests/support/binary.hpp, or relative to the build dir
  fs::path root = here.parent_path().parent_path().parent_path();
  if (!here.is_absolute() && !ec)
    root = exe.parent_path() / root;
  candidates.push_back(root / "build" / "troupe");
  candidates.push_back("build/troupe");
  candidates.push_back("../build/troupe");
  for (auto& c : candidates)
    if (fs::is_regular_file(c))
      return fs::absolute(c).string();
  return "build/troupe";
}

/// A private copy of the built binary, made on first use and removed at
/// exit: a rebuild while the suite runs (ninja relinks build/troupe in place)
/// must not pull the binary from under running tests. Taken only once
/// `troupe apps` runs from it; falls back to the built binary.
class binary_snapshot {
public:
  binary_snapshot() {
    namespace fs = std::filesystem;
    auto built = built_troupe_binary();
    path_ = built;
    std::string tmpl = "/tmp/troupe-itest-bin-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      return;
    dir_ = tmpl;
    auto copy = (dir_ / "troupe").string();
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30); std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(std::chrono::milliseconds(500))) {
      std::error_code ec;
      fs::copy_file(built, copy, fs::copy_options::overwrite_existing, ec);
      if (ec)
        continue;
      // The runtime is a shared library found next to the binary ($ORIGIN): copy it too.
      for (auto& e : fs::directory_iterator(fs::path(built).parent_path(), ec))
        if (e.path().filename().string().rfind("libtroupe_runtime.so", 0) == 0)
          fs::copy_file(e.path(), dir_ / e.path().filename(), fs::copy_options::overwrite_existing, ec);
      auto r = troupe::testing::run_command({copy, "apps"}, std::chrono::seconds(10));
      if (r.exit_code == 0 && r.out.find("word_count") != std::string::npos) {
        path_ = copy;
        return;
      }
    }
  }
  ~binary_snapshot() {
    std::error_code ec;
    if (!dir_.empty())
      std::filesystem::remove_all(dir_, ec);
  }
  const std::string& path() const { return path_; }

private:
  std::filesystem::path dir_;
  std::string path_;
};

/// The troupe binary every test runs (see binary_snapshot).
inline std::string troupe_binary() {
  static binary_snapshot snapshot;
  return snapshot.path();
}

} // namespace troupe::testing
