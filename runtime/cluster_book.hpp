#pragma once
// The master's bookkeeping, as plain code (Spark's Master without its RPC):
// workers, applications, drivers and executors with their states and the
// resources they hold. Each method takes one event and returns what the
// master must do about it, as plain decisions in the order to carry them out.
// Time is passed in, never read here. The master actor decodes messages,
// calls the book and sends what it decided; tests drive the book directly.

#include "runtime/ids.hpp"
#include "runtime/states.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace troupe {

/// Milliseconds on a monotonic clock (heartbeats); the caller chooses the epoch.
using monotonic_ms = int64_t;

/// The book's policy knobs.
struct book_options {
  int32_t worker_timeout_ms = 5000;       ///< worker.timeout: silence before a worker is dead
  bool spread_out = true;                 ///< deploy.spread-out
  int32_t max_executor_failures = 10;     ///< failed executors before the application fails
  size_t retained_applications = 200;     ///< master.retained-applications: finished apps kept
  size_t retained_drivers = 200;          ///< master.retained-drivers: finished drivers kept
  /// master.executor-failures-per-worker: failed executors of one application
  /// on one worker before that worker is excluded for it (Spark's
  /// excludeOnFailure.application.maxFailedExecutorsPerNode).
  int32_t max_failures_per_worker = 2;
  /// driver.max-relaunches: times a supervised driver is relaunched before it fails.
  int32_t max_driver_relaunches = 3;
  /// master.executor-min-uptime: an executor that fails after running this
  /// long was doing its work (a kill, a crash mid-job): its failure counts
  /// neither toward max_executor_failures nor toward its worker's exclusion.
  int32_t executor_min_uptime_ms = 5000;
  /// An application without executors gets its first waiting note after
  /// this long, then one every waiting_note_every_ms (Spark warns after 15 s).
  int32_t waiting_first_note_ms = 2000;
  int32_t waiting_note_every_ms = 15000;
};

// -- what the book is told ---------------------------------------------------------

/// A worker offering itself.
struct worker_offer_info {
  worker_id id;
  std::string host;
  uint16_t port = 0;
  int32_t cores = 0;
  int64_t memory_mb = 0;
  bool operator==(const worker_offer_info&) const = default;
};

/// What an application asks of the cluster, and what status shows about it.
struct app_request {
  std::string name;
  int32_t cores_max = 0;            ///< total executor cores; 0 = all
  int32_t executor_cores = 0;       ///< 0 = all free cores of a worker
  int64_t executor_memory_mb = 1024;
  std::string submit_host;
  std::string driver_host;
  uint16_t driver_port = 0;
  driver_id driver;                 ///< cluster mode: the driver's id
  // Kept so that a restarted master can rebuild the application's description:
  std::vector<std::string> args;
  std::map<std::string, std::string> conf;
  bool operator==(const app_request&) const = default;
};

/// A driver submitted in cluster mode.
struct driver_request {
  std::string app;
  int32_t cores = 1;
  int64_t memory_mb = 1024;
  bool supervise = false;
  std::string submit_host;
  // Kept so that a restarted master can still launch it:
  std::vector<std::string> args;
  std::vector<std::string> conf_args;
  bool operator==(const driver_request&) const = default;
};

// -- master recovery ---------------------------------------------------------------

/// What the book keeps across a master restart: runtime/journal writes it
/// down and replays it; executors are not in it (their workers report them).
struct book_image {
  struct worker {
    worker_offer_info offer;
    worker_state state = worker_state::alive;
    bool operator==(const worker&) const = default;
  };
  struct app {
    app_id id;
    app_request request;
    app_state state = app_state::waiting;
    int64_t start_ms = 0;
    int32_t next_executor = 0;
    bool operator==(const app&) const = default;
  };
  struct driver {
    driver_id id;
    driver_request request;
    driver_state state = driver_state::submitted;
    worker_id worker;
    int64_t start_ms = 0;
    std::string message;
    bool operator==(const driver&) const = default;
  };
  std::map<worker_id, worker> workers;
  std::map<app_id, app> apps;
  std::map<driver_id, driver> drivers;
  bool empty() const { return workers.empty() && apps.empty() && drivers.empty(); }
  bool operator==(const book_image&) const = default;
};

