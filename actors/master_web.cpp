#include "actors/master_web.hpp"

#include "actors/ask.hpp"
#include "actors/protocol.hpp"
#include "runtime/app_registry.hpp"
#include "runtime/http_options.hpp"
#include "runtime/http_server.hpp"
#include "runtime/log.hpp"
#include "runtime/master_view.hpp"
#include "runtime/process.hpp"
#include "runtime/rest_protocol.hpp"
#include "runtime/settings.hpp"

#include <caf/actor_system.hpp>
#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

namespace troupe {

namespace {

/// Spark's UI rule: the port, then the next 16.
constexpr int ui_port_tries = 17;
/// How often the HTML pages reload themselves.
constexpr int refresh_seconds = 5;

view::master_snapshot view_of(const cluster_status& st) {
  view::master_snapshot v;
  v.url = st.url;
  v.state = st.state;
  v.now_ms = st.now_ms;
  for (auto& w : st.workers)
    v.workers.push_back({w.id, w.host, w.port, std::string{to_string(w.state)}, w.cores, w.cores_used, w.memory_mb,
                         w.memory_used_mb, w.last_heartbeat_ms});
  for (auto& a : st.apps) {
    view::app_row r;
    r.id = a.id;
    r.name = a.name;
    r.state = std::string{to_string(a.state)};
    r.finished = is_finished(a.state);
    r.cores = a.cores;
    r.cores_max = a.cores_max;
    r.executor_memory_mb = a.executor_memory_mb;
    r.start_ms = a.start_ms;
    r.end_ms = a.end_ms;
    r.submit_host = a.submit_host;
    r.driver_host = a.driver_host;
    r.driver_port = a.driver_port;
    r.driver_id = a.driver;
    r.ui_url = a.ui_url;
    r.waiting_reason = a.waiting_reason;
    for (auto& e : a.executors)
      r.executors.push_back({e.id, e.worker, e.host, e.cores, std::string{to_string(e.state)}});
    r.ran_on = a.ran_on;
    v.apps.push_back(std::move(r));
  }
  for (auto& d : st.drivers)
    v.drivers.push_back({d.driver, d.app, std::string{to_string(d.state)}, is_finished(d.state), d.worker,
                         d.worker_host, d.worker_port, d.start_ms, d.end_ms, d.cores, d.memory_mb, d.supervise,
                         d.relaunches, d.message});
  return v;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

rest::status_reply reply_of(const driver_status& d) {
  rest::status_reply r;
  r.found = d.found;
  r.id = d.driver;
  r.driver_state = upper(to_string(d.state));
  r.worker_id = d.worker;
  if (!d.worker.empty())
    r.worker_host_port = d.worker_host + ":" + std::to_string(d.worker_port);
  r.message = d.message;
  return r;
}

} // namespace

struct master_web::impl {
  caf::actor_system& sys;
  caf::actor master;
  settings s;
  http::server ui;
  http::server rest;
  std::string ui_url;
  std::string rest_url;

  impl(caf::actor_system& sys, caf::actor master, const settings& s) : sys(sys), master(std::move(master)), s(s) {}

  std::chrono::milliseconds ask_timeout() const { return std::chrono::milliseconds(s.client_timeout_ms); }

  /// The master's state now; throws (answered 500... as 503 below) when it does not answer.
  std::optional<view::master_snapshot> snapshot(std::string& error) {
    auto st = ask<cluster_status>(sys, master, ask_timeout(), error, request_cluster_status{});
    if (!st)
      return std::nullopt;
    return view_of(*st);
  }

  void add_ui_routes() {
    auto page = [this](auto render) {
      return [this, render](const http::request& req) {
        std::string error;
        auto snap = snapshot(error);
        if (!snap)
          return http::response::error(503, "the master did not answer: " + error);
        return render(req, *snap);
      };
    };
    ui.route("GET", "/json/?", http::access::read, page([](const http::request&, const view::master_snapshot& v) {
               return http::response::json(view::render_json(v));
             }));
    ui.route("GET", "/", http::access::read, page([](const http::request&, const view::master_snapshot& v) {
               return http::response::html(view::render_master_html(v, refresh_seconds));
             }));
    ui.route("GET", "/app/([^/]+)", http::access::read,
             page([](const http::request& req, const view::master_snapshot& v) {
               auto body = view::render_app_html(v, req.captures.at(0), refresh_seconds);
               return body.empty() ? http::response::error(404, "no such application " + req.captures.at(0))
                                   : http::response::html(body);
             }));
    ui.route("GET", "/driver/([^/]+)", http::access::read,
             page([this](const http::request& req, const view::master_snapshot& v) {
               const auto& id = req.captures.at(0);
               view::driver_output out;
               bool with_logs = !req.param("logs").empty();
               if (with_logs) {
                 std::string error;
                 auto logs = ask<driver_logs>(sys, master, std::chrono::milliseconds(s.logs_timeout_ms), error,
                                              request_driver_logs{id, 256 << 10});
                 if (logs)
                   out = {logs->found, logs->out, logs->err, logs->message};
                 else
                   out = {false, {}, {}, "the master did not answer: " + error};
               }
               auto body = view::render_driver_html(v, id, with_logs ? &out : nullptr, with_logs ? 0 : refresh_seconds);
               return body.empty() ? http::response::error(404, "no such driver " + id) : http::response::html(body);
             }));
  }

