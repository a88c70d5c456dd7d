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

/// The warning a master prints at start when its ports are reachable beyond
/// loopback without a shared secret ("" when none is due); `rest_enabled`:
/// the REST submission server (settings.rest_port) is on.
std::string exposure_warning(const settings& s, bool rest_enabled);

} // namespace troupe
