#pragma once
// Every setting of troupe, parsed once from the command line, --conf key=value
// and an optional config file. Nothing else reads the environment or argv.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe {

/// Where a submission's master is.
enum class master_kind : uint8_t {
  local,          ///< local, local[N], local[*]: everything in the submitting process
  local_cluster,  ///< local-cluster[N,C,M]: a master and N workers as processes on loopback
  remote,         ///< troupe://host:port or host:port
};

/// A parsed --master value.
struct master_url {
  master_kind kind = master_kind::local; ///< which form was given
  int32_t local_cores = 1;        ///< local[N] (local = 1, local[*] = hardware threads)
  int32_t cluster_workers = 0;    ///< local-cluster[N,C,M]: N
  int32_t cluster_cores = 0;      ///< ... C
  int64_t cluster_memory_mb = 0;  ///< ... M
  std::string host;               ///< remote: host
  uint16_t port = 0;              ///< remote: port
  std::string text;               ///< as the user wrote it
  bool rest = false;              ///< troupe-rest://host:port: the master's REST submission port (cluster mode)
};

/// Parses a --master value; on error returns nullopt and sets `error`.
std::optional<master_url> parse_master_url(const std::string& text, std::string& error);

/// Parses a size such as "512m", "4g", "1024" (MiB when no unit) into MiB.
std::optional<int64_t> parse_memory_mb(const std::string& text);

/// Where a remote submission's driver runs (the --deploy-mode flag).
enum class deploy_mode : uint8_t {
  client,   ///< in the submitting process
  cluster,  ///< on a worker the master picks
};

/// The role of a `troupe node` process (the --role flag).
enum class node_role : uint8_t { master, worker, executor, driver };

/// Where a worker runs the executors or drivers it launches.
enum class isolation : uint8_t {
  process,  ///< child processes (`troupe node --role executor|driver`)
  thread,   ///< actors in the worker's own process
};

/// Lower-case name, as the flag or conf key takes it.
std::string_view to_string(deploy_mode m);
std::string_view to_string(node_role r);
std::string_view to_string(isolation i);
/// Parses a name as to_string writes it; nullopt for anything else.
std::optional<deploy_mode> parse_deploy_mode(std::string_view text);
std::optional<node_role> parse_node_role(std::string_view text);
std::optional<isolation> parse_isolation(std::string_view text);

/// True when the mode places the driver on a worker, so it needs a cluster's master.
constexpr bool needs_remote_master(deploy_mode m) { return m == deploy_mode::cluster; }

/// The most threads one process runs for one count a user gives (cores of
/// local[N], of a worker, of an executor): beyond it thread creation fails or
/// the machine thrashes long before anything useful happens.
constexpr int32_t max_cores = 1024;
/// The most workers local-cluster[N,C,M] and simulate start as processes.
constexpr int32_t max_workers = 256;
/// The most workers `simulate --threads` starts (threads of one process, one actor each).
constexpr int32_t max_thread_workers = 4096;
/// The most memory (MiB) a worker, executor or driver may be given: 64 TiB,
/// so that byte counts derived from it never overflow.
constexpr int64_t max_memory_mb = int64_t{1} << 26;

