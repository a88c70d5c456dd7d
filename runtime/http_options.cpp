#include "runtime/http_options.hpp"

#include "runtime/auth.hpp"
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
  // cpp-httplib holds a thread per open connection: more threads and a short
  // read timeout bound how long a few silent strangers can stall the pages
  // (measured in hostile_bytes_test: 20 half-open connections).
  out.threads = 16;
  out.read_timeout_ms = 2000;
  if (!s.auth_secret_file.empty()) {
    // The token is derived from the secret; the secret itself never serves as one.
    std::string secret, warning;
    if (!auth::read_secret_file(s.auth_secret_file, secret, error, warning))
      return false;
    out.token = auth::http_token(secret);
  }
  // HTTPS with the node's certificate (tls.cafile concerns node peers; HTTP
  // clients such as browsers and curl present no certificate).
  if (!s.tls_certificate.empty() || !s.tls_key.empty()) {
    if (s.tls_certificate.empty() || s.tls_key.empty()) {
      error = "HTTPS needs both tls.certificate and tls.key";
      return false;
    }
    out.tls_certificate = s.tls_certificate;
    out.tls_key = s.tls_key;
  }
  return true;
}

std::string exposure_warning(const settings& s, bool rest_enabled) {
  if (!s.auth_secret_file.empty())
    return "";
  if (!s.tls_certificate.empty())
    return "tls.certificate without auth.secret-file: a stranger's failed TLS handshake makes CAF 0.17 drop "
           "this node's other TLS connections (they reconnect); set auth.secret-file as well, so that only "
           "holders of the secret reach the TLS handshake";
  auto loopback = [](const std::string& h) {
    return h == "127.0.0.1" || h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
  };
  if (loopback(s.host))
    return "";
  std::string what = rest_enabled ? "the node port and the REST submission port are" : "the node port is";
  return what + " bound to " + (s.host.empty() ? std::string{"every address"} : s.host)
         + " without auth.secret-file: anyone who reaches " + (rest_enabled ? "them" : "it")
         + " can register workers, submit and kill drivers (set --conf auth.secret-file=F on every node)";
}

} // namespace troupe
