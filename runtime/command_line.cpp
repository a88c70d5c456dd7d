#include "runtime/command_line.hpp"

#include "runtime/auth.hpp"
#include "runtime/parse_int.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

// The command line of `troupe`: its subcommands, their flags, their help.

namespace troupe {

// -- command line -----------------------------------------------------------------

namespace {

struct parse_state;

/// Parses one flag's value into the parse state; returns an error naming the
/// flag and the value, or "".
using flag_parser = std::function<std::string(parse_state&, const std::string& name, const std::string& value)>;

/// A flag of a command: its name, its value's placeholder ("" = a switch), its
/// help, and its parser. The one place a flag is defined.
struct flag_def {
  std::string_view name, arg;
  std::string help;
  flag_parser parse;
};

/// A command: its synopsis, a one-line summary, a paragraph, its flags.
struct command_def {
  std::string_view name, synopsis, summary, about;
  std::vector<flag_def> flags;
};

/// A conf key set by a flag, --conf or the properties file, applied in order at the end.
struct conf_op {
  std::string origin, key, value;
};

/// What the flags of one command line write to.
struct parse_state {
  command_line& cl;
  std::vector<conf_op> confs;
  std::string properties_file;
  std::optional<std::string> master;
  bool port_given = false;
};

// -- flag parsers ------------------------------------------------------------------

/// The value as a conf key (e.g. --executor-cores sets executor.cores).
flag_parser conf_flag(std::string key) {
  return [key](parse_state& p, const std::string& name, const std::string& v) {
    p.confs.push_back({name, key, v});
    return std::string{};
  };
}

/// A switch that sets a bool.
flag_parser switch_flag(bool command_line::*field) {
  return [field](parse_state& p, const std::string&, const std::string&) {
    p.cl.*field = true;
    return std::string{};
  };
}
flag_parser switch_flag(bool settings::*field) {
  return [field](parse_state& p, const std::string&, const std::string&) {
    p.cl.opts.*field = true;
    return std::string{};
  };
}

/// A non-empty string.
flag_parser string_flag(std::string settings::*field) {
  return [field](parse_state& p, const std::string& name, const std::string& v) {
    if (v.empty())
      return "flag " + name + " needs a non-empty value";
    p.cl.opts.*field = v;
    return std::string{};
  };
}

/// An integer in min..max.
template <class Field>
std::string parse_int_into(Field& field, const std::string& name, const std::string& v, int64_t min, int64_t max) {
  int64_t n = 0;
  if (!parse_int(v, n) || n < min || n > max)
    return "flag " + name + " needs an integer in " + std::to_string(min) + ".." + std::to_string(max) + ", got '"
           + v + "'";
  field = static_cast<Field>(n);
  return {};
}

flag_parser int_flag(int32_t settings::*field, int64_t min, int64_t max) {
  return [=](parse_state& p, const std::string& name, const std::string& v) {
    return parse_int_into(p.cl.opts.*field, name, v, min, max);
  };
}

flag_parser port_flag() {
  return [](parse_state& p, const std::string& name, const std::string& v) {
    p.port_given = true;
    return parse_int_into(p.cl.opts.port, name, v, 0, 65535);
  };
}

flag_parser workers_flag() {
  return [](parse_state& p, const std::string& name, const std::string& v) {
    // The bound depends on --threads, which may come later: checked in parse_simulate.
    if (parse_int_into(p.cl.simulate_workers, name, v, 1, max_thread_workers).empty())
      return std::string{};
    return "flag " + name + " needs an integer in 1.." + std::to_string(max_workers) + " (1.."
           + std::to_string(max_thread_workers) + " with --threads), got '" + v + "'";
  };
}

flag_parser memory_flag() {
  return [](parse_state& p, const std::string& name, const std::string& v) -> std::string {
    auto mb = parse_memory_mb(v);
    if (!mb || *mb > max_memory_mb)
      return "flag " + name + " needs a positive size such as 512m or 4g, at most "
             + std::to_string(max_memory_mb >> 20) + "t, got '" + v + "'";
    p.cl.opts.memory_mb = *mb;
    return {};
  };
}

flag_parser master_flag() {
  return [](parse_state& p, const std::string&, const std::string& v) {
    p.master = v;
    return std::string{};
  };
}

flag_parser deploy_mode_flag() {
  return [](parse_state& p, const std::string& name, const std::string& v) -> std::string {
    auto m = parse_deploy_mode(v);
    if (!m)
      return name + " must be client or cluster, got '" + v + "'";
    p.cl.opts.deploy = *m;
    return {};
  };
}

flag_parser role_flag() {
  return [](parse_state& p, const std::string& name, const std::string& v) -> std::string {
    auto r = parse_node_role(v);
    if (!r)
      return name + " must be master, worker, executor or driver, got '" + v + "'";
    p.cl.opts.role = *r;
    return {};
  };
}

flag_parser conf_kv_flag() {
  return [](parse_state& p, const std::string& name, const std::string& v) -> std::string {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0)
      return "--conf expects key=value, got '" + v + "'";
    p.confs.push_back({name, v.substr(0, eq), v.substr(eq + 1)});
    return {};
  };
}

flag_parser properties_flag() {
  return [](parse_state& p, const std::string& name, const std::string& v) -> std::string {
    if (v.empty())
      return "flag " + name + " needs a non-empty value";
    p.properties_file = v;
    return {};
  };
}

/// history-server --dir: a non-empty path.
flag_parser history_dir_flag() {
  return [](parse_state& p, const std::string& name, const std::string& v) -> std::string {
    if (v.empty())
      return "flag " + name + " needs a non-empty value";
    std::error_code ec;
    if (!std::filesystem::is_directory(v, ec))
      return "flag " + name + " needs an event-log directory, '" + v + "' is none";
    p.cl.history_dir = v;
    return {};
  };
}

// -- the table -----------------------------------------------------------------------

const std::vector<command_def>& commands() {
  using s = settings;
  static const flag_def conf{"--conf", "KEY=VALUE", "set a conf key; repeatable (see submit -h)", conf_kv_flag()};
  static const flag_def level{"--log-level", "LEVEL", "trace, debug, info, warn, error, critical or off",
                       conf_flag("log.level")};
  static const flag_def props{"--properties-file", "FILE", "'key = value' lines; the command line wins", properties_flag()};
  static const flag_def remote{"--master", "URL", "troupe://host:port of the master (required)", master_flag()};
  static const std::string cores_help = "cores a worker offers (hardware threads; at most " + std::to_string(max_cores) + ")";
  static const std::vector<command_def> table{
    {"submit", "submit --master MASTER [OPTIONS] APP|LIB.so [APP_NAME] [APP_ARGS...]",
     "run an application locally or on a cluster",
     "Runs application APP (see troupe apps), or one of an application library\n"
     "(LIB.so, or any path with a '/'; APP_NAME only when it holds several: see\n"
     "troupe apps LIB.so). The library goes to the cluster with the submission.\n"
     "Options end at APP: everything after it goes to the application unchanged.",
     {{"--master", "MASTER", "where the application runs (required):\n"
                             "local, local[N], local[*]: this process with\n"
                             "  1, N or one core per hardware thread\n"
                             "local-cluster[N,C,M]: a master and N workers\n"
                             "  (C cores, M MiB each) as processes on\n"
                             "  loopback, for this submission only\n"
                             "troupe://host:port (or host:port): a cluster",
       master_flag()},
      {"--deploy-mode", "client|cluster", "driver here (client, the default) or on a\n"
                                          "worker the master picks (cluster; needs\n"
                                          "troupe://host:port)",
       deploy_mode_flag()},
      {"--supervise", "", "cluster mode: relaunch the driver if it fails", switch_flag(&s::supervise)},
      {"--wait", "", "cluster mode: follow the driver until it ends", switch_flag(&s::wait)},
      {"--executor-cores", "N", "cores per executor (conf executor.cores)", conf_flag("executor.cores")},
      {"--executor-memory", "SIZE", "memory per executor, e.g. 2g (executor.memory)", conf_flag("executor.memory")},
      {"--total-executor-cores", "N", "cores to take in all (total-executor-cores)", conf_flag("total-executor-cores")},
      {"--driver-cores", "N", "cluster mode: the driver's cores (driver.cores)", conf_flag("driver.cores")},
      {"--driver-memory", "SIZE", "cluster mode: the driver's memory (driver.memory)", conf_flag("driver.memory")},
      conf, props, level}},
    {"node", "node --role master|worker|executor|driver [OPTIONS]",
     "run one role: master, worker, executor or driver",
     "Runs one role of a cluster until it is stopped.",
     {{"--role", "ROLE", "master, worker, executor or driver (required)", role_flag()},
      {"--host", "H", "address to bind and advertise (127.0.0.1)", string_flag(&s::host)},
      {"--port", "P", "port (master: 7077; others: any free port)", port_flag()},
      {"--master", "URL", "the master (troupe://host:port; for workers)", master_flag()},
      {"--cores", "N", cores_help, int_flag(&s::cores, 1, max_cores)},
      {"--memory", "SIZE", "memory a worker offers (default: RAM - 1 GiB)", memory_flag()},
      {"--work-dir", "D", "a worker's logs and spills (default: work)", string_flag(&s::work_dir)},
      {"--recovery-dir", "D", "master: journal workers, apps and drivers in D\n"
                              "and recover them on restart (master.recovery-dir)",
       conf_flag("master.recovery-dir")},
      {"--webui-port", "P", "master: port of the web UI and /json (8080; 0 = off)\n"
                            "(master.webui-port)", conf_flag("master.webui-port")},
      {"--rest-port", "P", "master: port of the REST submission server (off)\n"
                           "(master.rest-port)", conf_flag("master.rest-port")},
      {"--app-id", "ID", "executor: its application (set by a worker)", string_flag(&s::app_id)},
      {"--executor-id", "ID", "executor: its id (set by a worker)", string_flag(&s::executor_id)},
      {"--driver-url", "URL", "executor: troupe://host:port of its driver", string_flag(&s::driver_url)},
      {"--driver-id", "ID", "driver: its id; APP [APP_ARGS] follow the options", string_flag(&s::driver_id)},
      conf, props, level}},
    {"simulate", "simulate --workers N [OPTIONS]",
     "keep a master and N workers up on loopback",
     "Starts a master and N workers on loopback and keeps them up until interrupted.",
     {{"--workers", "N", "number of workers (required, 1.." + std::to_string(max_workers) + ",\n"
                         "1.." + std::to_string(max_thread_workers) + " with --threads)", workers_flag()},
      {"--cores", "C", "cores per worker (hardware threads)", int_flag(&s::cores, 1, max_cores)},
      {"--memory", "SIZE", "memory per worker (default: RAM - 1 GiB)", memory_flag()},
      {"--threads", "", "workers as threads of this process", switch_flag(&command_line::simulate_threads)},
      {"--chaos", "SEED", "apply the fault schedule of SEED to the workers,\n"
                          "executors and drivers (conf chaos.seed)", conf_flag("chaos.seed")},
      {"--chaos-interval", "MS", "mean ms between faults (conf chaos.interval)", conf_flag("chaos.interval")},
      {"--port", "P", "the master's port (default 7077)", port_flag()},
      conf, props, level}},
    {"status", "status --master troupe://host:port [DRIVER_ID]",
     "show the drivers of a cluster, or one driver",
     "Shows the state of one driver, or of every driver the master knows.", {remote, conf, props, level}},
    {"kill", "kill --master troupe://host:port DRIVER_ID|APP_ID", "kill a cluster-mode driver or an application",
     "Kills a cluster-mode driver and its application, or an application (APP_ID, app-...): its executors "
     "stop and its driver exits with the reason.", {remote, conf, props, level}},
    {"logs", "logs --master troupe://host:port DRIVER_ID", "print a cluster-mode driver's log",
     "Prints the log of a cluster-mode driver.", {remote, conf, props, level}},
    {"token", "token --conf auth.secret-file=F", "print the HTTP bearer token of a shared secret",
     "Prints the token HTTP callers send as 'Authorization: Bearer TOKEN' (derived from the secret; the "
     "secret itself never leaves the file).", {conf, props, level}},
    {"history", "history DIR [APP_ID]", "list the applications of an event-log directory, or one's jobs",
     "Lists the applications whose event logs (eventlog.dir) are in DIR: id, name, start, duration,\n"
     "status; with APP_ID, its jobs and stages with their durations.", {level}},
    {"history-server", "history-server --dir DIR [--port 18080] [OPTIONS]",
     "serve the UI and /api/v1 of the applications in an event-log directory",
     "Serves the driver UI pages and /api/v1 for the applications whose event logs are in DIR\n"
     "(finished ones and those still running), read again on every request.",
     {{"--dir", "DIR", "the event-log directory (eventlog.dir; required)", history_dir_flag()},
      {"--port", "P", "the port (default 18080, the next free one if taken)", port_flag()},
      {"--host", "H", "address to bind (127.0.0.1)", string_flag(&s::host)},
      conf, props, level}},
    {"apps", "apps [LIB.so]", "list the applications this build (or a library) can run",
     "Lists the applications this build can run, with their arguments; with\n"
     "LIB.so, those the application library holds.", {}},
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
    : cl_(cl), cmd_(cmd), args_(std::move(args)), state_{cl, {}, {}, {}, false} {}

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
      if (auto err = f->parse(state_, name, value); !err.empty())
        return fail(err);
    }
    if (!state_.properties_file.empty())
      if (auto err = load_conf_file(cl_.opts, state_.properties_file); !err.empty())
        return fail(err);
    for (const auto& [origin, key, value] : state_.confs)
      if (auto err = apply_conf(cl_.opts, key, value); !err.empty())
        return fail(origin == "--conf" ? err : origin + ": " + err);
    if (auto err = check_conf(cl_.opts); !err.empty())
      return fail(err);
    return true;
  }