/// Defaults of the timeouts, shared by `settings` and the actors' option structs.
namespace default_ms {
constexpr int32_t stop_grace = 10000;              ///< node.stop-grace
constexpr int32_t driver_stop_grace = 3000;        ///< driver.stop-grace
constexpr int32_t executor_stop_grace = 2000;      ///< executor.stop-grace
constexpr int32_t client_timeout = 10000;          ///< client.timeout
constexpr int32_t logs_timeout = 15000;            ///< client.logs-timeout
constexpr int32_t cluster_start_timeout = 10000;   ///< local-cluster.start-timeout
constexpr int32_t cluster_register_timeout = 30000;///< local-cluster.register-timeout
constexpr int32_t cluster_stop_grace = 5000;       ///< local-cluster.stop-grace
constexpr int32_t worker_ask_timeout = 5000;       ///< worker.register-request-timeout
constexpr int32_t worker_register_retry = 500;     ///< worker.register-retry
constexpr int32_t worker_connect_timeout = 5000;   ///< worker.connect-timeout
constexpr int32_t worker_reconnect_delay = 200;    ///< worker.reconnect-delay
constexpr int32_t worker_child_stop_grace = 3000;  ///< worker.child-stop-grace
constexpr int32_t driver_register_timeout = 30000; ///< driver.register-timeout
constexpr int32_t driver_executor_wait = 15000;    ///< driver.executor-wait-warning
constexpr int32_t executor_connect_timeout = 30000;///< executor.connect-timeout
constexpr int32_t fetch_timeout = 120000;          ///< shuffle.fetch-timeout
constexpr int32_t recovery_timeout = 5000;         ///< master.recovery-timeout
constexpr int32_t driver_master_reconnect = 60000; ///< driver.master-reconnect-timeout
constexpr int32_t worker_master_reconnect = 120000;///< worker.master-reconnect-timeout
} // namespace default_ms

/// All tunables. Defaults are the values a user gets without any flag.
struct settings {
  // -- submission -------------------------------------------------------------
  master_url master;                    ///< --master
  deploy_mode deploy = deploy_mode::client; ///< --deploy-mode
  bool supervise = false;               ///< cluster mode: relaunch a failed driver
  bool wait = false;                    ///< cluster mode: follow the driver until it ends
  std::string app;                      ///< registered application name
  std::vector<std::string> app_args;    ///< everything after APP, verbatim
  std::string app_library;              ///< submit LIB.so: its path (then `app` is the app it holds)
  std::string app_library_hash;         ///< app.library-hash: the app's library (executors fetch it); "" = built in

  // -- node ---------------------------------------------------------------------
  std::optional<node_role> role;        ///< --role (node only)
  std::string host = "127.0.0.1";       ///< address to bind and advertise
  uint16_t port = 0;                    ///< master: 7077 unless given; others: any
  int32_t cores = 0;                    ///< worker cores; 0 = hardware threads
  int64_t memory_mb = 0;                ///< worker memory; 0 = total RAM - 1 GiB (min 1 GiB)
  std::string work_dir = "work";        ///< worker work directory
  // Set by a worker for the processes it launches (--role executor|driver):
  std::string app_id;                   ///< --app-id (executor)
  std::string executor_id;              ///< --executor-id (executor)
  std::string driver_url;               ///< --driver-url troupe://host:port (executor)
  std::string driver_id;                ///< --driver-id (driver)

  // -- scheduling (conf keys in comments) ---------------------------------------
  int32_t task_max_failures = 4;        ///< task.max-failures
  int32_t extra_tasks_per_executor = 2; ///< scheduler.extra-tasks: queued beyond an executor's cores
  int32_t default_parallelism = 0;      ///< default.parallelism; 0 = total executor cores
  int64_t split_size_bytes = 32 << 20;  ///< text-file.split-size (bytes; accepts 32m)
  int32_t executor_cores = 0;           ///< executor.cores / --executor-cores; 0 = all of a worker
  int64_t executor_memory_mb = 1024;    ///< executor.memory / --executor-memory
  int32_t total_executor_cores = 0;     ///< total-executor-cores / --total-executor-cores; 0 = all
  bool spread_out = true;               ///< deploy.spread-out
  isolation executor_isolation = isolation::process; ///< executor.isolation
  isolation driver_isolation = isolation::process;   ///< driver.isolation
  int32_t driver_cores = 1;             ///< driver.cores / --driver-cores: a cluster-mode driver's cores on its worker
  int64_t driver_memory_mb = 512;       ///< driver.memory / --driver-memory
  double shuffle_memory_fraction = 0.6; ///< shuffle.memory-fraction of executor memory before spilling
  int32_t shuffle_fetch_chunk_kb = 4096;///< shuffle.fetch-chunk-size (KiB per fetch reply)
  int32_t shuffle_max_fetches = 4;      ///< shuffle.max-fetches-in-flight per reducer
  int32_t stage_max_attempts = 4;       ///< stage.max-attempts: stage attempts ending in a fetch failure before its job fails
  bool speculation = false;             ///< task.speculation: copies of slow tasks on other executors
  double speculation_multiplier = 1.5;  ///< task.speculation.multiplier: slow = longer than this x the stage's median
  double speculation_quantile = 0.75;   ///< task.speculation.quantile: share of a stage done before speculating
  int32_t speculation_interval_ms = 100;///< task.speculation.interval: ms between checks for slow tasks

