#include "actors/master.hpp"

#include "actors/protocol.hpp"
#include "actors/publish.hpp"
#include "runtime/cluster_book.hpp"
#include "runtime/journal.hpp"
#include "runtime/log.hpp"
#include "runtime/settings.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

namespace troupe {

namespace {

using clock = std::chrono::steady_clock;

using recover_atom = caf::atom_constant<caf::atom("recover")>;
constexpr recover_atom recover_v{};
using persist_atom = caf::atom_constant<caf::atom("persist")>;
constexpr persist_atom persist_v{};
using reach_atom = caf::atom_constant<caf::atom("reach")>;
constexpr reach_atom reach_v{};

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// What the master keeps beside the book: handles and the descriptions it forwards.
struct app_handles {
  app_description desc;
  caf::actor driver;
};

struct master_state {
  static inline const char* name = "master";
  master_options opts;
  cluster_book book;
  std::map<worker_id, caf::actor> workers;
  std::map<app_id, app_handles> apps;
  std::map<driver_id, driver_description> drivers;
  id_generator app_ids{"app"};
  id_generator driver_ids{"driver"};
  clock::time_point epoch = clock::now();
  clock::time_point recovery_started;
  std::string recovery_summary;  ///< what restore loaded, for the completion's log line
  bool persist_queued = false;   ///< a persist_atom is in the mailbox
  std::set<std::string> refusals_logged;  ///< (sender, what, id) already logged once
  std::map<app_id, int64_t> app_ended_ms;        ///< unix time each finished application was first seen ended
  std::map<driver_id, int64_t> driver_ended_ms;  ///< the same for drivers (the UI's durations)

  /// The book's clock: ms since this master started.
  monotonic_ms now() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - epoch).count();
  }
};

using self_ptr = caf::stateful_actor<master_state>*;

void persist_soon(self_ptr self);

/// True when the message being handled comes from `owner` (the handle the
/// master gave that id to). Otherwise the message is refused: a peer that
/// speaks for a worker, an executor, a driver or an application it is not
/// changes nothing, and is logged once per sender and claim, not per retry.
bool sent_by(self_ptr self, const caf::actor& owner, const char* what, const std::string& id) {
  auto sender = caf::actor_cast<caf::actor>(self->current_sender());
  if (owner && sender == owner)
    return true;
  auto who = sender ? caf::to_string(sender.address()) : std::string{"an anonymous sender"};
  if (self->state.refusals_logged.insert(who + "|" + what + "|" + id).second)
    log::master()->warn("refused {} for {} from {}: not the peer that holds it", what, id, who);
  return false;
}

book_options book_options_from(const master_options& o) {
  book_options b;
  b.worker_timeout_ms = o.worker_timeout_ms;
  b.spread_out = o.spread_out;
  b.max_executor_failures = o.max_executor_failures;
  b.max_failures_per_worker = o.executor_failures_per_worker;
  b.executor_min_uptime_ms = o.executor_min_uptime_ms;
  b.max_driver_relaunches = o.max_driver_relaunches;
  b.retained_applications = static_cast<size_t>(std::max(o.retained_applications, 0));
  b.retained_drivers = static_cast<size_t>(std::max(o.retained_drivers, 0));
  return b;
}

caf::actor worker_handle(master_state& st, const worker_id& id) {
  auto it = st.workers.find(id);
  return it == st.workers.end() ? caf::actor{} : it->second;
}

caf::actor driver_handle(master_state& st, const app_id& id) {
  auto it = st.apps.find(id);
  return it == st.apps.end() ? caf::actor{} : it->second.driver;
}

/// Stamps the applications and drivers that ended since the last look (the
/// book keeps no wall clock) and forgets those the book dropped, so that the
/// web UI can show durations of completed ones.
void note_ends(master_state& st) {
  auto now = unix_ms();
  for (auto& [id, a] : st.book.apps())
    if (is_finished(a.state))
      st.app_ended_ms.emplace(id, now);
  for (auto it = st.app_ended_ms.begin(); it != st.app_ended_ms.end();)
    it = st.book.app(it->first) == nullptr ? st.app_ended_ms.erase(it) : std::next(it);
  for (auto& [id, d] : st.book.drivers())
    if (is_finished(d.state))
      st.driver_ended_ms.emplace(id, now);
  for (auto it = st.driver_ended_ms.begin(); it != st.driver_ended_ms.end();)
    it = st.book.driver(it->first) == nullptr ? st.driver_ended_ms.erase(it) : std::next(it);
}