  void add_rest_routes() {
    auto error = [](const std::string& why) { return http::response::json(rest::render_error(why), 400); };
    rest.route("POST", "/v1/submissions/create/?", http::access::write, [this, error](const http::request& req) {
      rest::create_submission sub;
      std::string why;
      settings base;
      if (!rest::parse_create(
            req.body, [](const std::string& app) { return find_app(app) != nullptr; }, base, sub, why)) {
        log::master()->warn("REST submission refused from={}: {}", req.remote_addr, why);
        return error(why);
      }
      driver_description desc;
      desc.app = sub.app;
      desc.args = sub.args;
      desc.conf_args = sub.conf_args;
      desc.cores = sub.driver_cores;
      desc.memory_mb = sub.driver_memory_mb;
      desc.supervise = sub.supervise;
      desc.submit_host = req.remote_addr;
      auto st = ask<driver_status>(sys, master, ask_timeout(), why, submit_driver{desc});
      if (!st)
        return http::response::json(rest::render_create(false, "", "the master did not accept the driver: " + why),
                                    503);
      log::master()->info("REST submission accepted driver={} app={} from={}", st->driver, sub.app, req.remote_addr);
      return http::response::json(rest::render_create(st->found, st->driver,
                                                      st->found ? "Driver successfully submitted as " + st->driver
                                                                : st->message));
    });
    rest.route("GET", "/v1/submissions/status/([^/]*)", http::access::read, [this, error](const http::request& req) {
      const auto& id = req.captures.at(0);
      if (!rest::valid_submission_id(id))
        return error("malformed submission id '" + id + "'");
      std::string why;
      auto st = ask<driver_status>(sys, master, ask_timeout(), why, request_driver_status{id});
      if (!st)
        return http::response::json(rest::render_error("the master did not answer: " + why), 503);
      return http::response::json(rest::render_status(reply_of(*st)));
    });
    rest.route("POST", "/v1/submissions/kill/([^/]*)", http::access::write, [this, error](const http::request& req) {
      const auto& id = req.captures.at(0);
      if (!rest::valid_submission_id(id))
        return error("malformed submission id '" + id + "'");
      std::string why;
      auto st = ask<driver_status>(sys, master, ask_timeout(), why, kill_driver{id});
      if (!st)
        return http::response::json(rest::render_error("the master did not answer: " + why), 503);
      log::master()->info("REST kill driver={} found={} from={}", id, st->found, req.remote_addr);
      return http::response::json(
        rest::render_kill(st->found, id, st->found ? "Kill request for " + id + " submitted" : st->message));
    });
  }
};

master_web::master_web(caf::actor_system& sys, caf::actor master, const settings& s)
  : impl_(std::make_unique<impl>(sys, std::move(master), s)) {}

master_web::~master_web() { stop(); }

std::string master_web::start_ui(bool any_port) {
  auto& m = *impl_;
  if (m.s.webui_port == 0)
    return "";
  http::server_options opts;
  std::string error;
  if (!http_options_from(m.s, "master-ui", static_cast<uint16_t>(m.s.webui_port), ui_port_tries, opts, error)) {
    std::cerr << "warning: the master's web UI is off: " << error << std::endl;
    return "";
  }
  m.add_ui_routes();
  if (!m.ui.start(opts, error)) {
    if (any_port) {
      opts.port = 0;
      opts.port_tries = 1;
    }
    if (!any_port || !m.ui.start(opts, error)) {
      std::cerr << "warning: the master runs without its web UI: " << error << std::endl;
      log::master()->warn("web UI not started: {}", error);
      return "";
    }
  }
  m.ui_url = m.ui.url();
  log::master()->info("web UI listening url={}", m.ui_url);
  return m.ui_url;
}

std::string master_web::start_rest() {
  auto& m = *impl_;
  if (m.s.rest_port == 0)
    return "";
  http::server_options opts;
  std::string error;
  if (!http_options_from(m.s, "master-rest", static_cast<uint16_t>(m.s.rest_port), 1, opts, error)) {
    std::cerr << "error: the REST submission server is off: " << error << std::endl;
    return "";
  }
  m.add_rest_routes();
  if (!m.rest.start(opts, error)) {
    std::cerr << "error: the REST submission server cannot listen on " << opts.host << ":" << m.s.rest_port << ": "
              << error << std::endl;
    return "";
  }
  m.rest_url = m.rest.url();
  log::master()->info("REST submission server listening url={}", m.rest_url);
  return m.rest_url;
}

void master_web::print_urls() const {
  if (!impl_->ui_url.empty())
    std::cout << "troupe master web UI at " << impl_->ui_url << std::endl;
  else
    std::cout << "troupe master web UI off" << std::endl;
  if (!impl_->rest_url.empty())
    std::cout << "troupe master REST submissions at " << impl_->rest_url << " (troupe-rest://"
              << impl_->rest_url.substr(impl_->rest_url.find("://") + 3) << ")" << std::endl;
}

void master_web::stop() {
  if (!impl_)
    return;
  impl_->ui.stop();
  impl_->rest.stop();
}

} // namespace troupe
