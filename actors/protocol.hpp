#pragma once
// Every message between the roles, sectioned by direction, each with its
// inspect overload right below it. The same structs travel inside one
// process and across the network: deploy modes differ only in where actors live.

#include "runtime/ids.hpp"
#include "runtime/states.hpp"
#include "runtime/task_counters.hpp"

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace caf { class actor_system_config; }

namespace troupe {

/// Registers every message type below with CAF (both ends of a connection must).
void register_protocol(caf::actor_system_config& cfg);

// -- atoms (timers and wake-ups inside one actor) -------------------------------

using tick_atom = caf::atom_constant<caf::atom("tick")>;
constexpr tick_atom tick_v{};
using wake_atom = caf::atom_constant<caf::atom("wake")>;
constexpr wake_atom wake_v{};

// -- deploy -> node (in one process) ---------------------------------------------

/// A published master learns the URL it is reachable at.
struct master_started {
  std::string url;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, master_started& x) {
  return f(caf::meta::type_name("master_started"), x.url);
}

/// A published worker learns its id and port, then registers.
struct worker_identity {
  worker_id id;
  uint16_t port = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_identity& x) {
  return f(caf::meta::type_name("worker_identity"), x.id, x.port);
}

// -- shared descriptions --------------------------------------------------------

/// What an application needs from the cluster and how to run it.
struct app_description {
  std::string name;                          ///< registered application name
  std::vector<std::string> args;
  std::map<std::string, std::string> conf;   ///< --conf pairs, forwarded to executors
  int32_t cores_max = 0;                     ///< total executor cores; 0 = all
  int32_t executor_cores = 0;                ///< 0 = all free cores of a worker
  int64_t executor_memory_mb = 1024;
  std::string submit_host;                   ///< where the submission came from
  std::string driver_host;                   ///< where the driver actor runs
  uint16_t driver_port = 0;                  ///< where executors reach the driver
  driver_id driver;                          ///< cluster mode: the driver's id; empty in client mode
  std::string ui_url;                        ///< the driver's web UI ("" = none); filled by the driver
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, app_description& x) {
  return f(caf::meta::type_name("app_description"), x.name, x.args, x.conf, x.cores_max, x.executor_cores,
           x.executor_memory_mb, x.submit_host, x.driver_host, x.driver_port, x.driver, x.ui_url);
}

/// A driver submitted in cluster mode.
struct driver_description {
  std::string app;
  std::vector<std::string> args;
  std::vector<std::string> conf_args;        ///< --conf k=v ... for the driver process
  int32_t cores = 1;
  int64_t memory_mb = 1024;
  bool supervise = false;
  std::string submit_host;
  // An application library submitted with the driver (troupe submit LIB.so):
  // the worker that launches the driver keeps it in its cache by hash.
  std::string library_name;                  ///< "libmyjob.so"; empty = a built-in app
  std::string library_hash;                  ///< SHA-256 of library_bytes, hex
  std::string library_bytes;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, driver_description& x) {
  return f(caf::meta::type_name("driver_description"), x.app, x.args, x.conf_args, x.cores, x.memory_mb,
           x.supervise, x.submit_host, x.library_name, x.library_hash, x.library_bytes);
}

// -- worker -> master ---------------------------------------------------------

/// An executor a worker still runs when it registers again (it lost its master).
struct running_executor {
  app_id app;
  executor_id exec;
  int32_t cores = 0;
  int64_t memory_mb = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, running_executor& x) {
  return f(caf::meta::type_name("running_executor"), x.app, x.exec, x.cores, x.memory_mb);
}

/// A cluster-mode driver a worker reports when it registers again: running,
/// or ended while the worker had no master to tell.
struct running_driver {
  driver_id driver;
  driver_state state = driver_state::running;
  std::string message;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, running_driver& x) {
  return f(caf::meta::type_name("running_driver"), x.driver, x.state, x.message);
}

/// A worker offers itself; answered with registered_worker or an error.
/// A worker that lost its master registers again with what it still runs
/// (`executors`) and its drivers: running ones, and those that ended while
/// it had no master to tell; the master adopts what it expects and has the
/// rest killed.
struct register_worker {
  worker_id id;
  std::string host;
  uint16_t port = 0;
  int32_t cores = 0;
  int64_t memory_mb = 0;
  std::string work_dir;
  caf::actor worker;
  std::vector<running_executor> executors{};
  std::vector<running_driver> drivers{};
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_worker& x) {
  return f(caf::meta::type_name("register_worker"), x.id, x.host, x.port, x.cores, x.memory_mb, x.work_dir, x.worker,
           x.executors, x.drivers);
}

/// A worker is alive.
struct worker_heartbeat {
  worker_id id;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_heartbeat& x) {
  return f(caf::meta::type_name("worker_heartbeat"), x.id);
}

/// An executor the worker runs changed state.
struct executor_state_changed {
  app_id app;
  executor_id exec;
  executor_state state = executor_state::launching;
  std::string message;
  int32_t exit_status = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, executor_state_changed& x) {
  return f(caf::meta::type_name("executor_state_changed"), x.app, x.exec, x.state, x.message, x.exit_status);
}

/// A cluster-mode driver the worker runs changed state. `worker` is the
/// reporting worker: the master ignores reports about an earlier attempt of a
/// relaunched driver (the same id now runs elsewhere).
struct driver_state_changed {
  driver_id driver;
  driver_state state = driver_state::submitted;
  std::string message;
  worker_id worker;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, driver_state_changed& x) {
  return f(caf::meta::type_name("driver_state_changed"), x.driver, x.state, x.message, x.worker);
}

/// The worker is shutting down cleanly (its executors and drivers are stopped).
struct worker_stopping {
  worker_id id;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_stopping& x) {
  return f(caf::meta::type_name("worker_stopping"), x.id);
}

// -- master -> worker ---------------------------------------------------------

/// Answer to register_worker.
struct registered_worker {
  std::string master_url;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, registered_worker& x) {
  return f(caf::meta::type_name("registered_worker"), x.master_url);
}

/// The master does not know this worker (it restarted, or dropped it): register again.
struct reconnect_worker {
  std::string reason;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reconnect_worker& x) {
  return f(caf::meta::type_name("reconnect_worker"), x.reason);
}

/// A restarted master (recovering from its journal) reaches out to a worker
/// or a driver it recorded (master -> driver too): register again with it.
struct master_changed {
  caf::actor master;
  std::string url;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, master_changed& x) {
  return f(caf::meta::type_name("master_changed"), x.master, x.url);
}

/// Start an executor for an application.
struct launch_executor {
  app_id app;
  executor_id exec;
  int32_t cores = 0;
  int64_t memory_mb = 0;
  caf::actor driver;
  app_description desc;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, launch_executor& x) {
  return f(caf::meta::type_name("launch_executor"), x.app, x.exec, x.cores, x.memory_mb, x.driver, x.desc);
}

/// Stop an executor.
struct kill_executor {
  app_id app;
  executor_id exec;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kill_executor& x) {
  return f(caf::meta::type_name("kill_executor"), x.app, x.exec);
}

/// Start a cluster-mode driver.
struct launch_driver {
  driver_id driver;
  driver_description desc;
  std::string master_url;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, launch_driver& x) {
  return f(caf::meta::type_name("launch_driver"), x.driver, x.desc, x.master_url);
}

/// Stop a driver (master -> worker), or ask the master to (submit -> master,
/// answered with driver_status).
struct kill_driver {
  driver_id driver;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kill_driver& x) {
  return f(caf::meta::type_name("kill_driver"), x.driver);
}

/// Ask the master to end an application (submit -> master, `troupe kill
/// APP_ID`), answered with application_killed; its driver is told and exits.
struct kill_application {
  app_id app;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kill_application& x) {
  return f(caf::meta::type_name("kill_application"), x.app);
}

/// Answer to kill_application: whether the master knows it, and its state now.
struct application_killed {
  bool found = false;
  app_state state = app_state::failed;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, application_killed& x) {
  return f(caf::meta::type_name("application_killed"), x.found, x.state);
}

/// Ask for a driver's stdout and stderr (submit -> master -> worker), answered with driver_logs.
struct request_driver_logs {
  driver_id driver;
  int64_t max_bytes = 1 << 20;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_driver_logs& x) {
  return f(caf::meta::type_name("request_driver_logs"), x.driver, x.max_bytes);
}

/// The tail of a driver's output files.
struct driver_logs {
  bool found = false;
  std::string out;
  std::string err;
  std::string message;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, driver_logs& x) {
  return f(caf::meta::type_name("driver_logs"), x.found, x.out, x.err, x.message);
}

// -- submit -> master ---------------------------------------------------------

/// Hand a driver to the master (cluster mode); answered with driver_status.
struct submit_driver {
  driver_description desc;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, submit_driver& x) {
  return f(caf::meta::type_name("submit_driver"), x.desc);
}

/// Ask for a driver's state; answered with driver_status.
struct request_driver_status {
  driver_id driver;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_driver_status& x) {
  return f(caf::meta::type_name("request_driver_status"), x.driver);
}

/// A driver as the master knows it.
struct driver_status {
  bool found = false;
  driver_id driver;
  std::string app;
  driver_state state = driver_state::submitted;
  worker_id worker;              ///< where it runs (empty until placed)
  std::string worker_host;
  uint16_t worker_port = 0;
  int64_t start_ms = 0;          ///< unix time of submission
  bool supervise = false;
  std::string message;
  int32_t relaunches = 0;        ///< supervised: times it was relaunched (worker: where it runs now)
  int32_t cores = 0;             ///< what it takes on its worker
  int64_t memory_mb = 0;
  int64_t end_ms = 0;            ///< unix time it finished (0 = not yet, or not known)
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, driver_status& x) {
  return f(caf::meta::type_name("driver_status"), x.found, x.driver, x.app, x.state, x.worker, x.worker_host,
           x.worker_port, x.start_ms, x.supervise, x.message, x.relaunches, x.cores, x.memory_mb, x.end_ms);
}

/// Ask for the whole cluster's state; answered with cluster_status.
struct request_cluster_status {
  int32_t unused = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_cluster_status& x) {
  return f(caf::meta::type_name("request_cluster_status"), x.unused);
}

/// One worker in cluster_status.
struct worker_summary {
  worker_id id;
  std::string host;
  uint16_t port = 0;
  worker_state state = worker_state::alive;
  int32_t cores = 0;
  int32_t cores_used = 0;
  int64_t memory_mb = 0;
  int64_t memory_used_mb = 0;
  int64_t last_heartbeat_ms = 0;  ///< unix time of its last heartbeat (or registration)
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_summary& x) {
  return f(caf::meta::type_name("worker_summary"), x.id, x.host, x.port, x.state, x.cores, x.cores_used, x.memory_mb,
           x.memory_used_mb, x.last_heartbeat_ms);
}

/// One executor in cluster_status.
struct executor_summary {
  executor_id id;
  worker_id worker;
  std::string host;
  int32_t cores = 0;
  executor_state state = executor_state::launching;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, executor_summary& x) {
  return f(caf::meta::type_name("executor_summary"), x.id, x.worker, x.host, x.cores, x.state);
}

/// One application in cluster_status, with where its driver runs.
struct app_summary {
  app_id id;
  std::string name;
  app_state state = app_state::waiting;
  int32_t cores = 0;
  std::string driver_host;
  uint16_t driver_port = 0;
  driver_id driver;               ///< cluster mode: the driver's id; empty: client mode
  std::string submit_host;
  int64_t start_ms = 0;
  std::vector<executor_summary> executors;
  std::string waiting_reason;     ///< without executors: why no alive worker can host one
  int64_t executor_memory_mb = 0; ///< memory per executor
  int64_t end_ms = 0;             ///< unix time it finished (0 = running, or not known)
  std::string ui_url;             ///< the driver's web UI ("" = none)
  int32_t cores_max = 0;          ///< what it asked for (0 = all)
  std::vector<std::string> ran_on; ///< every worker its executors were given, ended ones too
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, app_summary& x) {
  return f(caf::meta::type_name("app_summary"), x.id, x.name, x.state, x.cores, x.driver_host, x.driver_port,
           x.driver, x.submit_host, x.start_ms, x.executors, x.waiting_reason, x.executor_memory_mb, x.end_ms,
           x.ui_url, x.cores_max, x.ran_on);
}

/// Everything the master knows.
struct cluster_status {
  std::string url;
  std::vector<worker_summary> workers;
  std::vector<app_summary> apps;
  std::vector<driver_status> drivers;
  std::string state = "alive";  ///< the master's own state: alive, or recovering (after a restart)
  int64_t now_ms = 0;           ///< unix time of this snapshot (durations, heartbeat ages)
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_status& x) {
  return f(caf::meta::type_name("cluster_status"), x.url, x.workers, x.apps, x.drivers, x.state, x.now_ms);
}

// -- driver -> master ---------------------------------------------------------

/// A driver brings an application; answered with registered_application.
struct register_application {
  app_description desc;
  caf::actor driver;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_application& x) {
  return f(caf::meta::type_name("register_application"), x.desc, x.driver);
}

/// A driver that lost its master (or was told master_changed) registers its
/// application again under the same id; answered with registered_application,
/// or an error when the master ended the application meanwhile (the driver
/// then stops). `next_executor`: above every executor id the driver has seen.
struct application_reregistered {
  app_id app;
  app_description desc;
  caf::actor driver;
  int32_t next_executor = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, application_reregistered& x) {
  return f(caf::meta::type_name("application_reregistered"), x.app, x.desc, x.driver, x.next_executor);
}

/// The application ended; its executors can go.
struct unregister_application {
  app_id app;
  app_state state = app_state::finished;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, unregister_application& x) {
  return f(caf::meta::type_name("unregister_application"), x.app, x.state);
}

// -- master -> driver ---------------------------------------------------------
// (also master_changed, in master -> worker)

/// Answer to register_application.
struct registered_application {
  app_id app;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, registered_application& x) {
  return f(caf::meta::type_name("registered_application"), x.app);
}

/// An executor was launched for the application on a worker.
struct executor_added {
  executor_id exec;
  worker_id worker;
  std::string host;
  int32_t cores = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, executor_added& x) {
  return f(caf::meta::type_name("executor_added"), x.exec, x.worker, x.host, x.cores);
}

/// An executor of the application is gone (exited, failed, lost with its worker).
struct executor_removed {
  executor_id exec;
  executor_state state = executor_state::lost;
  std::string message;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, executor_removed& x) {
  return f(caf::meta::type_name("executor_removed"), x.exec, x.state, x.message);
}

/// The master changed the application's state (e.g. killed it).
struct application_state_changed {
  app_id app;
  app_state state = app_state::waiting;
  std::string message;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, application_state_changed& x) {
  return f(caf::meta::type_name("application_state_changed"), x.app, x.state, x.message);
}

/// No alive worker can host the application's executors: what it asks and
/// the largest free offer (sent soon after registration, then every 15 s).
struct application_waiting {
  app_id app;
  std::string message;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, application_waiting& x) {
  return f(caf::meta::type_name("application_waiting"), x.app, x.message);
}

// -- executor -> driver -------------------------------------------------------

/// An executor is up and offers its cores; `port` is where peers fetch its blocks.
struct register_executor {
  executor_id exec;
  std::string host;
  uint16_t port = 0;
  int32_t cores = 0;
  caf::actor executor;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_executor& x) {
  return f(caf::meta::type_name("register_executor"), x.exec, x.host, x.port, x.cores, x.executor);
}

/// An executor is alive.
struct executor_heartbeat {
  executor_id exec;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, executor_heartbeat& x) {
  return f(caf::meta::type_name("executor_heartbeat"), x.exec);
}

/// What an executor counted for one task attempt (runtime/task_counters.hpp).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_counters& x) {
  return f(caf::meta::type_name("task_counters"), x.run_time_us, x.cpu_time_ns, x.deserialize_us, x.input_records,
           x.input_bytes, x.output_records, x.output_bytes, x.result_bytes, x.shuffle_read_records,
           x.shuffle_local_bytes, x.shuffle_remote_bytes, x.shuffle_local_blocks, x.shuffle_remote_blocks,
           x.shuffle_fetch_wait_us, x.shuffle_write_records, x.shuffle_write_bytes);
}

