#pragma once
// An executor process's memory bound (#13): a sampler thread compares the
// process's resident size with its --executor-memory. Storage gives way to
// execution, as in Spark's unified memory: past a soft level (the bound less
// a headroom of an eighth) the growth points of a task (shuffle buckets,
// combining and grouping maps, cached partitions) first ask the reliever (the
// block store, which spills its oldest blocks) for memory and give freed
// pages back to the system; only past the bound itself, with nothing left to
// spill, do they throw memory_exceeded, so the task fails with a message
// instead of the process growing. The block store also stays under its own
// limit (a fraction of the same memory) by spilling. Started only in an
// executor that is a process of its own: colocated executors share their
// process's RSS with everything else in it.

#include <atomic>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>

namespace troupe {

/// Thrown by a task whose executor is over its memory bound.
struct memory_exceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace memory_guard {

namespace detail {
/// Set by the sampler past the soft level (or by set_over_for_test).
inline std::atomic<bool> over{false};
/// Relieves the process (at most once per sample) or throws memory_exceeded.
void on_pressure();
} // namespace detail

/// Throws memory_exceeded when the process is over its bound and spilling
/// could not bring it back; spills first when it nears the bound (one relaxed
/// load otherwise: cheap enough for a per-row check).
inline void check() {
  if (detail::over.load(std::memory_order_relaxed)) [[unlikely]]
    detail::on_pressure();
}

/// True while the process is past the soft level: a store should not take
/// spilled blocks back into memory then.
inline bool under_pressure() { return detail::over.load(std::memory_order_relaxed); }

/// Asked for `want` bytes when the process nears its bound; returns the bytes
/// it let go (estimates). It must not block on a lock a task may hold while
/// calling check(). An empty function clears it (before what it spills is gone).
using reliever = std::function<size_t(size_t want)>;
void set_reliever(reliever r);

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
/// Where relief starts: the bound less max(bound / 8, 8 MiB), at least half the bound.
size_t soft_limit_bytes(size_t limit);
/// Forces (or stops forcing) the over-the-bound failure (tests).
void set_over_for_test(bool over);

} // namespace memory_guard
} // namespace troupe
