#pragma once
// Spark's standalone REST submission protocol (port 6066), as plain code:
// parsing and validating a CreateSubmissionRequest into what troupe submits
// in cluster mode, and rendering the Create/Status/Kill responses and the
// ErrorResponse. The master_web actor side asks the master and answers.

#include "runtime/settings.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace troupe::rest {

/// The Spark version troupe answers as (clients print and sometimes check it).
inline constexpr const char* server_spark_version = "3.5.0";

/// A validated CreateSubmissionRequest.
struct create_submission {
  std::string app;                     ///< mainClass (appResource, when given, names the same app)
  std::vector<std::string> args;       ///< appArgs
  std::vector<std::string> conf_args;  ///< "--conf", "k=v", ... for the driver (from sparkProperties)
  int32_t driver_cores = 1;
  int64_t driver_memory_mb = 1024;
  bool supervise = false;
  std::string client_version;          ///< clientSparkVersion
};

/// Parses `body`. False and `error` (for an ErrorResponse) on malformed JSON,
/// a wrong action, an unknown or mistyped field, an application `known_app`
/// does not know, or a sparkProperty that troupe cannot honour. `base`: the
/// settings the driver starts from (its defaults).
bool parse_create(const std::string& body, const std::function<bool(const std::string&)>& known_app,
                  const settings& base, create_submission& out, std::string& error);

/// A submission id as the routes take it: "driver-..." of safe characters; false otherwise.
bool valid_submission_id(const std::string& id);

/// CreateSubmissionResponse.
std::string render_create(bool success, const std::string& id, const std::string& message);

/// SubmissionStatusResponse (driverState in Spark's upper case).
struct status_reply {
  bool found = false;
  std::string id;
  std::string driver_state;  ///< SUBMITTED, RUNNING, FINISHED, RELAUNCHING, FAILED, KILLED, NOT_FOUND
  std::string worker_id;
  std::string worker_host_port;
  std::string message;
};
std::string render_status(const status_reply& s);

/// KillSubmissionResponse.
std::string render_kill(bool success, const std::string& id, const std::string& message);

/// ErrorResponse.
std::string render_error(const std::string& message);

// -- the client side (troupe submit|status|kill --master troupe-rest://H:P) ---------

/// The CreateSubmissionRequest for `s`'s app, arguments and settings (those
/// that differ from the defaults travel as sparkProperties of their own name).
std::string render_create_request(const settings& s);

/// A response's fields as a client reads them; `parsed` false for a body that is not JSON.
struct reply_fields {
  bool parsed = false;
  std::string action;
  bool success = false;
  std::string message;
  std::string submission_id;
  std::string driver_state;
  std::string worker_id;
  std::string worker_host_port;
};
reply_fields parse_reply(const std::string& body);

} // namespace troupe::rest
