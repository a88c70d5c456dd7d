#pragma once
// Event logs, as Spark writes them: one JSON object a line per event, one
// file per application in eventlog.dir, written as "<app>.inprogress" and
// renamed to "<app>" when the application ends. Reading one back replays its
// events into the same model the driver's UI renders (runtime/app_status),
// which is how `troupe history` and the history server see finished apps.

#include "runtime/app_status.hpp"

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace troupe::status {

/// One event as one JSON line (no newline).
std::string to_json_line(const event& e);

/// Parses one line; false and `error` (what is wrong with it) when it is not
/// an event this format writes.
bool parse_line(const std::string& line, event& out, std::string& error);

/// Appends events to "<dir>/<app>.inprogress"; close() renames it to "<dir>/<app>".
class event_log_writer {
public:
  event_log_writer() = default;
  ~event_log_writer();
  event_log_writer(const event_log_writer&) = delete;
  event_log_writer& operator=(const event_log_writer&) = delete;

  /// Creates the directory if needed and opens the in-progress file. False
  /// and `error` set when it cannot.
  bool open(const std::string& dir, const std::string& app, std::string& error);
  bool is_open() const;
  /// Writes one line and flushes it (a crashed driver leaves what it saw).
  void write(const event& e);
  /// Closes and renames to the final name. Idempotent.
  void close();
  /// The file written now ("" before open).
  std::string path() const;

private:
  mutable std::mutex mtx_;
  std::FILE* file_ = nullptr;
  std::string path_, final_path_;
};

/// Reads `path` and applies its events to `into`. False and `error` =
/// "PATH:LINE: what is wrong" at the first malformed line; a last line cut off
/// in an in-progress file (its writer mid-write) is ignored, as Spark does.
bool replay_file(const std::string& path, app_status& into, std::string& error);

/// One application found in an event-log directory.
struct log_entry {
  std::string path;
  bool in_progress = false;
  snapshot snap;
};

/// Every event log in `dir` (newest start first), replayed. Files that
/// cannot be read land in `errors` (one message each, naming the file and line).
std::vector<log_entry> scan_logs(const std::string& dir, std::vector<std::string>& errors);

/// The file of application `app` in `dir` (final or in progress), or "".
std::string find_log(const std::string& dir, const std::string& app);

} // namespace troupe::status
