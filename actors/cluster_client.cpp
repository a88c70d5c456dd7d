#include "actors/cluster_client.hpp"

#include "actors/protocol.hpp"
#include "actors/publish.hpp"
#include "runtime/auth.hpp"
#include "runtime/http_server.hpp"
#include "runtime/rest_protocol.hpp"
#include "runtime/log.hpp"
#include "runtime/master_view.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <spdlog/spdlog.h>

#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

namespace troupe {

using namespace std::chrono_literals;

void configure_system(caf::actor_system_config& cfg, const settings& s) {
  register_protocol(cfg);
  // The roles' own heartbeats detect dead peers; the middleman's heartbeat
  // and connection timeout notice a frozen connection. Every node sets both.
  caf::put(cfg.content, "middleman.heartbeat-interval",
           caf::timespan{std::chrono::milliseconds(s.heartbeat_interval_ms)});
  caf::put(cfg.content, "middleman.connection-timeout",
           caf::timespan{std::chrono::milliseconds(s.network_timeout_ms)});
  // CAF's workers poll in a "moderate" phase that nanosleeps 50 us (more
  // with timer slack) and is not woken by new messages, adding that latency
  // to every hop. Skip it: spin briefly, then wait on the condition variable
  // that enqueue signals. Measured: 55-61k -> 91-113k trivial tasks/s in local[2].
  caf::put(cfg.content, "work-stealing.moderate-poll-attempts", size_t{0});
  // Read by publish_guarded: the largest frame a peer may send.
  caf::put(cfg.content, "troupe.max-frame-size", s.max_frame_bytes);
  // Read by publish_guarded and dial_address: the key of the secret handshake
  // (hex of the secret; the command line already checked the file).
  if (!s.auth_secret_file.empty()) {
    std::string secret, error, warning;
    if (!auth::read_secret_file(s.auth_secret_file, secret, error, warning))
      throw std::runtime_error(error);
    caf::put(cfg.content, "troupe.auth-key", auth::to_hex(secret));
  }
  // TLS between nodes: caf_openssl with mutual certificates (any key set makes
  // both sides present a certificate signed by tls.cafile). publish_guarded
  // and every connect go through the openssl manager when "troupe.tls" is on.
  if (!s.tls_certificate.empty()) {
    cfg.load<caf::openssl::manager>();
    // The manager reads the config's fields, not cfg.content.
    cfg.openssl_certificate = s.tls_certificate;
    cfg.openssl_key = s.tls_key;
    cfg.openssl_cafile = s.tls_cafile;
    caf::put(cfg.content, "troupe.tls", true);
  }
}

master_connection connect_master(caf::actor_system& sys, const std::string& host, uint16_t port,
                                 std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Backoff between attempts (not a timeout: `timeout` bounds the whole).
  constexpr auto first_pause = 50ms;
  constexpr auto max_pause = 1000ms;
  auto pause = std::chrono::milliseconds(first_pause);
  for (;;) {
    std::string relay_error;
    auto [dial_host, dial_port] = dial_address(sys, host, port, relay_error);
    if (dial_host.empty())
      return {nullptr, relay_error};
    auto h = tls_enabled(sys) ? caf::openssl::remote_actor(sys, dial_host, dial_port)
                              : sys.middleman().remote_actor(dial_host, dial_port);
    if (h)
      return {*h, {}};
    if (std::chrono::steady_clock::now() + pause >= deadline)
      return {nullptr, "no master answers at " + host + ":" + std::to_string(port) + " (gave up after "
                         + std::to_string(timeout.count()) + " ms: " + sys.render(h.error()) + ")"};
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::milliseconds>(pause * 2, max_pause);
  }
}

master_connection connect_master(caf::actor_system& sys, const settings& s) {
  return connect_master(sys, s.master.host, s.master.port, std::chrono::milliseconds(s.register_timeout_ms));
}

int with_master(const settings& s, const std::function<int(caf::actor_system&, const caf::actor&)>& body) {
  caf::actor_system_config cfg;
  configure_system(cfg, s);
  caf::actor_system sys{cfg};
  auto master = connect_master(sys, s);
  if (!master) {
    std::cerr << "error: " << master.error << std::endl;
    return 1;
  }
  return body(sys, master.handle);
}

driver_status follow_driver(caf::actor_system& sys, const caf::actor& master, const std::string& driver,
                            int32_t poll_ms, std::chrono::milliseconds request_timeout) {
  caf::scoped_actor self{sys};
  for (;;) {
    driver_status st;
    std::string err;
    self->request(master, request_timeout, request_driver_status{driver})
      .receive([&](driver_status& r) { st = std::move(r); }, [&](caf::error& e) { err = sys.render(e); });
    if (!err.empty())
      return driver_status{false, driver, {}, driver_state::failed, {}, {}, 0, 0, false, err, 0};
    if (!st.found || is_finished(st.state))
      return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max(poll_ms, 20)));
  }
}