/// Sends what the book decided, in its order.
void carry_out(self_ptr self, const book_decisions& decisions) {
  auto& st = self->state;
  auto send = [self](const caf::actor& to, auto msg) {
    if (to)
      self->send(to, std::move(msg));
  };
  for (auto& d : decisions) {
    std::visit(
      [&](auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, launch_executor_order>) {
          auto a = st.apps.find(x.app);
          if (a != st.apps.end())
            send(worker_handle(st, x.worker),
                 launch_executor{x.app, x.exec, x.cores, x.memory_mb, a->second.driver, a->second.desc});
        } else if constexpr (std::is_same_v<T, kill_executor_order>) {
          send(worker_handle(st, x.worker), kill_executor{x.app, x.exec});
        } else if constexpr (std::is_same_v<T, launch_driver_order>) {
          auto desc = st.drivers.find(x.driver);
          if (desc != st.drivers.end())
            send(worker_handle(st, x.worker), launch_driver{x.driver, desc->second, st.opts.url});
        } else if constexpr (std::is_same_v<T, kill_driver_order>) {
          send(worker_handle(st, x.worker), kill_driver{x.driver});
        } else if constexpr (std::is_same_v<T, executor_added_note>) {
          send(driver_handle(st, x.app), executor_added{x.exec, x.worker, x.host, x.cores});
        } else if constexpr (std::is_same_v<T, executor_removed_note>) {
          send(driver_handle(st, x.app), executor_removed{x.exec, x.state, x.message});
        } else if constexpr (std::is_same_v<T, app_state_note>) {
          send(driver_handle(st, x.app), application_state_changed{x.app, x.state, x.message});
        } else if constexpr (std::is_same_v<T, app_waiting_note>) {
          send(driver_handle(st, x.app), application_waiting{x.app, x.message});
        } else if constexpr (std::is_same_v<T, app_forgotten>) {
          auto a = st.apps.find(x.app);
          if (a != st.apps.end()) {
            if (a->second.driver)
              self->demonitor(a->second.driver);
            st.apps.erase(a);
          }
        } else if constexpr (std::is_same_v<T, driver_forgotten>) {
          st.drivers.erase(x.driver);
        }
      },
      d);
  }
  note_ends(st);
  persist_soon(self);
}

/// A driver as status shows it.
driver_status status_of(const cluster_book& book, const driver_record& d) {
  driver_status out;
  out.found = true;
  out.driver = d.id;
  out.app = d.request.app;
  out.state = d.state;
  out.worker = d.worker;
  if (auto* w = book.worker(d.worker)) {
    out.worker_host = w->offer.host;
    out.worker_port = w->offer.port;
  }
  out.start_ms = d.start_ms;
  out.supervise = d.request.supervise;
  out.message = d.message;
  out.relaunches = d.relaunches;
  out.cores = d.request.cores;
  out.memory_mb = d.request.memory_mb;
  return out;
}