/// An executor a (re-)registering worker still runs.
struct reported_executor {
  app_id app;
  executor_id exec;
  int32_t cores = 0;
  int64_t memory_mb = 0;
};

/// A cluster-mode driver a (re-)registering worker runs, or one that ended
/// while the worker had no master to tell.
struct reported_driver {
  driver_id id;
  driver_state state = driver_state::running;
  std::string message;
};

/// How a driver's re-registration of its application went.
enum class reregistration { confirmed, accepted, refused };

// -- what the book decides -----------------------------------------------------------

/// Tell worker `worker` to start executor `exec` of `app`.
struct launch_executor_order {
  app_id app;
  executor_id exec;
  worker_id worker;
  int32_t cores = 0;
  int64_t memory_mb = 0;
};
/// Tell worker `worker` to stop executor `exec` of `app`.
struct kill_executor_order {
  worker_id worker;
  app_id app;
  executor_id exec;
};
/// Tell worker `worker` to start driver `driver`.
struct launch_driver_order {
  driver_id driver;
  worker_id worker;
};
/// Tell worker `worker` to stop driver `driver`.
struct kill_driver_order {
  worker_id worker;
  driver_id driver;
};
/// Tell the driver of `app` that it has a new executor.
struct executor_added_note {
  app_id app;
  executor_id exec;
  worker_id worker;
  std::string host;
  int32_t cores = 0;
};
/// Tell the driver of `app` that one of its executors is gone.
struct executor_removed_note {
  app_id app;
  executor_id exec;
  executor_state state = executor_state::lost;
  std::string message;
};
/// Tell the driver of `app` that the master ended its application.
struct app_state_note {
  app_id app;
  app_state state = app_state::failed;
  std::string message;
};
/// Tell the driver of `app` that no alive worker can host its executors, and why.
struct app_waiting_note {
  app_id app;
  std::string message;
};
/// The book dropped a finished application (retention): forget what is kept beside it.
struct app_forgotten {
  app_id app;
};
/// The book dropped a finished driver (retention).
struct driver_forgotten {
  driver_id driver;
};

/// One thing the master must do, in order.
using book_decision = std::variant<launch_executor_order, kill_executor_order, launch_driver_order, kill_driver_order,
                                   executor_added_note, executor_removed_note, app_state_note, app_forgotten,
                                   driver_forgotten, app_waiting_note>;
using book_decisions = std::vector<book_decision>;

// -- what the book holds (read-only views for status and tests) ----------------------

/// A worker as the book knows it.
struct worker_record {
  worker_offer_info offer;
  worker_state state = worker_state::alive;
  int32_t cores_used = 0;
  int64_t memory_used = 0;
  monotonic_ms last_heartbeat = 0;
  std::set<std::pair<app_id, executor_id>> executors;
  std::set<driver_id> drivers;
};

/// An executor of an application.
struct executor_record {
  worker_id worker;
  int32_t cores = 0;
  int64_t memory_mb = 0;
  executor_state state = executor_state::launching;
  monotonic_ms running_since = -1;            ///< when its worker reported it running; -1: not yet
};

/// An application registered by its driver.
struct app_record {
  app_id id;
  app_request request;
  app_state state = app_state::waiting;
  int64_t start_ms = 0;                       ///< unix time of registration
  std::map<executor_id, executor_record> executors;
  std::set<worker_id> ran_on;                 ///< every worker given one of its executors
  int32_t cores_granted = 0;
  int32_t next_executor = 0;
  int32_t executor_failures = 0;
  std::map<worker_id, int32_t> failures_on;  ///< failed executors per worker
  /// Workers that failed its executors max_failures_per_worker times: it gets
  /// no executors there while others can take them (a last resort when it has none).
  std::set<worker_id> excluded;
  /// Executors this book released: a worker that reports one later (it lost
  /// its master meanwhile) is told to kill it, not given it back.
  std::set<executor_id> gone;
  /// While it has no executor: why no alive worker can host one ("" otherwise).
  std::string waiting_reason;
  monotonic_ms waiting_since = -1;            ///< first seen without executors (waiting_notes' clock)
  monotonic_ms last_waiting_note = -1;        ///< when its driver was last told
};

