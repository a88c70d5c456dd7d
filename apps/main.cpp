// The `troupe` command: one binary, a subcommand per role and action.

#include "actors/cluster_client.hpp"
#include "actors/deploy.hpp"
#include "actors/history.hpp"
#include "actors/local_cluster.hpp"
#include "actors/nodes.hpp"
#include "actors/signals.hpp"
#include "runtime/app_library.hpp"
#include "runtime/app_registry.hpp"
#include "runtime/auth.hpp"
#include "runtime/command_line.hpp"
#include "runtime/log.hpp"

#include <exception>
#include <iostream>

namespace {

int list_apps() {
  for (auto* a : troupe::all_apps())
    std::cout << a->name << "\n    usage: troupe submit --master MASTER " << a->usage << "\n    " << a->description
              << "\n";
  return 0;
}

int print_token(const troupe::settings& s) {
  std::string secret, error, warning;
  if (!troupe::auth::read_secret_file(s.auth_secret_file, secret, error, warning)) {
    std::cerr << "error: " << error << std::endl;
    return 2;
  }
  std::cout << troupe::auth::http_token(secret) << std::endl;
  return 0;
}

int list_library_apps(const std::string& path) {
  std::string out;
  if (auto err = troupe::describe_library(path, out); !err.empty()) {
    std::cerr << "error: " << err << std::endl;
    return 2;
  }
  std::cout << out;
  return 0;
}

/// `submit LIB.so [APP_NAME] ARGS` (and a driver node given one): loads the
/// library here and names the app it runs; false after printing why not.
bool resolve_library(troupe::settings& s) {
  if (!troupe::names_library(s.app))
    return true;
  troupe::library_info lib;
  auto path = s.app;
  if (auto err = troupe::resolve_library_app(s.app, s.app_args, &lib); !err.empty()) {
    std::cerr << "error: " << err << std::endl;
    return false;
  }
  s.app_library = lib.path.empty() ? path : lib.path;
  // Forwarded to executors with the app's conf: they fetch it before registering.
  if (auto err = troupe::apply_conf(s, "app.library-hash", lib.hash); !err.empty()) {
    std::cerr << "error: " << err << std::endl;
    return false;
  }
  return true;
}

int run(int argc, char** argv) {
  // Before any thread starts: SIGINT and SIGTERM are taken with sigwait, so
  // that nodes stop cleanly (workers stop their executors first).
  troupe::block_stop_signals();
  auto cl = troupe::parse_command_line(argc, argv);
  if (cl.help) {
    std::cout << cl.usage;
    return 0;
  }
  if (!cl.error.empty()) {
    std::cerr << "error: " << cl.error << "\n(see 'troupe " << (cl.command.empty() ? "" : cl.command + " ")
              << "--help')" << std::endl;
    return 2;
  }
  if (!troupe::log::set_level(cl.opts.log_level)) {
    std::cerr << "error: bad log level '" << cl.opts.log_level << "'" << std::endl;
    return 2;
  }
  if (!cl.warning.empty())
    std::cerr << "warning: " << cl.warning << std::endl;
  if (cl.command == "apps")
    return cl.apps_library.empty() ? list_apps() : list_library_apps(cl.apps_library);
  if (cl.command == "token")
    return print_token(cl.opts);
  if ((cl.command == "submit" || cl.command == "node") && !resolve_library(cl.opts))
    return 2;
  if (cl.command == "submit") {
    troupe::log::set_process_role("submit");
    return troupe::run_submit(cl.opts);
  }
  if (cl.command == "node")
    return troupe::run_node(cl.opts);
  if (cl.command == "simulate") {
    troupe::log::set_process_role("simulate");
    return troupe::run_simulate(cl.opts, cl.simulate_workers, cl.simulate_threads);
  }
  if (cl.command == "history")
    return troupe::run_history(cl.history_dir, cl.history_app);
  if (cl.command == "history-server") {
    troupe::log::set_process_role("history");
    return troupe::run_history_server(cl.opts, cl.history_dir);
  }
  if (cl.command == "status" || cl.command == "kill" || cl.command == "logs")
    return troupe::run_control(cl.command, cl.opts, cl.driver_id);
  std::cout << cl.usage;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  // Whatever a command throws ends it with a message and exit 1, never with
  // std::terminate (e.g. threads the machine cannot create).
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
  } catch (...) {
    std::cerr << "error: an unknown exception stopped troupe" << std::endl;
  }
  return 1;
}
