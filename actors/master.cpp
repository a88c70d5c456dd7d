#include "actors/master.hpp"

#include "actors/protocol.hpp"
#include "runtime/log.hpp"
#include "runtime/placement.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <set>

namespace troupe {

namespace {

using clock = std::chrono::steady_clock;

struct worker_info {
  register_worker reg;
  worker_state state = worker_state::alive;
  int32_t cores_used = 0;
  int64_t memory_used = 0;
  clock::time_point last_heartbeat;
  std::set<std::pair<app_id, executor_id>> executors;
  std::set<driver_id> drivers;
};

struct driver_info {
  driver_description desc;
  driver_status status;
};

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

struct executor_info {
  worker_id worker;
  int32_t cores = 0;
  int64_t memory_mb = 0;
  executor_state state = executor_state::launching;
};

struct app_info {
  app_id id;
  app_description desc;
  caf::actor driver;
  app_state state = app_state::waiting;
  int64_t start_ms = 0;
  std::map<executor_id, executor_info> executors;
  int32_t cores_granted = 0;
  int32_t next_executor = 0;
  int32_t executor_failures = 0;
};

// An application whose executors keep failing is failed after this many.
constexpr int32_t max_executor_failures = 10;

struct master_state {
  static inline const char* name = "master";
  master_options opts;
  std::map<worker_id, worker_info> workers;
  std::map<app_id, app_info> apps;  // ordered by id = submission order
  std::map<driver_id, driver_info> drivers;
  id_generator app_ids{"app"};
  id_generator driver_ids{"driver"};
  size_t driver_rotation = 0;
};

using self_ptr = caf::stateful_actor<master_state>*;

void schedule(self_ptr self);
void release_driver(self_ptr self, driver_info& d);

/// Frees an executor's resources on its worker; returns the worker if known.
void release_executor(self_ptr self, app_info& app, const executor_id& exec) {
  auto it = app.executors.find(exec);
  if (it == app.executors.end())
    return;
  auto w = self->state.workers.find(it->second.worker);
  if (w != self->state.workers.end()) {
    w->second.cores_used -= it->second.cores;
    w->second.memory_used -= it->second.memory_mb;
    w->second.executors.erase({app.id, exec});
  }
  app.cores_granted -= it->second.cores;
  app.executors.erase(it);
}

void finish_app(self_ptr self, app_info& app, app_state final_state) {
  if (is_finished(app.state))
    return;
  app.state = final_state;
  log::master()->info("application finished app={} state={}", app.id, to_string(final_state));
  auto execs = app.executors;
  for (auto& [exec, info] : execs) {
    auto w = self->state.workers.find(info.worker);
    if (w != self->state.workers.end() && w->second.state == worker_state::alive)
      self->send(w->second.reg.worker, kill_executor{app.id, exec});
    release_executor(self, app, exec);
  }
  schedule(self);
}

void worker_gone(self_ptr self, worker_info& w, const std::string& why, bool clean = false) {
  if (w.state != worker_state::alive)
    return;
  w.state = worker_state::dead;
  log::master()->log(clean ? spdlog::level::info : spdlog::level::warn, "worker dead id={} addr={}:{} reason={}",
                     w.reg.id, w.reg.host, w.reg.port, why);
  auto execs = w.executors;
  for (auto& [app_id, exec] : execs) {
    auto a = self->state.apps.find(app_id);
    if (a == self->state.apps.end())
      continue;
    release_executor(self, a->second, exec);
    if (!is_finished(a->second.state))
      self->send(a->second.driver, executor_removed{exec, executor_state::lost, "worker " + w.reg.id + " lost: " + why});
  }
  for (auto& id : std::set<driver_id>(w.drivers)) {
    auto d = self->state.drivers.find(id);
    if (d == self->state.drivers.end())
      continue;
    release_driver(self, d->second);
    d->second.status.state = driver_state::failed;
    d->second.status.message = "its worker " + w.reg.id + " was lost: " + why;
  }
  w.cores_used = 0;
  w.memory_used = 0;
  schedule(self);
}

cluster_status snapshot(self_ptr self) {
  auto& st = self->state;
  cluster_status out;
  out.url = st.opts.url;
  for (auto& [id, w] : st.workers)
    out.workers.push_back({id, w.reg.host, w.reg.port, w.state, w.reg.cores, w.cores_used, w.reg.memory_mb,
                           w.memory_used});
  for (auto& [id, app] : st.apps) {
    app_summary a{id, app.desc.name, app.state, app.cores_granted, app.desc.driver_host, app.desc.driver_port,
                  app.desc.driver, app.desc.submit_host, app.start_ms, {}};
    for (auto& [eid, e] : app.executors) {
      auto w = st.workers.find(e.worker);
      a.executors.push_back({eid, e.worker, w == st.workers.end() ? "" : w->second.reg.host, e.cores, e.state});
    }
    out.apps.push_back(std::move(a));
  }
  for (auto& [id, d] : st.drivers)
    out.drivers.push_back(d.status);
  return out;
}

/// The answer about a driver the master does not know.
driver_status unknown_driver(const driver_id& id) {
  driver_status st;
  st.driver = id;
  st.state = driver_state::failed;
  st.message = "no such driver";
  return st;
}

/// The free cores and memory of alive workers; `ws` gets the matching workers.
std::vector<worker_offer> free_resources(master_state& st, std::vector<worker_info*>& ws) {
  std::vector<worker_offer> offers;
  for (auto& [wid, w] : st.workers) {
    if (w.state != worker_state::alive)
      continue;
    offers.push_back({wid, w.reg.cores - w.cores_used, w.reg.memory_mb - w.memory_used});
    ws.push_back(&w);
  }
  return offers;
}

/// Places submitted drivers first (as Spark does), then executors.
void schedule_drivers(self_ptr self) {
  auto& st = self->state;
  for (auto& [id, d] : st.drivers) {
    if (d.status.state != driver_state::submitted)
      continue;
    std::vector<worker_info*> ws;
    auto offers = free_resources(st, ws);
    auto pick = place_driver(offers, d.desc.cores, d.desc.memory_mb, st.driver_rotation++);
    if (!pick)
      continue;
    auto& w = *ws[*pick];
    w.cores_used += d.desc.cores;
    w.memory_used += d.desc.memory_mb;
    w.drivers.insert(id);
    d.status.worker = w.reg.id;
    d.status.worker_host = w.reg.host;
    d.status.worker_port = w.reg.port;
    d.status.state = driver_state::running;
    log::master()->info("launching driver id={} app={} worker={}", id, d.desc.app, w.reg.id);
    self->send(w.reg.worker, launch_driver{id, d.desc, st.opts.url});
  }
}

/// Frees a driver's resources on its worker.
void release_driver(self_ptr self, driver_info& d) {
  auto w = self->state.workers.find(d.status.worker);
  if (w == self->state.workers.end() || w->second.drivers.erase(d.status.driver) == 0)
    return;
  w->second.cores_used -= d.desc.cores;
  w->second.memory_used -= d.desc.memory_mb;
}

void schedule(self_ptr self) {
  auto& st = self->state;
  schedule_drivers(self);
  for (auto& [id, app] : st.apps) {
    if (is_finished(app.state))
      continue;
    int32_t wanted = app.desc.cores_max > 0 ? app.desc.cores_max - app.cores_granted : -1;
    if (wanted == 0)
      continue;
    std::vector<worker_info*> ws;
    auto offers = free_resources(st, ws);
    executor_request req{app.desc.executor_cores, app.desc.executor_memory_mb, wanted, st.opts.spread_out};
    for (auto& g : place_executors(offers, req)) {
      auto& w = *ws[g.worker_index];
      auto exec = std::to_string(app.next_executor++);
      app.executors[exec] = {w.reg.id, g.cores, app.desc.executor_memory_mb, executor_state::launching};
      app.cores_granted += g.cores;
      w.cores_used += g.cores;
      w.memory_used += app.desc.executor_memory_mb;
      w.executors.insert({app.id, exec});
      log::master()->info("launching executor app={} exec={} worker={} cores={} memory={}m", app.id, exec,
                          w.reg.id, g.cores, app.desc.executor_memory_mb);
      self->send(w.reg.worker, launch_executor{app.id, exec, g.cores, app.desc.executor_memory_mb, app.driver, app.desc});
      self->send(app.driver, executor_added{exec, w.reg.id, w.reg.host, g.cores});
    }
    if (app.state == app_state::waiting && !app.executors.empty())
      app.state = app_state::running;
  }
}

} // namespace

caf::actor spawn_master(caf::actor_system& sys, master_options opts) {
  return sys.spawn([opts](self_ptr self) -> caf::behavior {
    self->state.opts = opts;
    self->set_default_handler([](caf::scheduled_actor*, caf::message_view& m) -> caf::result<caf::message> {
      log::master()->warn("unexpected message ignored: {}", to_string(m.content()));
      return caf::sec::unexpected_message;
    });
    self->set_down_handler([self](caf::down_msg& dm) {
      auto& st = self->state;
      for (auto& [id, w] : st.workers)
        if (w.reg.worker.address() == dm.source) {
          bool clean = dm.reason == caf::exit_reason::user_shutdown || dm.reason == caf::exit_reason::normal;
          worker_gone(self, w, clean ? "shut down" : self->system().render(dm.reason), clean);
        }
      for (auto& [id, app] : st.apps)
        if (app.driver.address() == dm.source && !is_finished(app.state)) {
          log::master()->warn("driver of app={} is gone", id);
          finish_app(self, app, app_state::failed);
        }
    });
    auto interval = std::chrono::milliseconds(std::max(opts.worker_timeout_ms / 4, 50));
    self->delayed_send(self, interval, tick_v);
    log::master()->info("master started url={}", opts.url);
    return {
      [=](register_worker& reg) -> caf::result<registered_worker> {
        auto& st = self->state;
        auto it = st.workers.find(reg.id);
        if (it != st.workers.end() && it->second.state == worker_state::alive) {
          if (it->second.reg.worker != reg.worker)
            return caf::make_error(caf::sec::invalid_argument, "duplicate worker id " + reg.id);
          // A retried registration: the worker and its accounts stay as they are.
          it->second.last_heartbeat = clock::now();
          return registered_worker{st.opts.url};
        }
        if (reg.cores <= 0 || reg.memory_mb <= 0)
          return caf::make_error(caf::sec::invalid_argument, "worker must offer cores and memory");
        self->monitor(reg.worker);
        auto& w = st.workers[reg.id];
        w = worker_info{};
        w.reg = std::move(reg);
        w.last_heartbeat = clock::now();
        log::master()->info("worker registered id={} addr={}:{} cores={} memory={}m", w.reg.id, w.reg.host,
                            w.reg.port, w.reg.cores, w.reg.memory_mb);
        schedule(self);
        return registered_worker{st.opts.url};
      },
      [=](const worker_heartbeat& hb) {
        auto it = self->state.workers.find(hb.id);
        if (it == self->state.workers.end() || it->second.state != worker_state::alive) {
          if (auto sender = caf::actor_cast<caf::actor>(self->current_sender()))
            self->send(sender, reconnect_worker{"unknown or dead worker " + hb.id});
          return;
        }
        it->second.last_heartbeat = clock::now();
      },
      [=](const executor_state_changed& ev) {
        auto a = self->state.apps.find(ev.app);
        if (a == self->state.apps.end())
          return;
        auto& app = a->second;
        auto e = app.executors.find(ev.exec);
        if (e == app.executors.end())
          return;
        e->second.state = ev.state;
        log::master()->info("executor state app={} exec={} state={} {}", ev.app, ev.exec, to_string(ev.state),
                            ev.message);
        if (!is_finished(ev.state))
          return;
        release_executor(self, app, ev.exec);
        if (is_finished(app.state))
          return;
        self->send(app.driver, executor_removed{ev.exec, ev.state, ev.message});
        if (ev.state == executor_state::failed && ++app.executor_failures >= max_executor_failures) {
          self->send(app.driver, application_state_changed{app.id, app_state::failed,
                                                           "executors failed " + std::to_string(max_executor_failures)
                                                             + " times; last: " + ev.message});
          finish_app(self, app, app_state::failed);
          return;
        }
        schedule(self);
      },
      [=](const master_started& m) { self->state.opts.url = m.url; },
      [=](const worker_stopping& w) {
        auto it = self->state.workers.find(w.id);
        if (it != self->state.workers.end()) {
          worker_gone(self, it->second, "stopped", true);
          it->second.state = worker_state::decommissioned;
        }
      },
      [=](submit_driver& sub) -> driver_status {
        auto& st = self->state;
        driver_info d;
        d.desc = std::move(sub.desc);
        d.status.found = true;
        d.status.driver = st.driver_ids.next();
        d.status.app = d.desc.app;
        d.status.start_ms = unix_ms();
        d.status.supervise = d.desc.supervise;
        d.status.state = driver_state::submitted;
        auto id = d.status.driver;
        log::master()->info("driver submitted id={} app={} from={}", id, d.desc.app, d.desc.submit_host);
        st.drivers.emplace(id, std::move(d));
        schedule(self);
        return st.drivers.at(id).status;
      },
      [=](const request_driver_status& r) -> driver_status {
        auto it = self->state.drivers.find(r.driver);
        if (it == self->state.drivers.end())
          return unknown_driver(r.driver);
        return it->second.status;
      },
      [=](const kill_driver& k) -> driver_status {
        auto& st = self->state;
        auto it = st.drivers.find(k.driver);
        if (it == st.drivers.end())
          return unknown_driver(k.driver);
        auto& d = it->second;
        if (is_finished(d.status.state))
          return d.status;
        auto w = st.workers.find(d.status.worker);
        if (d.status.state == driver_state::running && w != st.workers.end()
            && w->second.state == worker_state::alive)
          self->send(w->second.reg.worker, kill_driver{k.driver});
        release_driver(self, d);
        d.status.state = driver_state::killed;
        d.status.message = "killed on request";
        log::master()->info("driver killed id={}", k.driver);
        schedule(self);
        return d.status;
      },
      [=](const driver_state_changed& c) {
        auto it = self->state.drivers.find(c.driver);
        if (it == self->state.drivers.end())
          return;
        auto& d = it->second;
        log::master()->info("driver state id={} state={} {}", c.driver, to_string(c.state), c.message);
        if (d.status.state == driver_state::killed)
          return;  // keep "killed" over the exit status of the killed process
        d.status.state = c.state;
        d.status.message = c.message;
        if (is_finished(c.state)) {
          release_driver(self, d);
          schedule(self);
        }
      },
      [=](const request_driver_logs& r) -> caf::result<driver_logs> {
        auto& st = self->state;
        auto it = st.drivers.find(r.driver);
        if (it == st.drivers.end())
          return driver_logs{false, {}, {}, "no such driver " + r.driver};
        auto w = st.workers.find(it->second.status.worker);
        if (w == st.workers.end() || w->second.state != worker_state::alive)
          return driver_logs{false, {}, {}, "the worker of driver " + r.driver + " is not reachable"};
        auto rp = self->make_response_promise<driver_logs>();
        self->request(w->second.reg.worker, std::chrono::seconds(10), r)
          .then([rp](driver_logs& logs) mutable { rp.deliver(std::move(logs)); },
                [rp, self](caf::error& err) mutable {
                  rp.deliver(driver_logs{false, {}, {}, "worker did not answer: " + self->system().render(err)});
                });
        return rp;
      },
      [=](const request_cluster_status&) -> cluster_status { return snapshot(self); },
      [=](register_application& reg) -> registered_application {
        auto& st = self->state;
        app_info app;
        app.id = st.app_ids.next();
        app.desc = std::move(reg.desc);
        app.driver = reg.driver;
        app.start_ms = unix_ms();
        self->monitor(app.driver);
        log::master()->info("application registered app={} name={} driver_host={}", app.id, app.desc.name,
                            app.desc.driver_host);
        auto id = app.id;
        st.apps.emplace(id, std::move(app));
        schedule(self);
        return registered_application{id};
      },
      [=](const unregister_application& u) {
        auto a = self->state.apps.find(u.app);
        if (a != self->state.apps.end())
          finish_app(self, a->second, u.state);
      },
      [=](tick_atom) {
        auto now = clock::now();
        auto timeout = std::chrono::milliseconds(self->state.opts.worker_timeout_ms);
        for (auto& [id, w] : self->state.workers)
          if (w.state == worker_state::alive && now - w.last_heartbeat > timeout)
            worker_gone(self, w, "no heartbeat for " + std::to_string(self->state.opts.worker_timeout_ms) + " ms");
        self->delayed_send(self, interval, tick_v);
      },
    };
  });
}

} // namespace troupe
