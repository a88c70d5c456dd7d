#include "runtime/memory_guard.hpp"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <thread>

namespace troupe::memory_guard {

namespace {
std::atomic<size_t> limit{0};
std::atomic<size_t> last_rss{0};
std::atomic<uint64_t> samples{0};       // sample generation: relief runs once per sample
std::atomic<uint64_t> relieved_at{~uint64_t{0}};
std::atomic<bool> forced{false};
std::mutex relief_mtx;                  // one relief at a time; guards the reliever
reliever relieve_fn;
std::once_flag started;

void sample() {
  auto rss = resident_bytes();
  last_rss.store(rss, std::memory_order_relaxed);
  auto l = limit.load(std::memory_order_relaxed);
  samples.fetch_add(1, std::memory_order_relaxed);
  detail::over.store(forced.load(std::memory_order_relaxed) || (l > 0 && rss > soft_limit_bytes(l)),
                     std::memory_order_relaxed);
}

[[noreturn]] void raise() {
  auto mib = [](size_t b) { return std::to_string(b >> 20); };
  throw memory_exceeded("executor memory exceeded: resident " + mib(last_rss.load()) + " MiB over the bound of " +
                        mib(limit.load()) + " MiB (--executor-memory); the task stopped instead of growing "
                        "(give executors more memory, or the job more partitions)");
}
} // namespace

size_t soft_limit_bytes(size_t l) {
  size_t headroom = std::max(l / 8, size_t{8} << 20);
  return l - std::min(headroom, l / 2);
}

void detail::on_pressure() {
  if (forced.load(std::memory_order_relaxed))
    raise();
  auto l = limit.load(std::memory_order_relaxed);
  if (l == 0)
    return;
  // Within one sample period the answer stands: per-row callers pay two loads.
  auto gen = samples.load(std::memory_order_relaxed);
  if (relieved_at.load(std::memory_order_relaxed) != gen) {
    std::lock_guard guard{relief_mtx};
    if (relieved_at.load(std::memory_order_relaxed) != gen) {
      auto rss = resident_bytes();
      auto soft = soft_limit_bytes(l);
      size_t freed = 0;
      if (rss > soft && relieve_fn)
        freed = relieve_fn(rss - soft + (l - soft) / 2);  // down to halfway into the headroom
      // Spilled rows are small allocations: free() keeps their pages until trimmed.
      if (freed > 0 || rss > l) {
        ::malloc_trim(0);
        rss = resident_bytes();
      }
      last_rss.store(rss, std::memory_order_relaxed);
      over.store(rss > soft, std::memory_order_relaxed);
      relieved_at.store(gen, std::memory_order_relaxed);
    }
  }
  if (last_rss.load(std::memory_order_relaxed) > l)
    raise();
}

void set_reliever(reliever r) {
  std::lock_guard guard{relief_mtx};
  relieve_fn = std::move(r);
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

void set_over_for_test(bool over) {
  forced.store(over);
  detail::over.store(over);
}

} // namespace troupe::memory_guard
