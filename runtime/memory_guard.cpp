#include "runtime/memory_guard.hpp"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

namespace troupe::memory_guard {

namespace {
std::atomic<size_t> limit{0};
std::atomic<size_t> last_rss{0};
std::once_flag started;

void sample() {
  auto rss = resident_bytes();
  last_rss.store(rss, std::memory_order_relaxed);
  auto l = limit.load(std::memory_order_relaxed);
  detail::over.store(l > 0 && rss > l, std::memory_order_relaxed);
}
} // namespace

void detail::raise() {
  auto mib = [](size_t b) { return std::to_string(b >> 20); };
  throw memory_exceeded("executor memory exceeded: resident " + mib(last_rss.load()) + " MiB over the bound of " +
                        mib(limit.load()) + " MiB (--executor-memory); the task stopped instead of growing "
                        "(give executors more memory, or the job more partitions)");
}

size_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr)
    return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<size_t>(resident) * static_cast<size_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

size_t peak_resident_bytes() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<size_t>(ru.ru_maxrss) * 1024;
}

size_t limit_bytes() { return limit.load(); }

void start(size_t limit_bytes, int period_ms) {
  limit.store(limit_bytes);
  std::call_once(started, [period_ms] {
    auto period = std::chrono::milliseconds(period_ms > 0 ? period_ms : 10);
    // Detached: it only reads /proc and stores two atomics, so ending with
    // the process is harmless.
    std::thread([period] {
      for (;;) {
        sample();
        std::this_thread::sleep_for(period);
      }
    }).detach();
  });
  sample();
}

void relieve() {
  ::malloc_trim(0);
  sample();
}

void set_over_for_test(bool over) { detail::over.store(over); }

} // namespace troupe::memory_guard
