#pragma once
// Every message between the roles, sectioned by direction, each with its
// inspect overload right below it. The same structs travel inside one
// process and across the network: deploy modes differ only in where actors live.

#include "runtime/ids.hpp"
#include "runtime/states.hpp"

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
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, app_description& x) {
  return f(caf::meta::type_name("app_description"), x.name, x.args, x.conf, x.cores_max, x.executor_cores,
           x.executor_memory_mb, x.submit_host, x.driver_host);
}

// -- worker -> master ---------------------------------------------------------

/// A worker offers itself; answered with registered_worker or an error.
struct register_worker {
  worker_id id;
  std::string host;
  uint16_t port = 0;
  int32_t cores = 0;
  int64_t memory_mb = 0;
  std::string work_dir;
  caf::actor worker;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_worker& x) {
  return f(caf::meta::type_name("register_worker"), x.id, x.host, x.port, x.cores, x.memory_mb, x.work_dir, x.worker);
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

// -- executor -> driver -------------------------------------------------------

/// An executor is up and offers its cores.
struct register_executor {
  executor_id exec;
  std::string host;
  int32_t cores = 0;
  caf::actor executor;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_executor& x) {
  return f(caf::meta::type_name("register_executor"), x.exec, x.host, x.cores, x.executor);
}

/// A task attempt succeeded.
struct task_finished {
  task_id task = 0;
  executor_id exec;
  std::string result;                  ///< result task: encoded partial result
  std::vector<int64_t> map_sizes;      ///< map task: bytes per reducer
  std::vector<int32_t> cached_nodes;   ///< (node, partition) blocks it cached
  std::vector<int32_t> cached_parts;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_finished& x) {
  return f(caf::meta::type_name("task_finished"), x.task, x.exec, x.result, x.map_sizes, x.cached_nodes,
           x.cached_parts);
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
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_failed& x) {
  return f(caf::meta::type_name("task_failed"), x.task, x.exec, x.error, x.fetch_failed, x.shuffle, x.map_partition,
           x.map_executor);
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

/// The application is done with this executor.
struct stop_executor {
  std::string reason;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stop_executor& x) {
  return f(caf::meta::type_name("stop_executor"), x.reason);
}

// -- executor -> executor -----------------------------------------------------

/// A reducer asks for its blocks of some map outputs; answered with fetched_blocks.
struct fetch_blocks {
  shuffle_id shuffle = 0;
  int32_t reduce = 0;
  std::vector<int32_t> maps;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_blocks& x) {
  return f(caf::meta::type_name("fetch_blocks"), x.shuffle, x.reduce, x.maps);
}

/// Answer to fetch_blocks: per map, whether its output exists, and the encoded block.
struct fetched_blocks {
  std::vector<bool> found;
  std::vector<std::string> blocks;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetched_blocks& x) {
  return f(caf::meta::type_name("fetched_blocks"), x.found, x.blocks);
}

} // namespace troupe