/// A cluster-mode driver.
struct driver_record {
  driver_id id;
  driver_request request;
  driver_state state = driver_state::submitted;
  worker_id worker;                           ///< where it runs (empty until placed)
  int64_t start_ms = 0;                       ///< unix time of submission
  std::string message;
  int32_t relaunches = 0;                     ///< supervised: times it was relaunched so far
};

/// How a worker registration went.
enum class registration { accepted, refreshed, refused };

/// Workers, applications, drivers and executors of one master.
class cluster_book {
public:
  explicit cluster_book(book_options opts = {});

  // -- workers ------------------------------------------------------------------------
  /// A worker registers. A known alive worker's retry only refreshes its
  /// heartbeat (its accounts stay); one without cores or memory is refused
  /// with `error` set. Newly accepted workers get waiting work.
  registration register_worker(const worker_offer_info& w, monotonic_ms now, book_decisions& out,
                               std::string& error);
  /// The same for a worker that already runs executors and drivers (it
  /// re-registers after losing its master): before anything is placed, what
  /// it runs is adopted when the book expects it there (a recovered
  /// application, a driver recorded on it) and killed otherwise (an unknown
  /// or finished application, an executor the book already wrote off).
  registration register_worker(const worker_offer_info& w, monotonic_ms now, book_decisions& out,
                               std::string& error, const std::vector<reported_executor>& executors,
                               const std::vector<reported_driver>& drivers);
  /// A heartbeat; false if the worker is unknown or not alive (it should register again).
  bool heartbeat(const worker_id& id, monotonic_ms now);
  /// A worker is gone (its actor went down, or it missed heartbeats): its
  /// executors are lost, their applications told, its drivers recorded
  /// failed, and the work is placed again on the remaining workers.
  /// `clean`: it said so (logged as info, not as a warning).
  book_decisions worker_lost(const worker_id& id, const std::string& why, bool clean = false);
  /// A worker is shutting down cleanly: as lost, then decommissioned.
  book_decisions worker_stopping(const worker_id& id);
  /// Every alive worker silent for more than worker_timeout_ms is lost.
  book_decisions check_heartbeats(monotonic_ms now);
  bool is_alive(const worker_id& id) const;

  // -- applications -------------------------------------------------------------------
  /// A driver registers application `id` (the caller makes ids); false if
  /// the id is taken. Executors for it go to `out`.
  bool register_application(const app_id& id, app_request req, int64_t start_unix_ms, book_decisions& out);
  /// The application ended (its driver said so): executors killed.
  book_decisions unregister_application(const app_id& app, app_state final_state);
  /// The application's driver went away without unregistering: it failed.
  book_decisions driver_gone(const app_id& app);
  /// Ends an application on request (killed); its driver is told.
  book_decisions kill_application(const app_id& app, const std::string& why);
  /// A worker reports an executor's state at `now`. A finished executor
  /// frees its resources and is reported to its driver. A failed one that
  /// ran less than executor_min_uptime_ms counts toward its worker's
  /// exclusion and toward max_executor_failures; the application fails only
  /// at that limit with no executor left running (Spark's rule). Executors
  /// lost with their worker never count.
  book_decisions executor_state_changed(const app_id& app, const executor_id& exec, executor_state state,
                                        const std::string& message, monotonic_ms now);
  /// Warnings for applications that no alive worker can host: the first once
  /// one has been without executors for waiting_first_note_ms, then one every
  /// waiting_note_every_ms while it still has none. Call it on every tick.
  book_decisions waiting_notes(monotonic_ms now);

