#include "runtime/settings.hpp"

#include "runtime/parse_int.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>

namespace troupe {

namespace {

// -- small parsers --------------------------------------------------------------

constexpr const char* master_forms =
  "local, local[N], local[*], local-cluster[N,C,M], troupe://host:port, host:port or troupe-rest://host:port";

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  auto ws = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && ws(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && ws(s.back()))
    s.remove_suffix(1);
  return std::string{s};
}


/// Splits "32m", "4GB", "1024" into a positive number and a lower-case unit
/// letter ('\0' when none); an optional 'b' may follow a unit letter.
bool split_unit(std::string_view text, int64_t& n, char& unit) {
  auto t = lower(text);
  if (t.size() >= 2 && t.back() == 'b' && std::isalpha(static_cast<unsigned char>(t[t.size() - 2])))
    t.pop_back();
  unit = '\0';
  if (!t.empty() && std::isalpha(static_cast<unsigned char>(t.back()))) {
    unit = t.back();
    t.pop_back();
  }
  return parse_int(t, n) && n > 0;
}

/// n * factor, or nullopt when it overflows int64.
std::optional<int64_t> scaled(int64_t n, int64_t factor) {
  if (n > std::numeric_limits<int64_t>::max() / factor)
    return std::nullopt;
  return n * factor;
}

/// A byte count with an optional k/m/g suffix (KiB, MiB, GiB).
std::optional<int64_t> parse_bytes(std::string_view text) {
  int64_t n = 0;
  char unit = '\0';
  if (!split_unit(text, n, unit))
    return std::nullopt;
  switch (unit) {
    case '\0': return n;
    case 'k': return scaled(n, int64_t{1} << 10);
    case 'm': return scaled(n, int64_t{1} << 20);
    case 'g': return scaled(n, int64_t{1} << 30);
    default: return std::nullopt;
  }
}

/// Renders MiB in the largest exact unit, in a form parse_memory_mb accepts.
std::string render_mb(int64_t mb) {
  return mb % 1024 == 0 ? std::to_string(mb / 1024) + "g" : std::to_string(mb) + "m";
}

/// Renders bytes in the largest exact unit, in a form parse_bytes accepts.
std::string render_bytes(int64_t b) {
  if (b % (int64_t{1} << 30) == 0)
    return std::to_string(b >> 30) + "g";
  if (b % (int64_t{1} << 20) == 0)
    return std::to_string(b >> 20) + "m";
  if (b % 1024 == 0)
    return std::to_string(b >> 10) + "k";
  return std::to_string(b);
}

std::string render_double(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d); // shortest round-trip form
  return std::string(buf, ec == std::errc{} ? end : buf);
}

// -- conf keys --------------------------------------------------------------------

/// How a conf key's value is parsed, checked and rendered.
enum class conf_type { integer, bytes, memory, boolean, isolation, fraction, factor, level, path };

constexpr int64_t int32_max = std::numeric_limits<int32_t>::max();

/// The field a conf key sets.
using conf_field = std::variant<int32_t settings::*, int64_t settings::*, bool settings::*,
                                double settings::*, std::string settings::*, isolation settings::*>;

struct conf_def {
  const char* key;
  conf_field field;
  conf_type type;
  int64_t min;  // integer keys only
  int64_t max;  // integer and memory keys: the most the process can honour
  const char* meaning;
};

