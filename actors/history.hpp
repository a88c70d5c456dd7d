#pragma once
// The history commands over an event-log directory (eventlog.dir):
// `troupe history DIR [APP_ID]` prints, `troupe history-server --dir DIR`
// serves the driver UI pages and /api/v1 for the applications logged there.

#include "runtime/settings.hpp"

#include <string>

namespace troupe {

/// `troupe history DIR` (app empty: the applications) or `DIR APP_ID` (its
/// jobs and stages). 0 on success, 1 when DIR or the log cannot be read.
int run_history(const std::string& dir, const std::string& app);

/// `troupe history-server`: serves `dir` on s.host:s.port (next free port if
/// taken) until SIGINT or SIGTERM.
int run_history_server(const settings& s, const std::string& dir);

} // namespace troupe