  /// Parses the --master value into opts.master. Without one, fails with
  /// `missing` unless it is null; `remote_only` refuses local forms.
  bool take_master(const std::string* missing, bool remote_only) {
    if (!state_.master)
      return missing ? fail(*missing) : true;
    std::string err;
    auto m = parse_master_url(*state_.master, err);
    if (!m)
      return fail("--master: " + err);
    if (remote_only && m->kind != master_kind::remote)
      return fail("troupe " + cl_.command + " needs --master troupe://host:port, got '"
                  + *state_.master + "'");
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
  bool port_given() const { return state_.port_given; }

private:
  command_line& cl_;
  const command_def& cmd_;
  std::vector<std::string> args_;
  std::vector<std::string> positionals_;
  std::vector<std::string> rest_;
  parse_state state_;
};

void parse_submit(command_line& cl, option_parser& p) {
  static const std::string missing =
    "submit needs --master (local[N], local-cluster[N,C,M] or troupe://host:port)";
  if (!p.read(true) || !p.take_master(&missing, false))
    return;
  auto& s = cl.opts;
  if (needs_remote_master(s.deploy) && s.master.kind != master_kind::remote)
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
  if (!s.role) {
    p.fail("node needs --role master|worker|executor|driver");
    return;
  }
  auto role = *s.role;
  bool needs_master = role == node_role::worker || role == node_role::driver;
  if (role != node_role::driver && !p.rest().empty())
    p.fail("unexpected argument '" + p.rest().front() + "' for troupe node");
  else if (role == node_role::executor && (s.app_id.empty() || s.executor_id.empty() || s.driver_url.empty()))
    p.fail("an executor needs --app-id, --executor-id and --driver-url");
  else if (role == node_role::driver && (s.driver_id.empty() || p.rest().empty()))
    p.fail("a driver needs --driver-id and an APP");
  else if (p.take_master(needs_master ? &missing : nullptr, needs_master) && !p.port_given()) {
    s.port = role == node_role::master ? 7077 : 0;
  }
  if (role == node_role::driver && !p.rest().empty() && cl.error.empty()) {
    s.app = p.rest().front();
    s.app_args.assign(p.rest().begin() + 1, p.rest().end());
  }
}

void parse_simulate(command_line& cl, option_parser& p) {
  if (!p.read(false) || !p.no_positionals())
    return;
  if (cl.simulate_workers < 1)
    p.fail("simulate needs --workers N (N >= 1)");
  else if (!cl.simulate_threads && cl.simulate_workers > max_workers)
    p.fail("flag --workers needs an integer in 1.." + std::to_string(max_workers) + " for workers as processes (1.."
           + std::to_string(max_thread_workers) + " with --threads), got '" + std::to_string(cl.simulate_workers) + "'");
  else if (cl.simulate_threads && cl.opts.chaos_seed != 0)
    p.fail("--chaos (chaos.seed) needs workers as processes: with --threads every worker is a thread of this "
           "one process, which no signal can fault alone");
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
    p.fail(cl.command + (cl.command == "kill" ? " needs a DRIVER_ID or an APP_ID" : " needs a DRIVER_ID"));
  else if (!pos.empty())
    cl.driver_id = pos.front();
}

/// history DIR [APP_ID]; history-server --dir DIR [--port P].
void parse_history(command_line& cl, option_parser& p) {
  if (!p.read(false))
    return;
  const auto& pos = p.positionals();
  if (cl.command == "history-server") {
    if (!p.no_positionals())
      return;
    if (cl.history_dir.empty())
      p.fail("history-server needs --dir DIR (the event-log directory)");
    else if (!p.port_given())
      cl.opts.port = 18080;
    return;
  }
  if (pos.empty())
    p.fail("history needs DIR (the event-log directory)");
  else if (pos.size() > 2)
    p.fail("unexpected argument '" + pos[2] + "' for troupe history");
  else if (pos.front().empty())
    p.fail("history needs a non-empty DIR");
  else {
    cl.history_dir = pos[0];
    if (pos.size() == 2)
      cl.history_app = pos[1];
  }
}

} // namespace