// The one table of conf keys: apply_conf, conf_keys and to_conf_args all read it.
const std::vector<conf_def>& conf_table() {
  using t = conf_type;
  using s = settings;
  static const std::vector<conf_def> table{
    {"task.max-failures", &s::task_max_failures, t::integer, 1, int32_max,
     "attempts of one task before its job fails"},
    {"scheduler.extra-tasks", &s::extra_tasks_per_executor, t::integer, 0, 1 << 20,
     "tasks queued on an executor beyond its cores, so its threads never wait for the driver"},
    {"default.parallelism", &s::default_parallelism, t::integer, 0, 1 << 20,
     "partitions when an operation is given none; 0 = total executor cores"},
    {"text-file.split-size", &s::split_size_bytes, t::bytes, 0, 0,
     "bytes per text_file partition (suffix k, m or g allowed)"},
    {"executor.cores", &s::executor_cores, t::integer, 0, max_cores,
     "cores per executor; 0 = one executor per worker, all its free cores"},
    {"executor.memory", &s::executor_memory_mb, t::memory, 0, max_memory_mb, "memory per executor (512m, 2g, ...)"},
    {"total-executor-cores", &s::total_executor_cores, t::integer, 0, int32_max,
     "cores an application takes in all; 0 = all it can get"},
    {"deploy.spread-out", &s::spread_out, t::boolean, 0, 0,
     "spread executors over workers (true) or fill one worker first (false)"},
    {"executor.isolation", &s::executor_isolation, t::isolation, 0, 0,
     "executors as child processes of a worker (process) or in it (thread)"},
    {"driver.isolation", &s::driver_isolation, t::isolation, 0, 0,
     "cluster-mode drivers as child processes of a worker or in it"},
    {"driver.cores", &s::driver_cores, t::integer, 1, max_cores, "cores a cluster-mode driver takes on its worker"},
    {"driver.memory", &s::driver_memory_mb, t::memory, 0, max_memory_mb,
     "memory a cluster-mode driver takes on its worker"},
    {"shuffle.memory-fraction", &s::shuffle_memory_fraction, t::fraction, 0, 0,
     "share of executor memory for blocks before spilling (0 < x <= 1)"},
    {"shuffle.fetch-chunk-size", &s::shuffle_fetch_chunk_kb, t::integer, 1, 1 << 20,
     "KiB per shuffle fetch reply"},
    {"shuffle.max-fetches-in-flight", &s::shuffle_max_fetches, t::integer, 1, 1024,
     "block fetches a reducer keeps in flight"},
    {"stage.max-attempts", &s::stage_max_attempts, t::integer, 1, int32_max,
     "attempts of a stage that end in a fetch failure (its input's executor lost) before its job fails"},
    {"task.speculation", &s::speculation, t::boolean, 0, 0,
     "launch a copy of a slow task on another executor; the first copy to finish wins"},
    {"task.speculation.multiplier", &s::speculation_multiplier, t::factor, 0, 0,
     "a task is slow once it ran longer than this x the median of its stage's finished tasks (x >= 1)"},
    {"task.speculation.quantile", &s::speculation_quantile, t::fraction, 0, 0,
     "share of a stage's tasks that must have finished before its slow tasks are copied (0 < x <= 1)"},
    {"task.speculation.interval", &s::speculation_interval_ms, t::integer, 1, int32_max,
     "ms between the driver's checks for slow tasks"},
    {"worker.timeout", &s::worker_timeout_ms, t::integer, 1, int32_max,
     "ms without a heartbeat before the master drops a worker"},
    {"heartbeat.interval", &s::heartbeat_interval_ms, t::integer, 1, int32_max,
     "ms between heartbeats of workers and executors"},
    {"executor.heartbeat-timeout", &s::executor_heartbeat_timeout_ms, t::integer, 1, int32_max,
     "ms without a heartbeat before a driver counts an executor as lost (and never trusts it again)"},
    {"network.timeout", &s::network_timeout_ms, t::integer, 1, int32_max,
     "ms of silence before a connection counts as dead"},
    {"register.timeout", &s::register_timeout_ms, t::integer, 1, int32_max,
     "ms to keep trying to reach the master"},
    // -- master --
    {"master.retained-applications", &s::retained_applications, t::integer, 0, int32_max,
     "finished applications the master keeps for status (oldest dropped first)"},
    {"master.retained-drivers", &s::retained_drivers, t::integer, 0, int32_max,
     "finished drivers the master keeps for status (oldest dropped first)"},
    {"master.executor-failures-per-worker", &s::executor_failures_per_worker, t::integer, 1, int32_max,
     "failed executors of an application on one worker before that worker is excluded for it"},
    {"master.recovery-dir", &s::recovery_dir, t::path, 0, 0,
     "directory where the master journals workers, applications and drivers to recover them after a restart"},
    {"master.recovery-timeout", &s::recovery_timeout_ms, t::integer, 1, int32_max,
     "ms a restarted master waits for its recorded workers and drivers before it writes off the silent ones"},
    {"driver.master-reconnect-timeout", &s::driver_master_reconnect_ms, t::integer, 1, int32_max,
     "ms a driver that lost its master keeps running and reconnecting before it gives up"},
    {"worker.master-reconnect-timeout", &s::worker_master_reconnect_ms, t::integer, 1, int32_max,
     "ms a worker that lost its master keeps its executors and reconnects before it stops"},
    {"master.executor-min-uptime", &s::executor_min_uptime_ms, t::integer, 0, int32_max,
     "ms an executor must have run for its failure not to count toward its application's and worker's limits"},
    {"driver.max-relaunches", &s::driver_max_relaunches, t::integer, 0, int32_max,
     "times the master relaunches a supervised cluster-mode driver that failed or lost its worker"},
    // -- HTTP, event logs, security --
    {"master.webui-port", &s::webui_port, t::integer, 0, 65535,
     "port of the master's web UI and /json (the next free one if taken); 0 = off"},
    {"master.rest-port", &s::rest_port, t::integer, 0, 65535,
     "port of the master's REST submission server (Spark's protocol); 0 = off"},
    {"master.webui-any-port", &s::webui_any_port, t::boolean, 0, 0,
     "when the web UI port and the next 16 are taken, take any free port (local-cluster and simulate set it)"},
    {"driver.ui-port", &s::driver_ui_port, t::integer, 0, 65535,
     "port of a driver's UI and /api/v1 (the next free one if taken); 0 = off"},
    {"ui.public", &s::ui_public, t::boolean, 0, 0,
     "with a secret set, read-only pages and APIs still need no token"},
    {"ui.console-progress", &s::console_progress, t::boolean, 0, 0,
     "a submitter on a terminal shows the running stage's progress bar"},
    {"eventlog.dir", &s::eventlog_dir, t::path, 0, 0,
     "directory where drivers write one JSON-lines event log per application (troupe history)"},
    {"auth.secret-file", &s::auth_secret_file, t::path, 0, 0,
     "file holding the cluster's shared secret; peers and HTTP callers that cannot prove it are refused"},
    {"tls.certificate", &s::tls_certificate, t::path, 0, 0,
     "PEM certificate of this node: encrypts node traffic (mutual) and serves HTTPS"},
    {"tls.key", &s::tls_key, t::path, 0, 0, "PEM private key of tls.certificate"},
    {"app.library-hash", &s::app_library_hash, t::path, 0, 0,
     "set by troupe submit LIB.so: SHA-256 of the app's library, which executors fetch from the driver"},
    {"tls.cafile", &s::tls_cafile, t::path, 0, 0, "PEM CA that signs the certificate of every node"},
    // -- timeouts of the roles (ms) --
    {"node.stop-grace", &s::stop_grace_ms, t::integer, 1, int32_max,
     "ms a node or waiting submit may take to stop after SIGINT/SIGTERM before it exits at once"},
    {"driver.stop-grace", &s::driver_stop_grace_ms, t::integer, 1, int32_max,
     "the same for a process whose driver runs an application"},
    {"executor.stop-grace", &s::executor_stop_grace_ms, t::integer, 1, int32_max,
     "the same for an executor process"},
    {"client.timeout", &s::client_timeout_ms, t::integer, 1, int32_max,
     "ms a command waits for the master's answer (submit, status, kill, --wait polls)"},
    {"client.logs-timeout", &s::logs_timeout_ms, t::integer, 1, int32_max,
     "ms troupe logs (and submit --wait) waits for a driver's log"},
    {"local-cluster.start-timeout", &s::cluster_start_timeout_ms, t::integer, 1, int32_max,
     "ms local-cluster and simulate wait for their master to listen"},
    {"local-cluster.register-timeout", &s::cluster_register_timeout_ms, t::integer, 1, int32_max,
     "ms local-cluster and simulate wait for their workers to register"},
    {"local-cluster.stop-grace", &s::cluster_stop_grace_ms, t::integer, 1, int32_max,
     "ms a local-cluster or simulate process gets after SIGTERM before SIGKILL"},
    {"worker.register-request-timeout", &s::worker_ask_timeout_ms, t::integer, 1, int32_max,
     "ms a worker waits for the master to answer its registration"},
    {"worker.register-retry", &s::worker_register_retry_ms, t::integer, 1, int32_max,
     "ms before a worker retries a refused or unanswered registration"},
    {"worker.connect-timeout", &s::worker_connect_timeout_ms, t::integer, 1, int32_max,
     "ms one attempt of a worker to connect to its master may take"},
    {"worker.reconnect-delay", &s::worker_reconnect_delay_ms, t::integer, 1, int32_max,
     "ms before a worker that lost its master connects again"},
    {"worker.child-stop-grace", &s::worker_child_stop_grace_ms, t::integer, 1, int32_max,
     "ms an executor or driver process gets after SIGTERM before SIGKILL"},
    {"driver.register-timeout", &s::driver_register_timeout_ms, t::integer, 1, int32_max,
     "ms a driver waits for the master to register its application"},
    {"driver.executor-wait-warning", &s::driver_executor_wait_ms, t::integer, 1, int32_max,
     "ms an action waits for a first executor before each warning"},
    {"executor.connect-timeout", &s::executor_connect_timeout_ms, t::integer, 1, int32_max,
     "ms an executor may take to reach its driver"},
    {"shuffle.fetch-timeout", &s::fetch_timeout_ms, t::integer, 1, int32_max,
     "ms of silence from a peer before a block fetch counts as failed"},
    // -- chaos (local-cluster and simulate only) --
    {"chaos.seed", &s::chaos_seed, t::integer, 0, int32_max,
     "local-cluster/simulate: apply the fault schedule of this seed to the cluster's processes; 0 = none"},
    {"chaos.interval", &s::chaos_interval_ms, t::integer, 50, int32_max,
     "mean ms between the faults of chaos.seed"},
    {"chaos.freeze", &s::chaos_freeze, t::boolean, 0, 0,
     "chaos.seed also freezes processes (SIGSTOP, then SIGCONT); false: SIGKILL only"},
    {"chaos.faults", &s::chaos_faults, t::integer, 0, int32_max,
     "at most this many faults of chaos.seed, then the run goes on undisturbed; 0 = no limit"},
    // -- network --
    {"network.max-frame-size", &s::max_frame_bytes, t::bytes, 0, 0,
     "largest message a peer may send before its connection is closed (must exceed shuffle.fetch-chunk-size)"},
    {"log.level", &s::log_level, t::level, 0, 0, "trace, debug, info, warn, error, critical or off"},
  };
  return table;
}

