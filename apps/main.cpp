// The `troupe` command: one binary, a subcommand per role and action.

#include "actors/deploy.hpp"
#include "runtime/app_registry.hpp"
#include "runtime/log.hpp"
#include "runtime/settings.hpp"

#include <iostream>

namespace {

int list_apps() {
  for (auto* a : troupe::all_apps())
    std::cout << a->name << "\n    usage: troupe submit --master MASTER " << a->usage << "\n    " << a->description
              << "\n";
  return 0;
}

} // namespace

int main(int argc, char** argv) {
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
  if (cl.command == "apps")
    return list_apps();
  if (cl.command == "submit") {
    troupe::log::set_process_role("submit");
    return troupe::run_submit(cl.opts);
  }
  if (cl.command == "help" || cl.command.empty()) {
    std::cout << cl.usage;
    return 0;
  }
  std::cerr << "error: 'troupe " << cl.command << "' is not available in this build yet" << std::endl;
  return 2;
}
