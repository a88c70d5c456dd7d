#include "runtime/settings.hpp"

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
  "local, local[N], local[*], local-cluster[N,C,M], troupe://host:port or host:port";

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

/// The whole of `text` as an integer: no sign prefix '+', no spaces, no overflow.
template <class Int>
bool parse_int(std::string_view text, Int& out) {
  if (text.empty())
    return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
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
enum class conf_type { integer, bytes, memory, boolean, isolation, fraction, level };

/// The field a conf key sets.
using conf_field = std::variant<int32_t settings::*, int64_t settings::*, bool settings::*,
                                double settings::*, std::string settings::*>;

struct conf_def {
  const char* key;
  conf_field field;
  conf_type type;
  int32_t min; // integer keys only
  const char* meaning;
};

// The one table of conf keys: apply_conf, conf_keys and to_conf_args all read it.
const std::vector<conf_def>& conf_table() {
  using t = conf_type;
  using s = settings;
  static const std::vector<conf_def> table{
    {"task.max-failures", &s::task_max_failures, t::integer, 1,
     "attempts of one task before its job fails"},
    {"scheduler.extra-tasks", &s::extra_tasks_per_executor, t::integer, 0,
     "tasks queued on an executor beyond its cores, so its threads never wait for the driver"},
    {"default.parallelism", &s::default_parallelism, t::integer, 0,
     "partitions when an operation is given none; 0 = total executor cores"},
    {"text-file.split-size", &s::split_size_bytes, t::bytes, 0,
     "bytes per text_file partition (suffix k, m or g allowed)"},
    {"executor.cores", &s::executor_cores, t::integer, 0,
     "cores per executor; 0 = one executor per worker, all its free cores"},
    {"executor.memory", &s::executor_memory_mb, t::memory, 0, "memory per executor (512m, 2g, ...)"},
    {"total-executor-cores", &s::total_executor_cores, t::integer, 0,
     "cores an application takes in all; 0 = all it can get"},
    {"deploy.spread-out", &s::spread_out, t::boolean, 0,
     "spread executors over workers (true) or fill one worker first (false)"},
    {"executor.isolation", &s::executor_isolation, t::isolation, 0,
     "executors as child processes of a worker (process) or in it (thread)"},
    {"driver.isolation", &s::driver_isolation, t::isolation, 0,
     "cluster-mode drivers as child processes of a worker or in it"},
    {"shuffle.memory-fraction", &s::shuffle_memory_fraction, t::fraction, 0,
     "share of executor memory for blocks before spilling (0 < x <= 1)"},
    {"shuffle.fetch-chunk-size", &s::shuffle_fetch_chunk_kb, t::integer, 1,
     "KiB per shuffle fetch reply"},
    {"shuffle.max-fetches-in-flight", &s::shuffle_max_fetches, t::integer, 1,
     "block fetches a reducer keeps in flight"},
    {"worker.timeout", &s::worker_timeout_ms, t::integer, 1,
     "ms without a heartbeat before the master drops a worker"},
    {"heartbeat.interval", &s::heartbeat_interval_ms, t::integer, 1,
     "ms between heartbeats of workers and executors"},
    {"network.timeout", &s::network_timeout_ms, t::integer, 1,
     "ms of silence before a connection counts as dead"},
    {"register.timeout", &s::register_timeout_ms, t::integer, 1,
     "ms to keep trying to reach the master"},
    {"log.level", &s::log_level, t::level, 0, "trace, debug, info, warn, error, critical or off"},
  };
  return table;
}

/// Sets the key's field from `v`; returns "" or a description of what is accepted.
std::string set_field(settings& s, const conf_def& d, const std::string& v) {
  switch (d.type) {
    case conf_type::integer: {
      int32_t n = 0;
      if (!parse_int(v, n) || n < d.min)
        return "an integer >= " + std::to_string(d.min);
      s.*std::get<int32_t settings::*>(d.field) = n;
      return {};
    }
    case conf_type::bytes:
    case conf_type::memory: {
      auto n = d.type == conf_type::bytes ? parse_bytes(v) : parse_memory_mb(v);
      if (!n)
        return d.type == conf_type::bytes ? "a positive byte count such as 1048576, 512k, 32m or 1g"
                                          : "a positive size such as 512m or 2g (MiB if no unit)";
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
    case conf_type::isolation:
    case conf_type::level: {
      static const std::vector<std::string> isolations{"process", "thread"};
      static const std::vector<std::string> levels{"trace", "debug",    "info", "warn",
                                                   "error", "critical", "off"};
      const auto& choices = d.type == conf_type::level ? levels : isolations;
      if (std::find(choices.begin(), choices.end(), v) == choices.end())
        return d.type == conf_type::level ? "trace, debug, info, warn, error, critical or off"
                                          : "process or thread";
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
    case conf_type::fraction: return render_double(s.*std::get<double settings::*>(d.field));
    default: return s.*std::get<std::string settings::*>(d.field);
  }
}

} // namespace

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
      m.local_cores = std::max(1, static_cast<int32_t>(std::thread::hardware_concurrency()));
    } else if (!parse_int(trim(inner), m.local_cores) || m.local_cores < 1) {
      return fail("N must be an integer >= 1 or *");
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
    return m;
  }
  std::string_view rest{text};
  if (rest.rfind("troupe://", 0) == 0)
    rest.remove_prefix(9);
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

// -- command line -----------------------------------------------------------------

namespace {

/// A flag of a command: its name, its value's placeholder ("" = a switch), its help.
struct flag_def {
  std::string_view name, arg, help;
};

/// A command: its synopsis, a one-line summary, a paragraph, its flags.
struct command_def {
  std::string_view name, synopsis, summary, about;
  std::vector<flag_def> flags;
};

const std::vector<command_def>& commands() {
  static const flag_def conf{"--conf", "KEY=VALUE", "set a conf key; repeatable (see submit -h)"};
  static const flag_def level{"--log-level", "LEVEL", "trace, debug, info, warn, error, critical or off"};
  static const flag_def props{"--properties-file", "FILE", "'key = value' lines; the command line wins"};
  static const flag_def remote{"--master", "URL", "troupe://host:port of the master (required)"};
  static const std::vector<command_def> table{
    {"submit", "submit --master MASTER [OPTIONS] APP [APP_ARGS...]",
     "run an application locally or on a cluster",
     "Runs application APP (see troupe apps). Options end at APP: everything after\n"
     "it goes to the application unchanged.",
     {{"--master", "MASTER", "where the application runs (required):\n"
                             "local, local[N], local[*]: this process with\n"
                             "  1, N or one core per hardware thread\n"
                             "local-cluster[N,C,M]: a master and N workers\n"
                             "  (C cores, M MiB each) as processes on\n"
                             "  loopback, for this submission only\n"
                             "troupe://host:port (or host:port): a cluster"},
      {"--deploy-mode", "client|cluster", "driver here (client, the default) or on a\n"
                                          "worker the master picks (cluster; needs\n"
                                          "troupe://host:port)"},
      {"--supervise", "", "cluster mode: relaunch the driver if it fails"},
      {"--wait", "", "cluster mode: follow the driver until it ends"},
      {"--executor-cores", "N", "cores per executor (conf executor.cores)"},
      {"--executor-memory", "SIZE", "memory per executor, e.g. 2g (executor.memory)"},
      {"--total-executor-cores", "N", "cores to take in all (total-executor-cores)"},
      conf, props, level}},
    {"node", "node --role master|worker|executor|driver [OPTIONS]",
     "run one role: master, worker, executor or driver",
     "Runs one role of a cluster until it is stopped.",
     {{"--role", "ROLE", "master, worker, executor or driver (required)"},
      {"--host", "H", "address to bind and advertise (127.0.0.1)"},
      {"--port", "P", "port (master: 7077; others: any free port)"},
      {"--master", "URL", "the master (troupe://host:port; for workers)"},
      {"--cores", "N", "cores a worker offers (hardware threads)"},
      {"--memory", "SIZE", "memory a worker offers (default: RAM - 1 GiB)"},
      {"--work-dir", "D", "a worker's logs and spills (default: work)"},
      {"--app-id", "ID", "executor: its application (set by a worker)"},
      {"--executor-id", "ID", "executor: its id (set by a worker)"},
      {"--driver-url", "URL", "executor: troupe://host:port of its driver"},
      {"--driver-id", "ID", "driver: its id; APP [APP_ARGS] follow the options"},
      conf, props, level}},
    {"simulate", "simulate --workers N [OPTIONS]",
     "keep a master and N workers up on loopback",
     "Starts a master and N workers on loopback and keeps them up until interrupted.",
     {{"--workers", "N", "number of workers (required, >= 1)"},
      {"--cores", "C", "cores per worker (hardware threads)"},
      {"--memory", "SIZE", "memory per worker (default: RAM - 1 GiB)"},
      {"--threads", "", "workers as threads of this process"},
      {"--port", "P", "the master's port (default 7077)"},
      conf, level}},
    {"status", "status --master troupe://host:port [DRIVER_ID]",
     "show the drivers of a cluster, or one driver",
     "Shows the state of one driver, or of every driver the master knows.", {remote, level}},
    {"kill", "kill --master troupe://host:port DRIVER_ID", "kill a cluster-mode driver",
     "Kills a cluster-mode driver and its application.", {remote, level}},
    {"logs", "logs --master troupe://host:port DRIVER_ID", "print a cluster-mode driver's log",
     "Prints the log of a cluster-mode driver.", {remote, level}},
    {"apps", "apps", "list the applications this build can run",
     "Lists the applications this build can run, with their arguments.", {}},
  };
  return table;
}

/// Appends "  left" padded to a column, then `help` with continuation lines indented.
void append_row(std::string& text, const std::string& left, std::string_view help) {
  constexpr size_t column = 32;
  std::string row = "  " + left;
  row.resize(std::max(row.size() + 2, column), ' ');
  for (size_t pos = 0;;) {
    auto nl = help.find('\n', pos);
    row += std::string{help.substr(pos, nl - pos)} + "\n";
    if (nl == std::string_view::npos)
      break;
    row += std::string(column, ' ');
    pos = nl + 1;
  }
  text += row;
}

std::string top_help() {
  std::string text = "usage: troupe COMMAND [OPTIONS]\n\ncommands:\n";
  for (const auto& c : commands())
    append_row(text, std::string{c.name}, c.summary);
  append_row(text, "help", "this help; troupe COMMAND --help for its options");
  return text;
}

std::string help_text(const command_def& c) {
  std::string text = "usage: troupe " + std::string{c.synopsis} + "\n\n" + std::string{c.about}
                     + "\n\noptions:\n";
  for (const auto& f : c.flags)
    append_row(text, std::string{f.name} + (f.arg.empty() ? "" : " ") + std::string{f.arg},
               f.help);
  append_row(text, "-h, --help", "show this help");
  if (c.name == "submit") {
    text += "\nconf keys, with their defaults (--conf KEY=VALUE or properties file lines):\n";
    for (const auto& k : conf_keys())
      text += "  " + k.key + " = " + k.default_value + "\n      " + k.meaning + "\n";
  }
  return text;
}

const command_def* find_command(std::string_view name) {
  for (const auto& c : commands())
    if (c.name == name)
      return &c;
  return nullptr;
}

/// Reads one command's options into a command_line; conf-like flags are
/// collected and applied at the end, after the properties file.
class option_parser {
public:
  option_parser(command_line& cl, const command_def& cmd, std::vector<std::string> args)
    : cl_(cl), cmd_(cmd), args_(std::move(args)) {}

  /// Reads the flags. A positional ends the options when `stop_at_positional`
  /// (submit's APP; it and all after it land in rest()), else it is collected.
  /// Returns false on an error or on --help.
  bool read(bool stop_at_positional) {
    for (size_t i = 0; i < args_.size(); ++i) {
      const auto& a = args_[i];
      if (a == "--" || (stop_at_positional && (a.size() < 2 || a[0] != '-'))) {
        auto from = args_.begin() + static_cast<ptrdiff_t>(a == "--" ? i + 1 : i);
        auto& into = stop_at_positional ? rest_ : positionals_;
        into.insert(into.end(), from, args_.end());
        break;
      }
      if (a.size() < 2 || a[0] != '-') {
        positionals_.push_back(a);
        continue;
      }
      if (a == "--help" || a == "-h") {
        cl_.help = true;
        return false;
      }
      auto eq = a.find('=');
      auto name = a.substr(0, eq);
      auto f = std::find_if(cmd_.flags.begin(), cmd_.flags.end(),
                            [&](const flag_def& d) { return d.name == name; });
      if (f == cmd_.flags.end())
        return fail("unknown flag '" + name + "' for troupe " + cl_.command);
      std::string value;
      if (f->arg.empty() && eq != std::string::npos)
        return fail("flag " + name + " takes no value");
      if (!f->arg.empty()) {
        if (eq != std::string::npos)
          value = a.substr(eq + 1);
        else if (i + 1 < args_.size())
          value = args_[++i];
        else
          return fail("flag " + name + " needs a value");
      }
      if (auto err = handle(name, value); !err.empty())
        return fail(err);
    }
    if (!properties_file_.empty())
      if (auto err = load_conf_file(cl_.opts, properties_file_); !err.empty())
        return fail(err);
    for (const auto& [origin, key, value] : confs_)
      if (auto err = apply_conf(cl_.opts, key, value); !err.empty())
        return fail(origin == "--conf" ? err : origin + ": " + err);
    return true;
  }

  /// Parses the --master value into opts.master. Without one, fails with
  /// `missing` unless it is null; `remote_only` refuses local forms.
  bool take_master(const std::string* missing, bool remote_only) {
    if (!master_)
      return missing ? fail(*missing) : true;
    std::string err;
    auto m = parse_master_url(*master_, err);
    if (!m)
      return fail(err);
    if (remote_only && m->kind != master_kind::remote)
      return fail("troupe " + cl_.command + " needs --master troupe://host:port, got '"
                  + *master_ + "'");
    cl_.opts.master = *m;
    return true;
  }

  /// Records the first error; always false.
  bool fail(const std::string& error) {
    if (cl_.error.empty())
      cl_.error = error;
    return false;
  }

  /// Fails naming the first positional argument, if any (for commands without any).
  bool no_positionals() {
    return positionals_.empty()
           || fail("unexpected argument '" + positionals_.front() + "' for troupe " + cl_.command);
  }

  const std::vector<std::string>& positionals() const { return positionals_; }
  const std::vector<std::string>& rest() const { return rest_; }
  bool port_given() const { return port_given_; }

private:
  /// Handles one flag with its value; returns an error or "".
  std::string handle(const std::string& name, const std::string& v) {
    auto& s = cl_.opts;
    auto int_flag = [&](auto& field, int64_t min, int64_t max) -> std::string {
      int64_t n = 0;
      if (!parse_int(v, n) || n < min || n > max)
        return "flag " + name + " needs an integer in " + std::to_string(min) + ".."
               + std::to_string(max) + ", got '" + v + "'";
      field = static_cast<std::remove_reference_t<decltype(field)>>(n);
      return {};
    };
    auto nonempty = [&](std::string& field) -> std::string {
      if (v.empty())
        return "flag " + name + " needs a non-empty value";
      field = v;
      return {};
    };
    constexpr int64_t int32_max = std::numeric_limits<int32_t>::max();
    static const std::map<std::string, std::string, std::less<>> conf_flags{
      {"--executor-cores", "executor.cores"},
      {"--executor-memory", "executor.memory"},
      {"--total-executor-cores", "total-executor-cores"},
      {"--log-level", "log.level"},
    };
    if (auto c = conf_flags.find(name); c != conf_flags.end()) {
      confs_.push_back({name, c->second, v});
    } else if (name == "--conf") {
      auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0)
        return "--conf expects key=value, got '" + v + "'";
      confs_.push_back({name, v.substr(0, eq), v.substr(eq + 1)});
    } else if (name == "--properties-file") {
      return nonempty(properties_file_);
    } else if (name == "--master") {
      master_ = v;
    } else if (name == "--deploy-mode") {
      if (v != "client" && v != "cluster")
        return "--deploy-mode must be client or cluster, got '" + v + "'";
      s.deploy_mode = v;
    } else if (name == "--supervise") {
      s.supervise = true;
    } else if (name == "--wait") {
      s.wait = true;
    } else if (name == "--threads") {
      cl_.simulate_threads = true;
    } else if (name == "--role") {
      if (v != "master" && v != "worker" && v != "executor" && v != "driver")
        return "--role must be master, worker, executor or driver, got '" + v + "'";
      s.role = v;
    } else if (name == "--host") {
      return nonempty(s.host);
    } else if (name == "--work-dir") {
      return nonempty(s.work_dir);
    } else if (name == "--app-id") {
      return nonempty(s.app_id);
    } else if (name == "--executor-id") {
      return nonempty(s.executor_id);
    } else if (name == "--driver-url") {
      return nonempty(s.driver_url);
    } else if (name == "--driver-id") {
      return nonempty(s.driver_id);
    } else if (name == "--port") {
      port_given_ = true;
      return int_flag(s.port, 0, 65535);
    } else if (name == "--cores") {
      return int_flag(s.cores, 1, int32_max);
    } else if (name == "--workers") {
      return int_flag(cl_.simulate_workers, 1, int32_max);
    } else if (name == "--memory") {
      auto mb = parse_memory_mb(v);
      if (!mb)
        return "flag --memory needs a positive size such as 512m or 4g, got '" + v + "'";
      s.memory_mb = *mb;
    }
    return {};
  }

  struct conf_op {
    std::string origin, key, value;
  };
  command_line& cl_;
  const command_def& cmd_;
  std::vector<std::string> args_;
  std::vector<std::string> positionals_;
  std::vector<std::string> rest_;
  std::vector<conf_op> confs_;
  std::string properties_file_;
  std::optional<std::string> master_;
  bool port_given_ = false;
};

void parse_submit(command_line& cl, option_parser& p) {
  static const std::string missing =
    "submit needs --master (local[N], local-cluster[N,C,M] or troupe://host:port)";
  if (!p.read(true) || !p.take_master(&missing, false))
    return;
  auto& s = cl.opts;
  if (s.deploy_mode == "cluster" && s.master.kind != master_kind::remote)
    p.fail("cluster deploy mode needs a troupe://host:port master");
  else if (p.rest().empty())
    p.fail("submit needs an APP to run (see troupe apps)");
  else {
    s.app = p.rest().front();
    s.app_args.assign(p.rest().begin() + 1, p.rest().end());
  }
}

void parse_node(command_line& cl, option_parser& p) {
  static const std::string missing = "a worker or driver needs --master troupe://host:port";
  auto& s = cl.opts;
  // A driver's options end at its APP, as submit's do; other roles take no argument.
  if (!p.read(true))
    return;
  bool needs_master = s.role == "worker" || s.role == "driver";
  if (s.role.empty())
    p.fail("node needs --role master|worker|executor|driver");
  else if (s.role != "driver" && !p.rest().empty())
    p.fail("unexpected argument '" + p.rest().front() + "' for troupe node");
  else if (s.role == "executor" && (s.app_id.empty() || s.executor_id.empty() || s.driver_url.empty()))
    p.fail("an executor needs --app-id, --executor-id and --driver-url");
  else if (s.role == "driver" && (s.driver_id.empty() || p.rest().empty()))
    p.fail("a driver needs --driver-id and an APP");
  else if (p.take_master(needs_master ? &missing : nullptr, needs_master) && !p.port_given()) {
    s.port = s.role == "master" ? 7077 : 0;
  }
  if (s.role == "driver" && !p.rest().empty() && cl.error.empty()) {
    s.app = p.rest().front();
    s.app_args.assign(p.rest().begin() + 1, p.rest().end());
  }
}

void parse_simulate(command_line& cl, option_parser& p) {
  if (!p.read(false) || !p.no_positionals())
    return;
  if (cl.simulate_workers < 1)
    p.fail("simulate needs --workers N (N >= 1)");
  else if (!p.port_given())
    cl.opts.port = 7077;
}

/// status (optional DRIVER_ID), kill and logs (DRIVER_ID required).
void parse_driver_command(command_line& cl, option_parser& p) {
  const std::string missing = cl.command + " needs --master troupe://host:port";
  if (!p.read(false) || !p.take_master(&missing, true))
    return;
  const auto& pos = p.positionals();
  if (pos.size() > 1)
    p.fail("unexpected argument '" + pos[1] + "' for troupe " + cl.command);
  else if (pos.empty() && cl.command != "status")
    p.fail(cl.command + " needs a DRIVER_ID");
  else if (!pos.empty())
    cl.driver_id = pos.front();
}

} // namespace