std::vector<std::string> command_names() {
  std::vector<std::string> names;
  for (const auto& c : commands())
    names.emplace_back(c.name);
  return names;
}

std::vector<flag_info> command_flags(std::string_view command) {
  std::vector<flag_info> flags;
  if (auto c = find_command(command))
    for (const auto& f : c->flags)
      flags.push_back({std::string{f.name}, std::string{f.arg}, f.help});
  return flags;
}

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
  else if (cl.command == "history" || cl.command == "history-server")
    parse_history(cl, p);
  else if (cl.command == "apps") {
    // `troupe apps [LIB]`: the apps built in, or those a library holds.
    if (p.read(false) && p.positionals().size() > 1)
      p.fail("troupe apps takes at most one library, got '" + p.positionals()[1] + "'");
    else if (p.positionals().size() == 1)
      cl.apps_library = p.positionals().front();
  }
  else if (cl.command == "token") {
    if (p.read(false) && p.no_positionals() && cl.opts.auth_secret_file.empty())
      p.fail("token needs --conf auth.secret-file=F");
  }
  else
    parse_driver_command(cl, p);
  // Asking for help is never an error, whatever else the line holds.
  if (cl.help)
    cl.error.clear();
  // A secret that cannot be read is a usage error at once, not a node that
  // comes up refusing everyone.
  if (cl.error.empty() && !cl.opts.auth_secret_file.empty()) {
    std::string secret, warning;
    if (!auth::read_secret_file(cl.opts.auth_secret_file, secret, cl.error, warning))
      return cl;
    cl.warning = warning;
  }
  if (cl.error.empty()
      && !auth::check_tls_files(cl.opts.tls_certificate, cl.opts.tls_key, cl.opts.tls_cafile, cl.error))
    return cl;
  return cl;
}

} // namespace troupe