  // -- liveness -----------------------------------------------------------------
  int32_t worker_timeout_ms = 5000;     ///< worker.timeout: master drops a silent worker
  int32_t heartbeat_interval_ms = 500;  ///< heartbeat.interval of workers and executors
  int32_t executor_heartbeat_timeout_ms = 3000; ///< executor.heartbeat-timeout: a driver drops a silent executor
  int32_t network_timeout_ms = 2000;    ///< network.timeout: middleman connection timeout
  int32_t register_timeout_ms = 10000;  ///< register.timeout: give up reaching the master
  int64_t max_frame_bytes = 64 << 20;   ///< network.max-frame-size: larger peer frames close the connection

  // -- timeouts (ms; conf keys in comments) -------------------------------------
  int32_t stop_grace_ms = default_ms::stop_grace;                   ///< node.stop-grace
  int32_t driver_stop_grace_ms = default_ms::driver_stop_grace;     ///< driver.stop-grace
  int32_t executor_stop_grace_ms = default_ms::executor_stop_grace; ///< executor.stop-grace
  int32_t client_timeout_ms = default_ms::client_timeout;           ///< client.timeout
  int32_t logs_timeout_ms = default_ms::logs_timeout;               ///< client.logs-timeout
  int32_t cluster_start_timeout_ms = default_ms::cluster_start_timeout;       ///< local-cluster.start-timeout
  int32_t cluster_register_timeout_ms = default_ms::cluster_register_timeout; ///< local-cluster.register-timeout
  int32_t cluster_stop_grace_ms = default_ms::cluster_stop_grace;   ///< local-cluster.stop-grace
  int32_t worker_ask_timeout_ms = default_ms::worker_ask_timeout;   ///< worker.register-request-timeout
  int32_t worker_register_retry_ms = default_ms::worker_register_retry;     ///< worker.register-retry
  int32_t worker_connect_timeout_ms = default_ms::worker_connect_timeout;   ///< worker.connect-timeout
  int32_t worker_reconnect_delay_ms = default_ms::worker_reconnect_delay;   ///< worker.reconnect-delay
  int32_t worker_child_stop_grace_ms = default_ms::worker_child_stop_grace; ///< worker.child-stop-grace
  int32_t driver_register_timeout_ms = default_ms::driver_register_timeout; ///< driver.register-timeout
  int32_t driver_executor_wait_ms = default_ms::driver_executor_wait;       ///< driver.executor-wait-warning
  int32_t executor_connect_timeout_ms = default_ms::executor_connect_timeout; ///< executor.connect-timeout
  int32_t fetch_timeout_ms = default_ms::fetch_timeout;             ///< shuffle.fetch-timeout
  // -- master ---------------------------------------------
  int32_t retained_applications = 200;  ///< master.retained-applications: finished apps the master keeps
  int32_t retained_drivers = 200;       ///< master.retained-drivers: finished drivers the master keeps
  int32_t executor_failures_per_worker = 2; ///< master.executor-failures-per-worker: then excluded for that app
  std::string recovery_dir;             ///< master.recovery-dir / --recovery-dir: journal of workers, apps, drivers; "" = none
  int32_t recovery_timeout_ms = default_ms::recovery_timeout;  ///< master.recovery-timeout: wait for recorded peers
  int32_t driver_master_reconnect_ms = default_ms::driver_master_reconnect; ///< driver.master-reconnect-timeout
  int32_t worker_master_reconnect_ms = default_ms::worker_master_reconnect; ///< worker.master-reconnect-timeout
  int32_t executor_min_uptime_ms = 5000;    ///< master.executor-min-uptime: failures after running this long do not count
  int32_t driver_max_relaunches = 3;        ///< driver.max-relaunches: of a supervised cluster-mode driver

