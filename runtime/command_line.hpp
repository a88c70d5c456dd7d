#pragma once
// The command line of `troupe`: its subcommands, their flags (one table, each
// flag with its parser), their help. Parsed once into a `command_line`.

#include "runtime/settings.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace troupe {

/// The outcome of parsing a whole command line.
struct command_line {
  std::string command;      ///< submit | node | simulate | status | kill | logs | apps | help
  settings opts;            ///< everything the flags set
  std::string driver_id;    ///< status/kill/logs argument
  std::string warning;      ///< printed on stderr, not fatal (e.g. a group-readable secret file)
  std::string apps_library; ///< apps LIB: list the apps of this library
  int32_t simulate_workers = 0;  ///< simulate --workers N
  bool simulate_threads = false; ///< simulate --threads: workers as threads
  std::string history_dir;       ///< history DIR, history-server --dir DIR
  std::string history_app;       ///< history DIR APP_ID
  bool help = false;        ///< --help was asked: print `usage` and exit 0
  std::string usage;        ///< help text of the command
  std::string error;        ///< non-empty: print it (and usage hint), exit 2
};

/// Parses argv (argv[0] is the program). Never throws, never exits.
command_line parse_command_line(int argc, const char* const* argv);

/// A flag as the table defines it, for help and for tests that try every flag.
struct flag_info {
  std::string name;  ///< "--master"
  std::string arg;   ///< its value's placeholder; empty for a switch
  std::string help;
};

/// The subcommands, in the order `troupe --help` lists them.
std::vector<std::string> command_names();

/// The flags `command` accepts (empty for an unknown command).
std::vector<flag_info> command_flags(std::string_view command);

} // namespace troupe
