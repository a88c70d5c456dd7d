#pragma once
// Seeded chaos: a fault schedule drawn from a seed and a cluster's shape. Plain
// code, no processes: the runner (actors/local_cluster) plays the schedule on
// the processes it started; the same seed and shape give the same schedule, so
// a failing run is replayed by its seed.
//
// What a schedule holds, in time order:
// - a fault every `interval_ms` on average (uniform in [interval/2, 3*interval/2)),
//   up to `max_faults` of them (so that a job under chaos still ends):
//   SIGKILL or SIGSTOP of a worker, an executor, a (supervised) driver, or
//   SIGKILL of the master (only with a recovery dir);
// - for every SIGSTOP, its SIGCONT after a pause in [interval/4, 2*interval];
// - for every killed worker (and the master), its restart with the same
//   command line `restart_delay_ms` later.
// A worker counts as down from its SIGKILL to its restart and from its SIGSTOP
// to its SIGCONT; a worker fault is drawn only while fewer than N-1 workers are
// down, so at least one worker is always up and a cluster of 1 worker gets no
// worker faults at all. Executor and driver targets are ordinals among those
// running when the fault fires (the runner resolves them then, and skips the
// fault when there is none).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace troupe {

/// What the runner does to a target.
enum class chaos_action : uint8_t {
  kill,     ///< SIGKILL
  stop,     ///< SIGSTOP (a SIGCONT event follows)
  resume,   ///< SIGCONT of what the paired stop froze
  restart,  ///< start a killed worker or master again, with the same command line
};

/// Which kind of process an event targets.
enum class chaos_target : uint8_t { worker, executor, driver, master };

/// "SIGKILL", "SIGSTOP", "SIGCONT", "restart".
std::string_view to_string(chaos_action a);
/// "worker", "executor", "driver", "master".
std::string_view to_string(chaos_target t);

/// The cluster a schedule is drawn for.
struct chaos_shape {
  int32_t workers = 1;              ///< N
  bool supervised_drivers = false;  ///< cluster-mode drivers run with --supervise: they may be faulted
  bool recovery = false;            ///< the master has a recovery dir: it may be killed and restarted
};

/// How a schedule is drawn.
struct chaos_options {
  uint64_t seed = 1;
  int64_t interval_ms = 2000;       ///< mean time between faults
  int64_t horizon_ms = 3600000;     ///< no event after this time
  bool freeze = true;               ///< draw SIGSTOP/SIGCONT faults too (false: SIGKILL only)
  int64_t restart_delay_ms = 0;     ///< kill -> restart of a worker/master; 0 = interval/2
  int32_t max_faults = 0;           ///< at most this many faults (then the run goes undisturbed); 0 = no limit
};

/// One step of a schedule.
struct chaos_event {
  int64_t at_ms = 0;          ///< from the start of the run
  chaos_action action = chaos_action::kill;
  chaos_target target = chaos_target::worker;
  /// worker: its index (0..N-1); executor, driver: an ordinal among those
  /// running at fire time (taken modulo their number); master: 0.
  int32_t index = 0;
  /// resume and restart: the position in the schedule of the fault they undo; else -1.
  int32_t undoes = -1;
};

/// "t=1.234s SIGKILL worker 2" (for logs and test messages).
std::string describe(const chaos_event& e);

/// The schedule for a seed and a shape: faults and their undo events, sorted
/// by time (ties keep the order they were drawn in).
std::vector<chaos_event> chaos_schedule(const chaos_options& o, const chaos_shape& shape);

/// splitmix64: the same numbers on every platform and standard library.
class chaos_rng {
public:
  explicit chaos_rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  /// A number in [0, n); n > 0 (modulo: the tiny bias does not matter here).
  uint64_t below(uint64_t n) { return next() % n; }

private:
  uint64_t state_;
};

} // namespace troupe