/// A task attempt succeeded.
struct task_finished {
  task_id task = 0;
  executor_id exec;
  std::string result;                  ///< result task: encoded partial result
  std::vector<int64_t> map_sizes;      ///< map task: bytes per reducer
  std::vector<int32_t> cached_nodes;   ///< (node, partition) blocks it cached
  std::vector<int32_t> cached_parts;
  task_counters counters;              ///< what the attempt read, wrote and took
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_finished& x) {
  return f(caf::meta::type_name("task_finished"), x.task, x.exec, x.result, x.map_sizes, x.cached_nodes,
           x.cached_parts, x.counters);
}

/// A task attempt failed; `fetch_failed` when an input map output was missing.
struct task_failed {
  task_id task = 0;
  executor_id exec;
  std::string error;
  bool fetch_failed = false;
  shuffle_id shuffle = 0;
  int32_t map_partition = 0;
  executor_id map_executor;
  task_counters counters;  ///< what the attempt did before it failed
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_failed& x) {
  return f(caf::meta::type_name("task_failed"), x.task, x.exec, x.error, x.fetch_failed, x.shuffle, x.map_partition,
           x.map_executor, x.counters);
}

/// An executor asks its driver which application library the app lives in
/// (answered with app_library_offer) before it registers.
struct request_app_library {
  int32_t version = 1;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_app_library& x) {
  return f(caf::meta::type_name("request_app_library"), x.version);
}