  // -- drivers ------------------------------------------------------------------------
  /// Driver `id` is submitted (cluster mode; the caller makes ids); false if
  /// the id is taken. Its placement goes to `out`.
  bool submit_driver(const driver_id& id, driver_request req, int64_t start_unix_ms, book_decisions& out);
  /// Kills a driver on request; nullptr for an unknown id. A finished driver stays as it was.
  const driver_record* kill_driver(const driver_id& id, book_decisions& out);
  /// Worker `from` reports a driver's state; "killed" is kept over a killed
  /// driver's exit, and a report from a worker the driver no longer runs on
  /// (an earlier attempt's) is ignored. A supervised driver that failed is
  /// relaunched (see relaunches); one that exits 0 is finished. An empty
  /// `from` is accepted from any worker.
  book_decisions driver_state_changed(const driver_id& id, driver_state state, const std::string& message,
                                      const worker_id& from = {});

  // -- master recovery ----------------------------------------------------------------
  /// What a restarted master needs to rebuild this book (see runtime/journal).
  book_image image() const;
  /// Loads what a previous master recorded and starts recovering: alive
  /// workers become `unknown` until they register again, unfinished
  /// applications wait for their drivers, running drivers for their workers;
  /// nothing is placed until complete_recovery.
  void restore(const book_image& img, monotonic_ms now);
  bool recovering() const { return recovering_; }
  /// True when every recovered worker and application has answered.
  bool recovery_answered() const;
  /// A driver registers application `id` again (it lost its master, or was
  /// told master_changed). A recovered application is confirmed; an unknown
  /// id (a master restarted without recovery) is accepted under that id; one
  /// the book already ended is refused with `error` (its driver must stop).
  /// `next_executor`: the driver's hint, so that executor ids are not reused.
  reregistration reregister_application(const app_id& id, app_request req, int32_t next_executor,
                                        int64_t start_unix_ms, book_decisions& out, std::string& error);
  /// Ends recovery as Spark's completeRecovery does: workers that did not
  /// register again are dead, applications whose driver did not answer are
  /// finished, drivers no worker reported are failed; then work is placed.
  book_decisions complete_recovery();

  // -- views --------------------------------------------------------------------------
  const std::map<worker_id, worker_record>& workers() const { return workers_; }
  const std::map<app_id, app_record>& apps() const { return apps_; }
  const std::map<driver_id, driver_record>& drivers() const { return drivers_; }
  const worker_record* worker(const worker_id& id) const;
  const app_record* app(const app_id& id) const;
  const driver_record* driver(const driver_id& id) const;
  const book_options& options() const { return opts_; }

  /// Whether a driver that failed or lost its worker is relaunched: it is
  /// supervised and was relaunched fewer than max_driver_relaunches times.
  bool relaunches(const driver_record& d) const;

private:
  /// Places submitted drivers first (as Spark does), then executors.
  void schedule(book_decisions& out);
  void schedule_drivers(book_decisions& out);
  void release_executor(app_record& app, const executor_id& exec);
  void release_driver(driver_record& d);
  void finish_app(app_record& app, app_state final_state, book_decisions& out);
  void finish_driver(driver_record& d, driver_state final_state, const std::string& message, book_decisions& out);
  /// A running driver ended or lost its worker (`why`): relaunched if it is
  /// supervised and has relaunches left, else ended `failed`.
  void driver_failed(driver_record& d, const std::string& why, book_decisions& out);
  /// Why `app` gets no executor from the alive workers' free offers.
  std::string waiting_reason(const app_record& app);
  /// Drops the oldest finished applications/drivers beyond the retention bounds.
  void retain(book_decisions& out);
  /// Alive workers, in id order.
  std::vector<worker_record*> alive_workers();

  book_options opts_;
  std::map<worker_id, worker_record> workers_;
  std::map<app_id, app_record> apps_;          // ordered by id = registration order
  std::map<driver_id, driver_record> drivers_;
  std::deque<app_id> finished_apps_;           // oldest first
  std::deque<driver_id> finished_drivers_;     // oldest first
  size_t driver_rotation_ = 0;
  // Master recovery: what restore loaded and has not answered yet.
  bool recovering_ = false;
  std::set<app_id> unconfirmed_apps_;
  std::set<driver_id> unconfirmed_drivers_;
  /// Adopts or kills what a re-registering worker reports (register_worker).
  void claim(worker_record& w, const std::vector<reported_executor>& executors,
             const std::vector<reported_driver>& drivers, book_decisions& out);
};

} // namespace troupe
