#pragma once
// Every setting of troupe, parsed once from the command line, --conf key=value
// and an optional config file. Nothing else reads the environment or argv.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
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
};

/// Parses a --master value; on error returns nullopt and sets `error`.
std::optional<master_url> parse_master_url(const std::string& text, std::string& error);

/// Parses a size such as "512m", "4g", "1024" (MiB when no unit) into MiB.
std::optional<int64_t> parse_memory_mb(const std::string& text);

/// All tunables. Defaults are the values a user gets without any flag.
struct settings {
  // -- submission -------------------------------------------------------------
  master_url master;                    ///< --master
  std::string deploy_mode = "client";   ///< client | cluster
  bool supervise = false;               ///< cluster mode: relaunch a failed driver
  bool wait = false;                    ///< cluster mode: follow the driver until it ends
  std::string app;                      ///< registered application name
  std::vector<std::string> app_args;    ///< everything after APP, verbatim

  // -- node ---------------------------------------------------------------------
  std::string role;                     ///< master | worker | executor | driver
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
  std::string executor_isolation = "process"; ///< executor.isolation: process | thread
  std::string driver_isolation = "process";   ///< driver.isolation: process | thread
  int32_t driver_cores = 1;             ///< driver.cores / --driver-cores: a cluster-mode driver's cores on its worker
  int64_t driver_memory_mb = 512;       ///< driver.memory / --driver-memory
  double shuffle_memory_fraction = 0.6; ///< shuffle.memory-fraction of executor memory before spilling
  int32_t shuffle_fetch_chunk_kb = 4096;///< shuffle.fetch-chunk-size (KiB per fetch reply)
  int32_t shuffle_max_fetches = 4;      ///< shuffle.max-fetches-in-flight per reducer

  // -- liveness -----------------------------------------------------------------
  int32_t worker_timeout_ms = 5000;     ///< worker.timeout: master drops a silent worker
  int32_t heartbeat_interval_ms = 500;  ///< heartbeat.interval of workers and executors
  int32_t network_timeout_ms = 2000;    ///< network.timeout: middleman connection timeout
  int32_t register_timeout_ms = 10000;  ///< register.timeout: give up reaching the master
  int64_t max_frame_bytes = 64 << 20;   ///< network.max-frame-size: larger peer frames close the connection

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

/// The outcome of parsing a whole command line.
struct command_line {
  std::string command;      ///< submit | node | simulate | status | kill | logs | apps | help
  settings opts;            ///< everything the flags set
  std::string driver_id;    ///< status/kill/logs argument
  int32_t simulate_workers = 0;  ///< simulate --workers N
  bool simulate_threads = false; ///< simulate --threads: workers as threads
  bool help = false;        ///< --help was asked: print `usage` and exit 0
  std::string usage;        ///< help text of the command
  std::string error;        ///< non-empty: print it (and usage hint), exit 2
};

/// Parses argv (argv[0] is the program). Never throws, never exits.
command_line parse_command_line(int argc, const char* const* argv);

} // namespace troupe
