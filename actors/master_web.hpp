#pragma once
// The master's HTTP edges, beside the master actor in its node: the web UI
// and Spark's /json (master.webui-port, default 8080) and Spark's REST
// submission protocol (master.rest-port, off by default). Handlers run on the
// HTTP server's threads, ask the master for a snapshot or send it a request
// (actors/ask.hpp), and render with runtime/master_view and
// runtime/rest_protocol; they never touch the master's state.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <memory>
#include <string>

namespace troupe {

struct settings;

/// The master's web UI and REST server; stopped when destroyed.
class master_web {
public:
  master_web(caf::actor_system& sys, caf::actor master, const settings& s);
  ~master_web();
  master_web(const master_web&) = delete;
  master_web& operator=(const master_web&) = delete;

  /// Starts the UI on master.webui-port or one of the next 16 (Spark's rule);
  /// with `any_port` (local clusters), on any free port when those are taken.
  /// Returns its URL, or "" when it is off or could not start (said on stderr).
  std::string start_ui(bool any_port);
  /// Starts the REST submission server on master.rest-port (no retries: a
  /// client names that port). Returns its URL, or "" when off or failed.
  std::string start_rest();
  /// Prints "troupe master web UI at URL" (and the REST line) for whatever started.
  void print_urls() const;
  /// Stops both servers. Idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace troupe