/// The driver's application library; `hash` empty for a built-in app.
struct app_library_offer {
  std::string name;
  std::string hash;
  int64_t size = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, app_library_offer& x) {
  return f(caf::meta::type_name("app_library_offer"), x.name, x.hash, x.size);
}

/// Bytes [offset, offset + max_bytes) of the library with `hash` (bounded
/// chunks, like fetch_block); answered with library_chunk.
struct fetch_library {
  std::string hash;
  int64_t offset = 0;
  int32_t max_bytes = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_library& x) {
  return f(caf::meta::type_name("fetch_library"), x.hash, x.offset, x.max_bytes);
}

/// One chunk of a library; `found` false when the driver has no library with that hash.
struct library_chunk {
  bool found = false;
  int64_t total = 0;
  std::string bytes;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, library_chunk& x) {
  return f(caf::meta::type_name("library_chunk"), x.found, x.total, x.bytes);
}

// -- driver -> executor -------------------------------------------------------

/// Run a task (payload from encode_task).
struct launch_task {
  task_id task = 0;
  std::string payload;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, launch_task& x) {
  return f(caf::meta::type_name("launch_task"), x.task, x.payload);
}

/// Drop a task's result (its job failed); a running task finishes but is ignored.
struct kill_task {
  task_id task = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kill_task& x) {
  return f(caf::meta::type_name("kill_task"), x.task);
}