/// Sets the key's field from `v`; returns "" or a description of what is accepted.
std::string set_field(settings& s, const conf_def& d, const std::string& v) {
  switch (d.type) {
    case conf_type::integer: {
      int64_t n = 0;
      if (!parse_int(v, n) || n < d.min || n > d.max)
        return d.max == int32_max ? "an integer >= " + std::to_string(d.min)
                                  : "an integer in " + std::to_string(d.min) + ".." + std::to_string(d.max);
      s.*std::get<int32_t settings::*>(d.field) = static_cast<int32_t>(n);
      return {};
    }
    case conf_type::bytes:
    case conf_type::memory: {
      auto n = d.type == conf_type::bytes ? parse_bytes(v) : parse_memory_mb(v);
      if (!n || (d.type == conf_type::memory && *n > d.max))
        return d.type == conf_type::bytes
                 ? "a positive byte count such as 1048576, 512k, 32m or 1g"
                 : "a positive size such as 512m or 2g (MiB if no unit), at most " + render_mb(d.max);
      s.*std::get<int64_t settings::*>(d.field) = *n;
      return {};
    }
    case conf_type::boolean: {
      auto l = lower(v);
      if (l != "true" && l != "false")
        return "true or false";
      s.*std::get<bool settings::*>(d.field) = l == "true";
      return {};
    }
    case conf_type::fraction: {
      double x = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
      if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || !(x > 0 && x <= 1))
        return "a number x with 0 < x <= 1";
      s.*std::get<double settings::*>(d.field) = x;
      return {};
    }
    case conf_type::factor: {
      double x = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
      if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || !(x >= 1 && x <= 1e6))
        return "a number x with 1 <= x <= 1000000";
      s.*std::get<double settings::*>(d.field) = x;
      return {};
    }
    case conf_type::isolation: {
      auto i = parse_isolation(v);
      if (!i)
        return "process or thread";
      s.*std::get<isolation settings::*>(d.field) = *i;
      return {};
    }
    case conf_type::path: {
      // "" = none; control characters are a typo or an attack, never a path.
      if (std::any_of(v.begin(), v.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
        return "a path without control characters (\"\" for none)";
      s.*std::get<std::string settings::*>(d.field) = v;
      return {};
    }
    case conf_type::level: {
      static const std::vector<std::string> levels{"trace", "debug",    "info", "warn",
                                                   "error", "critical", "off"};
      if (std::find(levels.begin(), levels.end(), v) == levels.end())
        return "trace, debug, info, warn, error, critical or off";
      s.*std::get<std::string settings::*>(d.field) = v;
      return {};
    }
  }
  return "a valid value";
}

