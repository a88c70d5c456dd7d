#pragma once
// The driver's UI and monitoring API (/api/v1, Spark's field names) on
// driver.ui-port: an HTTP server whose handlers read snapshots of the
// application's model (runtime/app_status, mutex-guarded), never the driver
// actor's state. It lives and stops with the driver.

#include "runtime/app_status.hpp"
#include "runtime/http_server.hpp"

#include <memory>
#include <string>

namespace troupe {

/// A running driver UI.
class driver_web {
public:
  /// Starts the UI over `model`; nullptr and `error` set when no port could be bound.
  static std::unique_ptr<driver_web> start(std::shared_ptr<status::app_status> model,
                                           const http::server_options& opts, std::string& error);
  ~driver_web();
  /// "http://host:port".
  std::string url() const;
  uint16_t port() const;

private:
  driver_web() = default;
  http::server server_;
  std::shared_ptr<status::app_status> model_;
};

} // namespace troupe
