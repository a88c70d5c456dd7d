#pragma once
// An executor process's memory bound (#13): a sampler thread compares the
// process's resident size with its --executor-memory; past it, the growth
// points of a task (shuffle buckets, combining and grouping maps, cached
// partitions) throw memory_exceeded, so the task fails with a message
// instead of the process growing. The block store stays under its own
// limit (a fraction of the same memory) by spilling. Started only in an
// executor that is a process of its own: colocated executors share their
// process's RSS with everything else in it.

#include <atomic>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace troupe {

/// Thrown by a task whose executor is over its memory bound.
struct memory_exceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace memory_guard {

namespace detail {
inline std::atomic<bool> over{false};
[[noreturn]] void raise();
} // namespace detail

/// Throws memory_exceeded when the process is over its bound (one relaxed
/// load otherwise: cheap enough for a per-row check).
inline void check() {
  if (detail::over.load(std::memory_order_relaxed)) [[unlikely]]
    detail::raise();
}

/// Starts sampling this process's RSS every `period_ms` against `limit_bytes`
/// (0 = no bound). Once per process; later calls change the limit.
void start(size_t limit_bytes, int period_ms = 10);
/// After a task failed: returns freed memory to the system and samples again,
/// so the next task is not refused for memory the failed one held.
void relieve();
/// Resident bytes of this process now (/proc/self/statm).
size_t resident_bytes();
/// Peak resident bytes of this process so far (getrusage).
size_t peak_resident_bytes();
/// The bound given to start (0 when none).
size_t limit_bytes();
/// Sets or clears the over-the-bound flag directly (tests).
void set_over_for_test(bool over);

} // namespace memory_guard
} // namespace troupe