/// Renders the key's field as a value set_field accepts.
std::string get_field(const settings& s, const conf_def& d) {
  switch (d.type) {
    case conf_type::integer: return std::to_string(s.*std::get<int32_t settings::*>(d.field));
    case conf_type::bytes: return render_bytes(s.*std::get<int64_t settings::*>(d.field));
    case conf_type::memory: return render_mb(s.*std::get<int64_t settings::*>(d.field));
    case conf_type::boolean: return s.*std::get<bool settings::*>(d.field) ? "true" : "false";
    case conf_type::fraction:
    case conf_type::factor: return render_double(s.*std::get<double settings::*>(d.field));
    case conf_type::isolation: return std::string{to_string(s.*std::get<isolation settings::*>(d.field))};
    default: return s.*std::get<std::string settings::*>(d.field);
  }
}

} // namespace

// -- enums ------------------------------------------------------------------------

namespace {

constexpr std::string_view deploy_mode_names[] = {"client", "cluster"};
constexpr std::string_view node_role_names[] = {"master", "worker", "executor", "driver"};
constexpr std::string_view isolation_names[] = {"process", "thread"};

template <class Enum, size_t N>
std::optional<Enum> parse_enum(const std::string_view (&names)[N], std::string_view text) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == text)
      return static_cast<Enum>(i);
  return std::nullopt;
}

