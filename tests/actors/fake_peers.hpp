#pragma once
// Fake peers for actor tests: an actor system per test case whose actors are
// all told to exit at the end, scoped actors that play master, worker, driver
// or executor, and bounded waits on their messages (never sleeps).

#include "actors/executor.hpp"
#include "actors/master.hpp"
#include "actors/protocol.hpp"
#include "runtime/plan.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace troupe::testing {

/// The longest any single expected message may take.
inline constexpr std::chrono::milliseconds wait_limit = std::chrono::seconds(5);

/// A config with troupe's messages (and the middleman) loaded.
struct protocol_config : caf::actor_system_config {
  protocol_config() { register_protocol(*this); }
};

/// One actor system per test case. Every actor spawned through keep() is
/// told to exit at the end, also when a check aborted the test, so that the
/// actor system's destructor does not wait forever.
struct actor_fixture {
  protocol_config cfg;
  caf::actor_system sys{cfg};
  std::vector<caf::actor> spawned;

  ~actor_fixture() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  caf::actor keep(caf::actor a) {
    spawned.push_back(a);
    return a;
  }

  caf::actor master(int32_t worker_timeout_ms = 60'000, bool spread_out = true) {
    return keep(spawn_master(sys, {"local", worker_timeout_ms, spread_out}));
  }
};

/// The next message of type T, or nullopt after `timeout`. Messages of other
/// types stay in the mailbox.
template <class T>
std::optional<T> try_receive(caf::scoped_actor& self, std::chrono::milliseconds timeout) {
  std::optional<T> got;
  self->receive([&](T& x) { got = std::move(x); }, caf::after(timeout) >> [] {});
  return got;
}

/// The next message of type T; fails the test case after `timeout`.
template <class T>
T expect(caf::scoped_actor& self, const std::string& what, std::chrono::milliseconds timeout = wait_limit) {
  auto got = try_receive<T>(self, timeout);
  if (!got)
    BOOST_FAIL("timeout: no " << what << " within " << timeout.count() << " ms");
  return std::move(*got);
}

/// Every message of type T already in the mailbox (no waiting beyond a poll).
/// Used after a request/response round trip with the sender, which orders
/// everything it sent before the response ahead of this call.
template <class T>
std::vector<T> drain(caf::scoped_actor& self) {
  std::vector<T> out;
  while (auto x = try_receive<T>(self, std::chrono::milliseconds(10)))
    out.push_back(std::move(*x));
  return out;
}

/// `self` registers with the master as a worker; fails the test if refused.
inline void register_as_worker(caf::scoped_actor& self, const caf::actor& master, const std::string& id, int32_t cores,
                        int64_t memory_mb) {
  register_worker reg{id, "127.0.0.1", 0, cores, memory_mb, "/nonexistent-work", caf::actor{self}};
  bool ok = false;
  std::string error = "no answer";
  self->request(master, wait_limit, std::move(reg))
    .receive([&](const registered_worker&) { ok = true; },
             [&](caf::error& e) { error = self->system().render(e); });
  BOOST_REQUIRE_MESSAGE(ok, "register_worker " << id << " failed: " << error);
}

/// An application description with the given executor sizing.
inline app_description app_desc(int64_t executor_memory_mb, int32_t cores_max, int32_t executor_cores = 0) {
  app_description d;
  d.name = "fake_app";
  d.executor_memory_mb = executor_memory_mb;
  d.cores_max = cores_max;
  d.executor_cores = executor_cores;
  d.driver_host = "127.0.0.1";
  return d;
}

/// `self` registers an application as its driver; returns the app id.
inline app_id register_app(caf::scoped_actor& self, const caf::actor& master, app_description desc) {
  app_id id;
  std::string error = "no answer";
  self->request(master, wait_limit, register_application{std::move(desc), caf::actor{self}})
    .receive([&](const registered_application& r) { id = r.app; },
             [&](caf::error& e) { error = self->system().render(e); });
  BOOST_REQUIRE_MESSAGE(!id.empty(), "register_application failed: " << error);
  return id;
}

/// What the master knows, asked by `self`.
inline cluster_status cluster_state(caf::scoped_actor& self, const caf::actor& master) {
  std::optional<cluster_status> got;
  std::string error = "no answer";
  self->request(master, wait_limit, request_cluster_status{})
    .receive([&](cluster_status& c) { got = std::move(c); },
             [&](caf::error& e) { error = self->system().render(e); });
  if (!got)
    BOOST_FAIL("request_cluster_status failed: " << error);
  return std::move(*got);
}

inline std::string state_name(executor_state s) { return std::string{to_string(s)}; }

/// A job runner for building plans only: the tests encode tasks by hand.
class plan_only_runner final : public job_runner {
public:
  std::vector<std::string> run_job(job_request) override {
    throw std::logic_error("plan_only_runner runs no jobs");
  }
  int32_t total_cores() override { return 2; }
};

/// Publishes `a` on a free loopback port (as a driver does for its executors); returns the port.
inline uint16_t publish(actor_fixture& fx, caf::scoped_actor& a) {
  auto port = fx.sys.middleman().publish(caf::actor{a}, 0, "127.0.0.1", true);
  if (!port)
    BOOST_FAIL("cannot publish a fake driver: " << fx.sys.render(port.error()));
  return *port;
}

/// Spawns an executor whose driver is `driver` (published here) and whose
/// owner is `owner` (may be null); expects its register_executor.
inline caf::actor start_executor(actor_fixture& fx, caf::scoped_actor& driver, caf::actor owner, const std::string& app,
                          const std::string& id, const std::string& dir, int32_t cores = 2) {
  executor_options eo;
  eo.app = app;
  eo.id = id;
  eo.cores = cores;
  eo.memory_mb = 64;
  eo.dir = dir;
  eo.heartbeat_interval_ms = 100;
  eo.driver_host = "127.0.0.1";
  eo.driver_port = publish(fx, driver);
  eo.owner = std::move(owner);
  auto exec = fx.keep(spawn_executor(fx.sys, eo));
  auto reg = expect<register_executor>(driver, "register_executor");
  BOOST_TEST(reg.exec == id);
  BOOST_TEST(reg.cores == cores);
  BOOST_TEST(reg.host == "127.0.0.1");
  BOOST_TEST(reg.port != 0);
  BOOST_TEST((reg.executor == exec));
  return exec;
}

/// `self` plays executor `exec` of the driver published at host:port: it
/// connects there, as a real executor does, and registers; returns the driver.
inline caf::actor connect_as_executor(actor_fixture& fx, caf::scoped_actor& self, const std::string& host,
                                      uint16_t port, const executor_id& exec, int32_t cores) {
  auto driver = fx.sys.middleman().remote_actor(host, port);
  if (!driver)
    BOOST_FAIL("cannot reach the driver at " << host << ":" << port << ": " << fx.sys.render(driver.error()));
  self->send(*driver, register_executor{exec, "127.0.0.1", 0, cores, caf::actor{self}});
  return *driver;
}

} // namespace troupe::testing
