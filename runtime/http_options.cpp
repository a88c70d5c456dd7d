#include "runtime/http_options.hpp"

#include "runtime/settings.hpp"

namespace troupe {

bool http_options_from(const settings& s, const std::string& name, uint16_t port, int port_tries,
                       http::server_options& out, std::string& error) {
  out = http::server_options{};
  out.name = name;
  out.host = s.host;
  out.port = port;
  out.port_tries = port_tries;
  out.public_reads = s.ui_public;
  // The token (auth.secret-file) and HTTPS (tls.certificate, tls.key) are
  // filled in here by the security work; until then servers are open.
  (void)error;
  return true;
}

} // namespace troupe