template <size_t N>
std::string_view enum_name(const std::string_view (&names)[N], size_t i) {
  return i < N ? names[i] : std::string_view{"unknown"};
}

} // namespace

std::string_view to_string(deploy_mode m) { return enum_name(deploy_mode_names, static_cast<size_t>(m)); }
std::string_view to_string(node_role r) { return enum_name(node_role_names, static_cast<size_t>(r)); }
std::string_view to_string(isolation i) { return enum_name(isolation_names, static_cast<size_t>(i)); }
std::optional<deploy_mode> parse_deploy_mode(std::string_view text) {
  return parse_enum<deploy_mode>(deploy_mode_names, text);
}
std::optional<node_role> parse_node_role(std::string_view text) {
  return parse_enum<node_role>(node_role_names, text);
}
std::optional<isolation> parse_isolation(std::string_view text) {
  return parse_enum<isolation>(isolation_names, text);
}

// -- public parsers ---------------------------------------------------------------

std::optional<master_url> parse_master_url(const std::string& text, std::string& error) {
  master_url m;
  m.text = text;
  auto fail = [&](const std::string& why) -> std::optional<master_url> {
    error = "bad master '" + text + "'" + (why.empty() ? "" : " (" + why + ")")
            + "; accepted forms: " + master_forms;
    return std::nullopt;
  };
  auto bracketed = [&](std::string_view prefix, std::string_view& inner) {
    if (text.size() < prefix.size() + 2 || text.compare(0, prefix.size(), prefix) != 0
        || text[prefix.size()] != '[' || text.back() != ']')
      return false;
    inner = std::string_view{text}.substr(prefix.size() + 1, text.size() - prefix.size() - 2);
    return true;
  };
  std::string_view inner;
  if (text == "local") {
    m.kind = master_kind::local;
    m.local_cores = 1;
    return m;
  }
  if (bracketed("local", inner)) {
    m.kind = master_kind::local;
    if (trim(inner) == "*") {
      m.local_cores = std::clamp(static_cast<int32_t>(std::thread::hardware_concurrency()), 1, max_cores);
    } else if (!parse_int(trim(inner), m.local_cores) || m.local_cores < 1 || m.local_cores > max_cores) {
      return fail("N must be an integer in 1.." + std::to_string(max_cores) + " or *");
    }
    return m;
  }
  if (bracketed("local-cluster", inner)) {
    m.kind = master_kind::local_cluster;
    std::vector<std::string> parts;
    for (size_t pos = 0;;) {
      auto comma = inner.find(',', pos);
      parts.push_back(trim(inner.substr(pos, comma - pos)));
      if (comma == std::string_view::npos)
        break;
      pos = comma + 1;
    }
    if (parts.size() != 3 || !parse_int(parts[0], m.cluster_workers) || m.cluster_workers < 1
        || !parse_int(parts[1], m.cluster_cores) || m.cluster_cores < 1
        || !parse_int(parts[2], m.cluster_memory_mb) || m.cluster_memory_mb < 1)
      return fail("N, C and M must be integers >= 1");
    if (m.cluster_workers > max_workers || m.cluster_cores > max_cores || m.cluster_memory_mb > max_memory_mb)
      return fail("at most N=" + std::to_string(max_workers) + " workers, C=" + std::to_string(max_cores)
                  + " cores and M=" + std::to_string(max_memory_mb) + " MiB");
    return m;
  }
  std::string_view rest{text};
  if (rest.rfind("troupe://", 0) == 0)
    rest.remove_prefix(9);
  else if (rest.rfind("troupe-rest://", 0) == 0) {
    rest.remove_prefix(14);
    m.rest = true;
  }
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos)
    return fail("");
  auto host = rest.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') // IPv6 literal
    host = host.substr(1, host.size() - 2);
  else if (host.find_first_of(":/") != std::string_view::npos)
    return fail("");
  if (host.empty() || host.find_first_of("/[] ") != std::string_view::npos)
    return fail("missing or malformed host");
  int32_t port = 0;
  if (!parse_int(rest.substr(colon + 1), port) || port < 1 || port > 65535)
    return fail("port must be 1..65535");
  m.kind = master_kind::remote;
  m.host = std::string{host};
  m.port = static_cast<uint16_t>(port);
  return m;
}

