#pragma once
// The one place HTTP servers get their options from the settings: bind
// address, port rule, and (from the security settings) the token and TLS
// files, so the master UI, REST server, driver UI, history server and gateway
// are guarded alike.

#include "runtime/http_server.hpp"

#include <string>

namespace troupe {

struct settings;

/// Options for a server named `name` on `port` (`port_tries` > 1: the next
/// free port when taken, Spark's UI rule). False and `error` set when the
/// security settings cannot be honoured (e.g. an unreadable secret file).
bool http_options_from(const settings& s, const std::string& name, uint16_t port, int port_tries,
                       http::server_options& out, std::string& error);

} // namespace troupe
