#include "runtime/http_server.hpp"

#include "runtime/log.hpp"

#include <httplib.h>
#include <sys/socket.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <exception>
#include <mutex>
#include <thread>

namespace troupe::http {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct route_entry {
  std::string method;
  std::string pattern;
  access acc;
  handler fn;
};

} // namespace

// -- request / response ---------------------------------------------------------

std::string request::param(const std::string& key, const std::string& fallback) const {
  auto it = query.find(key);
  return it == query.end() ? fallback : it->second;
}

std::string request::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

response response::json(std::string body, int status) {
  return response{status, "application/json", std::move(body), {}};
}

response response::html(std::string body, int status) {
  return response{status, "text/html; charset=utf-8", std::move(body), {}};
}

response response::text(std::string body, int status) {
  return response{status, "text/plain; charset=utf-8", std::move(body), {}};
}

response response::error(int status, const std::string& message) {
  // Hand-escaped so this file needs no JSON library: quotes, backslashes, controls.
  std::string out = "{\"error\":\"";
  for (char c : message) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += "\"}";
  return json(std::move(out), status);
}

bool bearer_matches(const std::string& header, const std::string& token) {
  static constexpr std::string_view prefix = "Bearer ";
  if (token.empty() || header.size() != prefix.size() + token.size() ||
      header.compare(0, prefix.size(), prefix) != 0)
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(header[prefix.size() + i] ^ token[i]);
  return diff == 0;
}

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// -- server ---------------------------------------------------------------------

struct server::impl {
  std::vector<route_entry> routes;
  std::unique_ptr<httplib::Server> srv;
  std::thread thread;
  server_options opts;
  uint16_t port = 0;
  bool tls = false;
  std::atomic<uint64_t> served{0};
  std::mutex stop_mtx;

  bool authorized(const httplib::Request& req, access acc) const {
    if (opts.token.empty() || (acc == access::read && opts.public_reads))
      return true;
    if (bearer_matches(req.get_header_value("Authorization"), opts.token))
      return true;
    // A browser cannot set a header on a link: read pages also take ?token=.
    if (acc == access::read && req.method == "GET" && req.has_param("token")) {
      auto given = "Bearer " + req.get_param_value("token");
      return bearer_matches(given, opts.token);
    }
    return false;
  }

  void serve(const route_entry& r, const httplib::Request& req, httplib::Response& res) {
    ++served;
    if (!authorized(req, r.acc)) {
      auto out = response::error(401, "missing or wrong token: send 'Authorization: Bearer <token>' "
                                      "(the token is derived from auth.secret-file; see troupe token)");
      res.status = out.status;
      res.set_header("WWW-Authenticate", "Bearer");
      res.set_content(out.body, out.content_type.c_str());
      return;
    }
    request in;
    in.method = req.method;
    in.path = req.path;
    for (size_t i = 1; i < req.matches.size(); ++i)
      in.captures.push_back(req.matches[i].str());
    for (const auto& [k, v] : req.params)
      in.query.emplace(k, v);
    for (const auto& [k, v] : req.headers)
      in.headers[lower(k)] = v;
    in.body = req.body;
    in.remote_addr = req.remote_addr;
    response out;
    try {
      out = r.fn(in);
    } catch (const std::exception& e) {
      out = response::error(500, e.what());
    } catch (...) {
      out = response::error(500, "internal error");
    }
    res.status = out.status;
    for (const auto& [k, v] : out.headers)
      res.set_header(k.c_str(), v.c_str());
    res.set_content(out.body, out.content_type.c_str());
  }
};

server::server() : impl_(std::make_unique<impl>()) {}

server::~server() { stop(); }

void server::route(const std::string& method, const std::string& pattern, access a, handler h) {
  impl_->routes.push_back(route_entry{method, pattern, a, std::move(h)});
}