driver_logs fetch_logs(caf::actor_system& sys, const caf::actor& master, const std::string& driver,
                       std::chrono::milliseconds timeout) {
  caf::scoped_actor self{sys};
  driver_logs logs;
  self->request(master, timeout, request_driver_logs{driver, 1 << 20})
    .receive([&](driver_logs& r) { logs = std::move(r); },
             [&](caf::error& e) { logs.message = "the master did not answer: " + sys.render(e); });
  return logs;
}

namespace {

std::optional<cluster_status> query_status(caf::actor_system& sys, const caf::actor& master,
                                           std::chrono::milliseconds timeout, std::string& error) {
  caf::scoped_actor self{sys};
  std::optional<cluster_status> out;
  self->request(master, timeout, request_cluster_status{})
    .receive([&](cluster_status& st) { out = std::move(st); }, [&](caf::error& e) { error = sys.render(e); });
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

using view::format_time;

/// Where an application's driver runs: the question troupe exists to answer.
std::string driver_location(const app_summary& a, const cluster_status& st) {
  if (a.driver.empty())
    return "client mode, in the submitting process on " + a.driver_host + ":" + std::to_string(a.driver_port)
           + " (submitted from " + a.submit_host + ")";
  for (auto& d : st.drivers)
    if (d.driver == a.driver)
      return "cluster mode, driver " + d.driver + " on worker " + d.worker + " (" + d.worker_host + ")";
  return "cluster mode, driver " + a.driver + " at " + a.driver_host;
}

void print_cluster(const cluster_status& st) {
  std::cout << "master " << st.url << (st.state == "alive" ? "" : "  " + upper(st.state)) << "\n\nWORKERS (" << st.workers.size() << ")\n";
  for (auto& w : st.workers)
    std::cout << "  " << w.id << "  " << w.host << ":" << w.port << "  " << upper(to_string(w.state))
              << "  cores " << w.cores_used << "/" << w.cores << "  memory " << w.memory_used_mb << "/" << w.memory_mb
              << " MiB\n";
  std::cout << "\nAPPLICATIONS (" << st.apps.size() << ")\n";
  for (auto& a : st.apps) {
    std::cout << "  " << a.id << "  " << a.name << "  " << upper(to_string(a.state)) << "  cores " << a.cores
              << "  started " << format_time(a.start_ms) << "\n    driver: " << driver_location(a, st) << "\n";
    for (auto& e : a.executors)
      std::cout << "    executor " << e.id << ": " << upper(to_string(e.state)) << " on " << e.worker << " ("
                << e.host << "), " << e.cores << " cores\n";
    if (a.executors.empty() && !a.ran_on.empty()) {
      std::cout << "    executors ran on:";
      for (auto& w : a.ran_on)
        std::cout << " " << w;
      std::cout << "\n";
    }
    if (!a.waiting_reason.empty())
      std::cout << "    waiting: " << a.waiting_reason << "\n";
  }
  std::cout << "\nDRIVERS (" << st.drivers.size() << ")\n";
  for (auto& d : st.drivers)
    std::cout << "  " << d.driver << "  " << d.app << "  " << upper(to_string(d.state)) << "  on "
              << (d.worker.empty() ? "-" : d.worker + " (" + d.worker_host + ":" + std::to_string(d.worker_port) + ")")
              << "  started " << format_time(d.start_ms) << (d.supervise ? "  supervised" : "")
              << (d.relaunches > 0 ? "  relaunches " + std::to_string(d.relaunches) : "")
              << (d.message.empty() ? "" : "  (" + d.message + ")") << "\n";
  std::cout << std::flush;
}

void print_driver(const driver_status& d) {
  auto unplaced = d.state == driver_state::relaunching ? "- (relaunching)" : "- (not placed yet)";
  std::cout << d.driver << ": " << upper(to_string(d.state)) << "\n  app:     " << d.app << "\n  worker:  "
            << (d.worker.empty() ? unplaced : d.worker + " (" + d.worker_host + ":" + std::to_string(d.worker_port) + ")")
            << "\n  started: " << format_time(d.start_ms) << "\n";
  if (d.supervise)
    std::cout << "  supervised\n";
  // The worker line above is where the current attempt runs.
  if (d.supervise || d.relaunches > 0)
    std::cout << "  relaunches: " << d.relaunches << "\n";
  if (!d.message.empty())
    std::cout << "  message: " << d.message << "\n";
  std::cout << std::flush;
}

/// status|kill DRIVER through Spark's REST protocol (troupe-rest://H:P).
int rest_control(const std::string& command, const settings& s, const std::string& driver) {
  if ((command != "status" && command != "kill") || driver.rfind("driver-", 0) != 0) {
    std::cerr << "error: with --master troupe-rest://... only 'status DRIVER_ID' and 'kill DRIVER_ID' are served"
              << std::endl;
    return 2;
  }
  auto r = command == "kill"
             ? http::fetch("POST", s.master.host, s.master.port, "/v1/submissions/kill/" + driver, "", s.client_timeout_ms)
             : http::fetch("GET", s.master.host, s.master.port, "/v1/submissions/status/" + driver, "",
                           s.client_timeout_ms);
  if (r.status == 0) {
    std::cerr << "error: the REST submission server did not answer: " << r.error << std::endl;
    return 1;
  }
  auto f = rest::parse_reply(r.body);
  if (r.status != 200 || !f.parsed || !f.success) {
    std::cerr << "error: " << (f.parsed ? f.message : "HTTP " + std::to_string(r.status) + ": " + r.body) << std::endl;
    return 1;
  }
  if (command == "kill")
    std::cout << driver << ": " << f.message << std::endl;
  else
    std::cout << driver << ": " << f.driver_state << "\n  worker:  "
              << (f.worker_id.empty() ? "-" : f.worker_id + " (" + f.worker_host_port + ")") << "\n"
              << (f.message.empty() ? "" : "  message: " + f.message + "\n") << std::flush;
  return 0;
}

} // namespace

bool await_workers(caf::actor_system& sys, const std::string& host, uint16_t port, int32_t workers,
                   std::chrono::milliseconds timeout, std::chrono::milliseconds request_timeout,
                   std::string& error) {
  auto master = connect_master(sys, host, port, timeout);
  if (!master) {
    error = master.error;
    return false;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto st = query_status(sys, master.handle, request_timeout, error);
    if (!st)
      return false;
    int32_t alive = 0;
    for (auto& w : st->workers)
      alive += w.state == worker_state::alive ? 1 : 0;
    if (alive >= workers)
      return true;
    std::this_thread::sleep_for(20ms);
  }
  error = "the workers did not register within " + std::to_string(timeout.count()) + " ms";
  return false;
}

namespace {

int control(caf::actor_system& sys, const caf::actor& master, const std::string& command, const settings& s,
            const std::string& driver) {
  caf::scoped_actor self{sys};
  if (command == "status" && driver.empty()) {
    std::string error;
    auto st = query_status(sys, master, std::chrono::milliseconds(s.client_timeout_ms), error);
    if (!st) {
      std::cerr << "error: the master did not answer: " << error << std::endl;
      return 1;
    }
    print_cluster(*st);
    return 0;
  }
  if (command == "logs") {
    auto logs = fetch_logs(sys, master, driver, std::chrono::milliseconds(s.logs_timeout_ms));
    if (!logs.found) {
      std::cerr << "error: " << logs.message << std::endl;
      return 1;
    }
    std::cout << logs.out << std::flush;
    std::cerr << logs.err << std::flush;
    return 0;
  }
  if (command == "kill" && driver.rfind("app-", 0) == 0) {
    // An application id: the master ends it, and tells its driver.
    application_killed k;
    std::string error;
    self->request(master, std::chrono::milliseconds(s.client_timeout_ms), kill_application{driver})
      .receive([&](application_killed& r) { k = r; }, [&](caf::error& e) { error = sys.render(e); });
    if (!error.empty()) {
      std::cerr << "error: the master did not answer: " << error << std::endl;
      return 1;
    }
    if (!k.found) {
      std::cerr << "error: no application " << driver << " on " << s.master.text << std::endl;
      return 1;
    }
    std::cout << "application " << driver << ": " << upper(to_string(k.state)) << std::endl;
    return 0;
  }
  driver_status st;
  std::string err;
  auto reply = [&](driver_status& r) { st = std::move(r); };
  auto fail = [&](caf::error& e) { err = sys.render(e); };
  auto timeout = std::chrono::milliseconds(s.client_timeout_ms);
  if (command == "kill")
    self->request(master, timeout, kill_driver{driver}).receive(reply, fail);
  else
    self->request(master, timeout, request_driver_status{driver}).receive(reply, fail);
  if (!err.empty()) {
    std::cerr << "error: the master did not answer: " << err << std::endl;
    return 1;
  }
  if (!st.found) {
    std::cerr << "error: no driver " << driver << " on " << s.master.text << std::endl;
    return 1;
  }
  if (command == "kill")
    std::cout << "driver " << driver << ": " << upper(to_string(st.state)) << std::endl;
  else
    print_driver(st);
  return 0;
}

} // namespace

int run_control(const std::string& command, const settings& s, const std::string& driver) {
  if (s.master.rest)
    return rest_control(command, s, driver);
  return with_master(s, [&](caf::actor_system& sys, const caf::actor& master) {
    return control(sys, master, command, s, driver);
  });
}

} // namespace troupe
