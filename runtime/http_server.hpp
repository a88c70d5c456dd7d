#pragma once
// The one HTTP layer every role uses (master UI and /json, REST submission,
// the driver's UI and /api/v1, the history server, the gateway). A thin,
// owned wrapper over cpp-httplib that keeps httplib.h (and OpenSSL) out of
// every other file: routes are (method, regex, access, handler), handlers get
// a plain request and return a plain response. The server runs on threads of
// its own, so a handler may block (e.g. ask an actor for a snapshot) without
// ever touching CAF's scheduler.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace troupe::http {

/// One request as a handler sees it.
struct request {
  std::string method;                          ///< "GET", "POST", ...
  std::string path;                            ///< without the query string
  std::vector<std::string> captures;           ///< the route's regex groups, 1..n
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  std::string remote_addr;

  /// The first query parameter `key`, or `fallback`.
  std::string param(const std::string& key, const std::string& fallback = "") const;
  /// Header `name` (any case), or "".
  std::string header(const std::string& name) const;
};

/// One response: a status, a content type and a body.
struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  /// A JSON body (already serialized).
  static response json(std::string body, int status = 200);
  /// An HTML page.
  static response html(std::string body, int status = 200);
  /// Plain text.
  static response text(std::string body, int status = 200);
  /// `{"error": message}` with `status`.
  static response error(int status, const std::string& message);
};

/// What a route needs from the caller: read-only pages may be public
/// (ui.public=true); routes that change anything always need the token.
enum class access : uint8_t { read, write };

/// A route's handler; may throw, which answers 500 with the exception's text.
using handler = std::function<response(const request&)>;

/// Where and how a server listens.
struct server_options {
  std::string name = "http";        ///< for log lines
  std::string host = "127.0.0.1";   ///< bind address ("0.0.0.0" = any)
  uint16_t port = 0;                ///< 0 = any free port
  int port_tries = 1;               ///< >1: try port, port+1, ... (Spark's UI port rule)
  std::string tls_certificate;      ///< PEM; with tls_key set, the server speaks HTTPS
  std::string tls_key;
  std::string token;                ///< "" = no authentication; else Bearer token required
  bool public_reads = false;        ///< access::read routes need no token (ui.public)
  size_t max_body_bytes = 1 << 20;  ///< larger request bodies get 413
  int threads = 4;                  ///< worker threads serving requests
  int read_timeout_ms = 5000;       ///< a silent client is dropped after this
};

/// An HTTP(S) server with routes, started once, stopped once.
class server {
public:
  server();
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Adds a route; `pattern` is a std::regex matched against the whole path.
  /// Must be called before start().
  void route(const std::string& method, const std::string& pattern, access a, handler h);

  /// Binds and starts serving on a thread of its own. False and `error` set
  /// when no port could be bound or the TLS files could not be loaded.
  bool start(const server_options& opts, std::string& error);

  /// The bound port (0 before start).
  uint16_t port() const;
  /// "http://host:port" or "https://host:port" ("" before start).
  std::string url() const;
  /// Requests answered so far (any status).
  uint64_t served() const;

  /// Stops listening and joins the serving thread. Idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// What a client request got back: an HTTP status and body, or `error` (no answer).
struct client_reply {
  int status = 0;     ///< 0 when no answer came
  std::string body;
  std::string error;  ///< why there is no answer
};

/// One blocking HTTP request to http://host:port`path` (a `token`, when set,
/// goes as `Authorization: Bearer`), bounded by `timeout_ms`. For command-line
/// clients (troupe submit --master troupe-rest://...).
client_reply fetch(const std::string& method, const std::string& host, uint16_t port, const std::string& path,
                   const std::string& body, int timeout_ms, const std::string& token = "");

/// True when `header` ("Bearer X") carries exactly `token` (constant time).
bool bearer_matches(const std::string& header, const std::string& token);

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(const std::string& s);

} // namespace troupe::http