cluster_status snapshot(self_ptr self) {
  auto& st = self->state;
  auto& book = st.book;
  cluster_status out;
  out.url = st.opts.url;
  out.state = book.recovering() ? "recovering" : "alive";
  out.now_ms = unix_ms();
  auto mono_now = st.now();
  for (auto& [id, w] : book.workers())
    out.workers.push_back({id, w.offer.host, w.offer.port, w.state, w.offer.cores, w.cores_used, w.offer.memory_mb,
                           w.memory_used, out.now_ms - (mono_now - w.last_heartbeat)});
  for (auto& [id, app] : book.apps()) {
    const auto& r = app.request;
    app_summary a{id, r.name, app.state, app.cores_granted, r.driver_host, r.driver_port,
                  r.driver, r.submit_host, app.start_ms, {}, app.waiting_reason, r.executor_memory_mb, 0, "",
                  r.cores_max};
    for (auto& [eid, e] : app.executors) {
      auto* w = book.worker(e.worker);
      a.executors.push_back({eid, e.worker, w == nullptr ? "" : w->offer.host, e.cores, e.state});
    }
    a.ran_on.assign(app.ran_on.begin(), app.ran_on.end());
    if (auto end = st.app_ended_ms.find(id); end != st.app_ended_ms.end())
      a.end_ms = end->second;
    if (auto h = st.apps.find(id); h != st.apps.end())
      a.ui_url = h->second.desc.ui_url;
    out.apps.push_back(std::move(a));
  }
  for (auto& [id, d] : book.drivers()) {
    out.drivers.push_back(status_of(book, d));
    if (auto end = st.driver_ended_ms.find(id); end != st.driver_ended_ms.end())
      out.drivers.back().end_ms = end->second;
  }
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

app_request request_of(const app_description& d) {
  app_request r;
  r.name = d.name;
  r.cores_max = d.cores_max;
  r.executor_cores = d.executor_cores;
  r.executor_memory_mb = d.executor_memory_mb;
  r.submit_host = d.submit_host;
  r.driver_host = d.driver_host;
  r.driver_port = d.driver_port;
  r.driver = d.driver;
  r.args = d.args;
  r.conf = d.conf;
  return r;
}

driver_request request_of(const driver_description& d) {
  driver_request r;
  r.app = d.app;
  r.cores = d.cores;
  r.memory_mb = d.memory_mb;
  r.supervise = d.supervise;
  r.submit_host = d.submit_host;
  r.args = d.args;
  r.conf_args = d.conf_args;
  return r;
}

// -- master recovery ----------------------------------------------------------------

app_description description_of(const app_request& r) {
  app_description d;
  d.name = r.name;
  d.args = r.args;
  d.conf = r.conf;
  d.cores_max = r.cores_max;
  d.executor_cores = r.executor_cores;
  d.executor_memory_mb = r.executor_memory_mb;
  d.submit_host = r.submit_host;
  d.driver_host = r.driver_host;
  d.driver_port = r.driver_port;
  d.driver = r.driver;
  return d;
}

driver_description description_of(const driver_request& r) {
  driver_description d;
  d.app = r.app;
  d.args = r.args;
  d.conf_args = r.conf_args;
  d.cores = r.cores;
  d.memory_mb = r.memory_mb;
  d.supervise = r.supervise;
  d.submit_host = r.submit_host;
  return d;
}

/// Records what the book holds now (the journal appends only what changed).
void persist(self_ptr self) {
  auto& st = self->state;
  if (!st.opts.recovery)
    return;
  if (auto err = st.opts.recovery->sync(st.book.image()); !err.empty())
    log::master()->error("cannot record the master's state in its recovery dir: {}", err);
}

/// Records the book once the messages already in the mailbox are handled, so
/// that a burst of registrations costs one fsync'd append.
void persist_soon(self_ptr self) {
  auto& st = self->state;
  if (!st.opts.recovery || st.persist_queued)
    return;
  st.persist_queued = true;
  self->send(self, persist_v);
}

/// Loads what the previous master recorded; the book is then recovering.
void restore(self_ptr self) {
  auto& st = self->state;
  const auto& img = st.opts.recovery->tables();
  st.book.restore(img, st.now());
  for (auto& [id, a] : img.apps)
    st.apps[id] = {description_of(a.request), caf::actor{}};
  for (auto& [id, d] : img.drivers)
    st.drivers[id] = description_of(d.request);
  st.recovery_started = clock::now();
  st.recovery_summary = std::to_string(img.workers.size()) + " workers, " + std::to_string(img.apps.size())
                        + " applications, " + std::to_string(img.drivers.size()) + " drivers recorded";
  log::master()->warn("master recovering: {}", st.recovery_summary);
}

/// Ends recovery (all answered, or master.recovery-timeout passed).
void finish_recovery(self_ptr self, const char* why) {
  auto& st = self->state;
  if (!st.book.recovering())
    return;
  int unknown = 0;
  for (auto& [id, w] : st.book.workers())
    unknown += w.state == worker_state::unknown ? 1 : 0;
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - st.recovery_started).count();
  carry_out(self, st.book.complete_recovery());
  log::master()->log(unknown > 0 ? spdlog::level::warn : spdlog::level::info,
                     "master alive: recovery complete after {} ms ({}; {}); {} recorded workers did not come back",
                     took, why, st.recovery_summary, unknown);
}