std::optional<int64_t> parse_memory_mb(const std::string& text) {
  int64_t n = 0;
  char unit = '\0';
  if (!split_unit(text, n, unit))
    return std::nullopt;
  std::optional<int64_t> mb;
  switch (unit) {
    case 'k': mb = n / 1024; break; // whole MiB only: 1536k is 1 MiB
    case '\0':
    case 'm': mb = n; break;
    case 'g': mb = scaled(n, 1024); break;
    case 't': mb = scaled(n, 1024 * 1024); break;
    default: return std::nullopt;
  }
  if (!mb || *mb < 1)
    return std::nullopt;
  return mb;
}

std::string apply_conf(settings& s, const std::string& key, const std::string& value) {
  for (const auto& def : conf_table()) {
    if (key != def.key)
      continue;
    auto accepted = set_field(s, def, value);
    if (!accepted.empty())
      return "bad value '" + value + "' for conf key '" + key + "': expected " + accepted;
    s.conf[key] = value;
    return {};
  }
  return "unknown conf key '" + key + "' (see troupe submit --help)";
}

std::string check_conf(const settings& s) {
  // A fetch reply carries one chunk plus the message's own fields.
  constexpr int64_t overhead = 64 * 1024;
  auto need = int64_t{s.shuffle_fetch_chunk_kb} * 1024 + overhead;
  if (s.max_frame_bytes < need)
    return "network.max-frame-size " + std::to_string(s.max_frame_bytes) + " is too small for shuffle.fetch-chunk-size "
           + std::to_string(s.shuffle_fetch_chunk_kb) + " KiB: it must be at least " + std::to_string(need) + " bytes";
  if (s.max_frame_bytes > int64_t{0xffffffff})
    return "network.max-frame-size " + std::to_string(s.max_frame_bytes)
           + " exceeds what a frame can carry (4294967295 bytes)";
  return {};
}

std::string load_conf_file(settings& s, const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return "cannot read properties file '" + path + "'";
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    auto where = path + ":" + std::to_string(lineno) + ": ";
    if (auto hash = line.find('#'); hash != std::string::npos)
      line.erase(hash);
    auto text = trim(line);
    if (text.empty())
      continue;
    auto eq = text.find('=');
    if (eq == std::string::npos || trim(text.substr(0, eq)).empty())
      return where + "expected 'key = value', got '" + text + "'";
    if (auto err = apply_conf(s, trim(text.substr(0, eq)), trim(text.substr(eq + 1)));
        !err.empty())
      return where + err;
  }
  if (in.bad())
    return "cannot read properties file '" + path + "'";
  return {};
}

const std::vector<conf_key_info>& conf_keys() {
  static const std::vector<conf_key_info> keys = [] {
    std::vector<conf_key_info> result;
    settings defaults;
    for (const auto& def : conf_table())
      result.push_back({def.key, get_field(defaults, def), def.meaning});
    return result;
  }();
  return keys;
}

std::vector<std::string> to_conf_args(const settings& s) {
  std::vector<std::string> args;
  settings defaults;
  for (const auto& def : conf_table()) {
    auto value = get_field(s, def);
    // The log level always travels: a child must log like its parent.
    if (value != get_field(defaults, def) || std::string_view{def.key} == "log.level") {
      args.emplace_back("--conf");
      args.push_back(std::string{def.key} + "=" + value);
    }
  }
  return args;
}

std::string apply_conf_args(settings& s, const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--conf" || i + 1 == args.size())
      return "expected --conf key=value, got '" + args[i] + "'";
    const auto& kv = args[++i];
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return "--conf expects key=value, got '" + kv + "'";
    if (auto err = apply_conf(s, kv.substr(0, eq), kv.substr(eq + 1)); !err.empty())
      return err;
  }
  return {};
}

} // namespace troupe