command_line parse_command_line(int argc, const char* const* argv) {
  command_line cl;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i)
    args.emplace_back(argv[i] ? argv[i] : "");
  cl.command = args.empty() ? "help" : args.front();
  cl.usage = top_help();
  if (args.empty()) {
    cl.error = "no command given";
    return cl;
  }
  args.erase(args.begin());
  if (cl.command == "help" || cl.command == "--help" || cl.command == "-h") {
    cl.command = "help";
    cl.help = true;
    // `troupe help submit` shows what `troupe submit --help` shows.
    if (!args.empty()) {
      if (auto c = find_command(args.front()); c && args.size() == 1)
        cl.usage = help_text(*c);
      else
        cl.error = "unknown command '" + args.front() + "'";
    }
    return cl;
  }
  auto cmd = find_command(cl.command);
  if (!cmd) {
    cl.error = "unknown command '" + cl.command + "'";
    return cl;
  }
  cl.usage = help_text(*cmd);
  option_parser p{cl, *cmd, std::move(args)};
  if (cl.command == "submit")
    parse_submit(cl, p);
  else if (cl.command == "node")
    parse_node(cl, p);
  else if (cl.command == "simulate")
    parse_simulate(cl, p);
  else if (cl.command == "apps")
    p.read(false) && p.no_positionals();
  else
    parse_driver_command(cl, p);
  // Asking for help is never an error, whatever else the line holds.
  if (cl.help)
    cl.error.clear();
  return cl;
}

} // namespace troupe