/// No later job can read these shuffles or cached nodes (their last handle in
/// the application is gone, or unpersist): drop their blocks. Also what the
/// driver's application thread sends its own actor.
struct drop_blocks {
  std::vector<int32_t> shuffles;
  std::vector<int32_t> cached_nodes;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, drop_blocks& x) {
  return f(caf::meta::type_name("drop_blocks"), x.shuffles, x.cached_nodes);
}

/// Where the application's executors serve their blocks: id -> "host:port".
struct executor_peers {
  std::map<executor_id, std::string> addresses;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, executor_peers& x) {
  return f(caf::meta::type_name("executor_peers"), x.addresses);
}

/// The application is done with this executor.
struct stop_executor {
  std::string reason;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stop_executor& x) {
  return f(caf::meta::type_name("stop_executor"), x.reason);
}

// -- executor -> executor -----------------------------------------------------

/// A reducer asks for bytes [offset, offset + max_bytes) of the encoded block
/// (shuffle, map, reduce); answered with fetched_block sent to `reply_to`.
struct fetch_block {
  int64_t request = 0;
  shuffle_id shuffle = 0;
  int32_t map = 0;
  int32_t reduce = 0;
  int64_t offset = 0;
  int32_t max_bytes = 0;
  caf::actor reply_to;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_block& x) {
  return f(caf::meta::type_name("fetch_block"), x.request, x.shuffle, x.map, x.reduce, x.offset, x.max_bytes,
           x.reply_to);
}

/// One chunk of a block; `found` false when the map output is not there.
struct fetched_block {
  int64_t request = 0;
  bool found = false;
  int64_t total = 0;             ///< size of the whole encoded block (0: empty block)
  std::string bytes;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetched_block& x) {
  return f(caf::meta::type_name("fetched_block"), x.request, x.found, x.total, x.bytes);
}

} // namespace troupe