bool server::start(const server_options& opts, std::string& error) {
  auto& p = *impl_;
  p.opts = opts;
  bool want_tls = !opts.tls_certificate.empty() || !opts.tls_key.empty();
  if (want_tls) {
    if (opts.tls_certificate.empty() || opts.tls_key.empty()) {
      error = opts.name + ": HTTPS needs both tls.certificate and tls.key";
      return false;
    }
    auto ssl = std::make_unique<httplib::SSLServer>(opts.tls_certificate.c_str(), opts.tls_key.c_str());
    if (!ssl->is_valid()) {
      error = opts.name + ": cannot load TLS certificate '" + opts.tls_certificate + "' or key '" +
              opts.tls_key + "'";
      return false;
    }
    p.srv = std::move(ssl);
    p.tls = true;
  } else {
    p.srv = std::make_unique<httplib::Server>();
  }
  auto& srv = *p.srv;
  int threads = std::max(1, opts.threads);
  srv.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  srv.set_payload_max_length(opts.max_body_bytes);
  srv.set_read_timeout(opts.read_timeout_ms / 1000, (opts.read_timeout_ms % 1000) * 1000);
  srv.set_write_timeout(5, 0);
  srv.set_keep_alive_max_count(100);
  // Headers and body go out in separate writes: without TCP_NODELAY a kept-alive
  // connection's second answer waits ~40 ms for the client's delayed ACK.
  srv.set_tcp_nodelay(true);
  // httplib's default sets SO_REUSEPORT, which lets a second server bind a
  // port that is in use and silently share its connections: address reuse only.
  srv.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  srv.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    auto out = response::error(500, "internal error");
    res.status = 500;
    res.set_content(out.body, out.content_type.c_str());
  });
  srv.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty())
      return;
    auto out = response::error(res.status, res.status == 404 ? "no such page: " + req.path
                                                             : "HTTP error " + std::to_string(res.status));
    res.set_content(out.body, out.content_type.c_str());
  });
  for (const auto& r : p.routes) {
    auto fn = [this, &r](const httplib::Request& req, httplib::Response& res) { impl_->serve(r, req, res); };
    if (r.method == "GET")
      srv.Get(r.pattern, fn);
    else if (r.method == "POST")
      srv.Post(r.pattern, fn);
    else if (r.method == "PUT")
      srv.Put(r.pattern, fn);
    else if (r.method == "DELETE")
      srv.Delete(r.pattern, fn);
    else
      throw std::invalid_argument("http: unsupported method " + r.method);
  }
  int tries = std::max(1, opts.port_tries);
  int bound = -1;
  std::string host = opts.host.empty() ? "0.0.0.0" : opts.host;
  if (opts.port == 0) {
    bound = srv.bind_to_any_port(host);
  } else {
    for (int i = 0; i < tries && bound < 0; ++i) {
      int port = opts.port + i;
      if (port > 65535)
        break;
      if (srv.bind_to_port(host, port))
        bound = port;
    }
  }
  if (bound <= 0) {
    error = opts.name + ": cannot bind " + host + ":" + std::to_string(opts.port) +
            (tries > 1 ? " (nor the next " + std::to_string(tries - 1) + " ports)" : "") +
            ": address in use or not available";
    return false;
  }
  p.port = static_cast<uint16_t>(bound);
  p.thread = std::thread([&srv] { srv.listen_after_bind(); });
  // stop() before the loop runs would leave it listening forever: wait for it.
  for (int i = 0; i < 2000 && !srv.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

uint16_t server::port() const { return impl_->port; }

std::string server::url() const {
  if (impl_->port == 0)
    return {};
  std::string host = impl_->opts.host.empty() || impl_->opts.host == "0.0.0.0" ? "127.0.0.1" : impl_->opts.host;
  return (impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(impl_->port);
}

uint64_t server::served() const { return impl_->served.load(); }

void server::stop() {
  auto& p = *impl_;
  std::lock_guard guard{p.stop_mtx};
  if (p.srv)
    p.srv->stop();
  if (p.thread.joinable())
    p.thread.join();
}

client_reply fetch(const std::string& method, const std::string& host, uint16_t port, const std::string& path,
                   const std::string& body, int timeout_ms, const std::string& token) {
  client_reply out;
  httplib::Client cl(host, port);
  auto secs = timeout_ms / 1000;
  auto usecs = (timeout_ms % 1000) * 1000;
  cl.set_connection_timeout(secs, usecs);
  cl.set_read_timeout(secs, usecs);
  cl.set_write_timeout(secs, usecs);
  httplib::Headers headers;
  if (!token.empty())
    headers.emplace("Authorization", "Bearer " + token);
  httplib::Result r = method == "POST" ? cl.Post(path.c_str(), headers, body, "application/json;charset=UTF-8")
                                       : cl.Get(path.c_str(), headers);
  if (!r) {
    out.error = "no answer from http://" + host + ":" + std::to_string(port) + ": " + httplib::to_string(r.error());
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  return out;
}

} // namespace troupe::http