void finish_recovery_if_answered(self_ptr self) {
  if (self->state.book.recovering() && self->state.book.recovery_answered())
    finish_recovery(self, "every recorded worker and application answered");
}

/// Tells every recorded worker and driver that has not registered again yet
/// where the restarted master is (they retry on their own too). Sent a moment
/// after start, only to those still silent: a peer that is connecting on its
/// own at the same time would get a second connection, and CAF closing the
/// redundant one can take the first one's proxies down with it.
void reach_out(self_ptr self) {
  auto& st = self->state;
  auto tell = [self](const std::string& what, const std::string& host, uint16_t port) {
    if (host.empty() || port == 0)
      return;
    auto timeout = std::chrono::milliseconds(std::max(self->state.opts.recovery_timeout_ms, 100));
    connect_async(
      self, host, port, timeout,
      [=](caf::actor peer) {
        if (!peer || !self->state.book.recovering())
          return;
        log::master()->info("telling {} at {}:{} that the master changed", what, host, port);
        self->send(peer, master_changed{caf::actor{self}, self->state.opts.url});
      },
      [=](caf::error& err) {
        log::master()->info("{} at {}:{} does not answer: {}", what, host, port, self->system().render(err));
      });
  };
  for (auto& [id, w] : st.book.workers())
    if (w.state == worker_state::unknown)
      tell("worker " + id, w.offer.host, w.offer.port);
  for (auto& [id, a] : st.book.apps()) {
    auto h = st.apps.find(id);
    if (!is_finished(a.state) && (h == st.apps.end() || !h->second.driver))
      tell("the driver of " + id, a.request.driver_host, a.request.driver_port);
  }
}

/// An id no recorded application or driver has (a restarted master's
/// generator could repeat its predecessor's within the same second).
template <class Taken>
std::string fresh_id(id_generator& ids, Taken taken) {
  auto id = ids.next();
  while (taken(id))
    id = ids.next();
  return id;
}

} // namespace

master_options master_options_from(const settings& s, std::string url) {
  master_options o;
  o.url = std::move(url);
  o.worker_timeout_ms = s.worker_timeout_ms;
  o.spread_out = s.spread_out;
  o.retained_applications = s.retained_applications;
  o.retained_drivers = s.retained_drivers;
  o.executor_failures_per_worker = s.executor_failures_per_worker;
  o.recovery_timeout_ms = s.recovery_timeout_ms;
  o.executor_min_uptime_ms = s.executor_min_uptime_ms;
  o.max_driver_relaunches = s.driver_max_relaunches;
  return o;
}