  // -- HTTP, event logs, security (#7) ---------------------------------------------
  int32_t webui_port = 8080;            ///< master.webui-port / --webui-port: the master's web UI and /json; 0 = off
  int32_t rest_port = 0;                ///< master.rest-port / --rest-port: Spark's REST submission protocol; 0 = off
  bool webui_any_port = false;          ///< master.webui-any-port: no free UI port among the 17 tried: take any (local clusters)
  int32_t driver_ui_port = 4040;        ///< driver.ui-port: the driver's UI and /api/v1 (next free port if taken); 0 = off
  bool ui_public = false;               ///< ui.public: read-only pages need no token even with a secret
  bool console_progress = true;         ///< ui.console-progress: the submitter's progress bar on a terminal
  std::string eventlog_dir;             ///< eventlog.dir: the driver writes one JSON-lines file per application; "" = none
  std::string auth_secret_file;         ///< auth.secret-file: the cluster's shared secret; "" = no authentication
  std::string tls_certificate;          ///< tls.certificate: PEM certificate of this node (node traffic and HTTPS)
  std::string tls_key;                  ///< tls.key: its private key (PEM)
  std::string tls_cafile;               ///< tls.cafile: the CA that signs every node's certificate

  // -- chaos (local-cluster[N,C,M] and simulate only; runtime/chaos) -------------
  int32_t chaos_seed = 0;               ///< chaos.seed / simulate --chaos: the fault schedule's seed; 0 = no chaos
  int32_t chaos_interval_ms = 2000;     ///< chaos.interval / --chaos-interval: mean ms between faults
  bool chaos_freeze = true;             ///< chaos.freeze: SIGSTOP/SIGCONT faults too (false: SIGKILL only)
  int32_t chaos_faults = 0;             ///< chaos.faults: at most this many faults; 0 = no limit

  // -- output -------------------------------------------------------------------
  std::string log_level = "warn";       ///< --log-level / log.level: trace..off

  /// Every --conf key=value as given, for diagnostics and for shipping to
  /// processes that a node launches.
  std::map<std::string, std::string> conf;
};

/// Applies one key=value (a --conf or a config-file line) to `s`.
/// Returns an empty string on success, else a message naming the key or value.
std::string apply_conf(settings& s, const std::string& key, const std::string& value);

/// Checks settings that depend on each other (network.max-frame-size must
/// hold a shuffle fetch chunk); returns "" or what is wrong.
std::string check_conf(const settings& s);

/// Loads "key = value" lines (# comments, blank lines) from a file through apply_conf.
/// Returns an empty string on success, else a message naming the file and line.
std::string load_conf_file(settings& s, const std::string& path);

/// The list of known conf keys with their defaults and meanings (for --help and README).
struct conf_key_info { std::string key; std::string default_value; std::string meaning; };
const std::vector<conf_key_info>& conf_keys();

/// Renders settings as --conf key=value arguments that reproduce the
/// scheduling/liveness/output part of `s` in a child process: every conf key
/// that differs from its default, and log.level always.
std::vector<std::string> to_conf_args(const settings& s);

/// Applies arguments as to_conf_args writes them ("--conf", "key=value", ...)
/// to `s`. Returns an empty string on success, else what was wrong.
std::string apply_conf_args(settings& s, const std::vector<std::string>& args);

} // namespace troupe