caf::actor spawn_master(caf::actor_system& sys, master_options opts) {
  return sys.spawn([opts](self_ptr self) -> caf::behavior {
    self->state.opts = opts;
    self->state.book = cluster_book{book_options_from(opts)};
    self->set_default_handler([](caf::scheduled_actor*, caf::message_view& m) -> caf::result<caf::message> {
      log::master()->warn("unexpected message ignored: {}", to_string(m.content()));
      return caf::sec::unexpected_message;
    });
    self->set_down_handler([self](caf::down_msg& dm) {
      auto& st = self->state;
      std::vector<worker_id> workers;
      for (auto& [id, w] : st.workers)
        if (w.address() == dm.source)
          workers.push_back(id);
      bool clean = dm.reason == caf::exit_reason::user_shutdown || dm.reason == caf::exit_reason::normal;
      for (auto& id : workers)
        carry_out(self, st.book.worker_lost(id, clean ? "shut down" : self->system().render(dm.reason), clean));
      std::vector<app_id> apps;
      for (auto& [id, app] : st.apps)
        if (app.driver.address() == dm.source)
          apps.push_back(id);
      for (auto& id : apps)
        carry_out(self, st.book.driver_gone(id));
    });
    auto interval = std::chrono::milliseconds(std::max(opts.worker_timeout_ms / 4, opts.min_check_interval_ms));
    self->delayed_send(self, interval, tick_v);
    log::master()->info("master started url={}", opts.url);
    if (opts.recovery && opts.recovery->recovered()) {
      restore(self);
      self->delayed_send(self, std::chrono::milliseconds(std::max(opts.recovery_timeout_ms, 1)), recover_v);
      finish_recovery_if_answered(self);
    }
    return {
      [=](register_worker& reg) -> caf::result<registered_worker> {
        auto& st = self->state;
        auto known = st.workers.find(reg.id);
        if (st.book.is_alive(reg.id) && known != st.workers.end() && known->second != reg.worker)
          return caf::make_error(caf::sec::invalid_argument, "duplicate worker id " + reg.id);
        book_decisions out;
        std::string error;
        std::vector<reported_executor> execs;
        for (auto& e : reg.executors)
          execs.push_back({e.app, e.exec, e.cores, e.memory_mb});
        std::vector<reported_driver> drivers;
        for (auto& d : reg.drivers)
          drivers.push_back({d.driver, d.state, d.message});
        auto r = st.book.register_worker({reg.id, reg.host, reg.port, reg.cores, reg.memory_mb}, st.now(), out, error,
                                         execs, drivers);
        if (r == registration::refused)
          return caf::make_error(caf::sec::invalid_argument, error);
        if (r == registration::accepted) {
          if (known != st.workers.end() && known->second && known->second != reg.worker)
            self->demonitor(known->second);
          self->monitor(reg.worker);
          st.workers[reg.id] = reg.worker;
        }
        carry_out(self, out);
        finish_recovery_if_answered(self);
        return registered_worker{st.opts.url};
      },
      [=](const worker_heartbeat& hb) {
        auto& st = self->state;
        // A heartbeat for an alive worker counts only from that worker: a
        // stranger cannot keep a dead one alive.
        if (st.book.is_alive(hb.id) && !sent_by(self, worker_handle(st, hb.id), "a heartbeat", hb.id))
          return;
        if (!st.book.heartbeat(hb.id, st.now()))
          if (auto sender = caf::actor_cast<caf::actor>(self->current_sender())) {
            auto* w = st.book.worker(hb.id);
            if (w != nullptr && w->state == worker_state::unknown)  // recorded: it keeps what it runs
              self->send(sender, master_changed{caf::actor{self}, st.opts.url});
            else
              self->send(sender, reconnect_worker{"unknown or dead worker " + hb.id});
          }
      },
      [=](const executor_state_changed& ev) {
        auto& st = self->state;
        // Only the worker that runs an executor reports on it.
        if (auto* app = st.book.app(ev.app)) {
          auto e = app->executors.find(ev.exec);
          if (e != app->executors.end()
              && !sent_by(self, worker_handle(st, e->second.worker), "an executor state", ev.app + "/" + ev.exec))
            return;
        }
        carry_out(self, self->state.book.executor_state_changed(ev.app, ev.exec, ev.state, ev.message,
                                                                self->state.now()));
      },
      [=](const master_started& m) {
        self->state.opts.url = m.url;
        if (self->state.book.recovering())
          self->delayed_send(self, std::chrono::milliseconds(std::clamp(opts.recovery_timeout_ms / 5, 1, 1000)),
                             reach_v);
      },
      [=](reach_atom) {
        if (self->state.book.recovering())
          reach_out(self);
      },
      [=](recover_atom) { finish_recovery(self, "master.recovery-timeout passed"); },
      [=](persist_atom) {
        self->state.persist_queued = false;
        persist(self);
      },
      [=](application_reregistered& r) -> caf::result<registered_application> {
        auto& st = self->state;
        book_decisions out;
        std::string error;
        auto req = request_of(r.desc);
        auto res = st.book.reregister_application(r.app, std::move(req), r.next_executor, unix_ms(), out, error);
        if (res == reregistration::refused) {
          log::master()->warn("re-registration of app={} refused: {}", r.app, error);
          return caf::make_error(caf::sec::invalid_argument, error);
        }
        auto& h = st.apps[r.app];
        if (h.driver != r.driver) {
          if (h.driver)
            self->demonitor(h.driver);
          h.driver = r.driver;
          self->monitor(r.driver);
        }
        h.desc = std::move(r.desc);
        carry_out(self, out);
        finish_recovery_if_answered(self);
        return registered_application{r.app};
      },
      [=](const worker_stopping& w) {
        if (!sent_by(self, worker_handle(self->state, w.id), "a worker stopping", w.id))
          return;
        carry_out(self, self->state.book.worker_stopping(w.id));
      },
      [=](submit_driver& sub) -> driver_status {
        auto& st = self->state;
        auto id = fresh_id(st.driver_ids, [&](const std::string& x) { return st.book.driver(x) != nullptr; });
        auto req = request_of(sub.desc);
        st.drivers[id] = std::move(sub.desc);
        book_decisions out;
        if (!st.book.submit_driver(id, std::move(req), unix_ms(), out))
          return unknown_driver(id);
        auto status = status_of(st.book, *st.book.driver(id));
        carry_out(self, out);
        // Placed at once: answer with where it went.
        if (auto* d = st.book.driver(id))
          status = status_of(st.book, *d);
        return status;
      },
      [=](const request_driver_status& r) -> driver_status {
        auto& book = self->state.book;
        auto* d = book.driver(r.driver);
        return d == nullptr ? unknown_driver(r.driver) : status_of(book, *d);
      },
      [=](const kill_driver& k) -> driver_status {
        auto& book = self->state.book;
        book_decisions out;
        auto* d = book.kill_driver(k.driver, out);
        if (d == nullptr) {
          carry_out(self, out);
          return unknown_driver(k.driver);
        }
        auto status = status_of(book, *d);
        carry_out(self, out);
        return status;
      },
      [=](const kill_application& k) -> application_killed {
        auto& st = self->state;
        auto* app = st.book.app(k.app);
        if (app == nullptr)
          return {false, app_state::failed};
        auto who = self->current_sender() ? caf::to_string(self->current_sender()->node()) : std::string{"a client"};
        log::master()->info("application kill requested app={} by={}", k.app, who);
        carry_out(self, st.book.kill_application(k.app, "killed by request (troupe kill " + k.app + ")"));
        return {true, st.book.app(k.app) != nullptr ? st.book.app(k.app)->state : app_state::killed};
      },
      [=](const driver_state_changed& c) {
        auto& st = self->state;
        // Only a worker reports a driver's state, and only about itself:
        // the book then ignores a worker the driver does not run on.
        auto* d = st.book.driver(c.driver);
        auto from = c.worker.empty() && d != nullptr ? d->worker : c.worker;
        if (d != nullptr && !sent_by(self, worker_handle(st, from), "a driver state", c.driver))
          return;
        carry_out(self, self->state.book.driver_state_changed(c.driver, c.state, c.message, c.worker));
      },
      [=](const request_driver_logs& r) -> caf::result<driver_logs> {
        auto& st = self->state;
        auto* d = st.book.driver(r.driver);
        if (d == nullptr)
          return driver_logs{false, {}, {}, "no such driver " + r.driver};
        auto w = worker_handle(st, d->worker);
        if (!w || !st.book.is_alive(d->worker))
          return driver_logs{false, {}, {}, "the worker of driver " + r.driver + " is not reachable"};
        auto rp = self->make_response_promise<driver_logs>();
        self->request(w, std::chrono::milliseconds(st.opts.logs_timeout_ms), r)
          .then([rp](driver_logs& logs) mutable { rp.deliver(std::move(logs)); },
                [rp, self](caf::error& err) mutable {
                  rp.deliver(driver_logs{false, {}, {}, "worker did not answer: " + self->system().render(err)});
                });
        return rp;
      },
      [=](const request_cluster_status&) -> cluster_status { return snapshot(self); },
      [=](register_application& reg) -> registered_application {
        auto& st = self->state;
        auto id = fresh_id(st.app_ids, [&](const std::string& x) { return st.book.app(x) != nullptr; });
        auto req = request_of(reg.desc);
        st.apps[id] = {std::move(reg.desc), reg.driver};
        self->monitor(reg.driver);
        book_decisions out;
        st.book.register_application(id, std::move(req), unix_ms(), out);
        carry_out(self, out);
        return registered_application{id};
      },
      [=](const unregister_application& u) {
        // Only its own driver ends an application this way.
        if (self->state.book.app(u.app) != nullptr
            && !sent_by(self, driver_handle(self->state, u.app), "an application's end", u.app))
          return;
        carry_out(self, self->state.book.unregister_application(u.app, u.state));
      },
      [=](tick_atom) {
        auto& st = self->state;
        carry_out(self, st.book.check_heartbeats(st.now()));
        carry_out(self, st.book.waiting_notes(st.now()));
        self->delayed_send(self, interval, tick_v);
      },
    };
  });
}

} // namespace troupe
