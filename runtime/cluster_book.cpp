#include "runtime/cluster_book.hpp"

#include "runtime/log.hpp"
#include "runtime/placement.hpp"

#include <spdlog/spdlog.h>

#include <tuple>

namespace troupe {

cluster_book::cluster_book(book_options opts) : opts_(std::move(opts)) {
  // nop
}

// -- views ------------------------------------------------------------------------------

const worker_record* cluster_book::worker(const worker_id& id) const {
  auto it = workers_.find(id);
  return it == workers_.end() ? nullptr : &it->second;
}

const app_record* cluster_book::app(const app_id& id) const {
  auto it = apps_.find(id);
  return it == apps_.end() ? nullptr : &it->second;
}

const driver_record* cluster_book::driver(const driver_id& id) const {
  auto it = drivers_.find(id);
  return it == drivers_.end() ? nullptr : &it->second;
}

bool cluster_book::is_alive(const worker_id& id) const {
  auto w = worker(id);
  return w != nullptr && w->state == worker_state::alive;
}

bool cluster_book::relaunches(const driver_record& d) const {
  // Spark relaunches a supervised driver without limit; a bound keeps a
  // driver that always fails from cycling through the cluster forever.
  return d.request.supervise && d.relaunches < opts_.max_driver_relaunches;
}

// -- workers ------------------------------------------------------------------------

registration cluster_book::register_worker(const worker_offer_info& w, monotonic_ms now, book_decisions& out,
                                           std::string& error) {
  return register_worker(w, now, out, error, {}, {});
}

registration cluster_book::register_worker(const worker_offer_info& w, monotonic_ms now, book_decisions& out,
                                           std::string& error, const std::vector<reported_executor>& executors,
                                           const std::vector<reported_driver>& drivers) {
  auto it = workers_.find(w.id);
  if (it != workers_.end() && it->second.state == worker_state::alive) {
    // A retried registration: the worker and its accounts stay as they are.
    it->second.last_heartbeat = now;
    return registration::refreshed;
  }
  if (w.cores <= 0 || w.memory_mb <= 0) {
    error = "worker must offer cores and memory";
    return registration::refused;
  }
  auto& rec = workers_[w.id];
  bool was_unknown = rec.state == worker_state::unknown && rec.offer.id == w.id;
  rec = worker_record{};
  rec.offer = w;
  rec.last_heartbeat = now;
  log::master()->info("worker {} id={} addr={}:{} cores={} memory={}m executors={} drivers={}",
                      was_unknown ? "re-registered" : "registered", w.id, w.host, w.port, w.cores, w.memory_mb,
                      executors.size(), drivers.size());
  claim(rec, executors, drivers, out);
  schedule(out);
  return registration::accepted;
}

bool cluster_book::heartbeat(const worker_id& id, monotonic_ms now) {
  auto it = workers_.find(id);
  if (it == workers_.end() || it->second.state != worker_state::alive)
    return false;
  it->second.last_heartbeat = now;
  return true;
}

book_decisions cluster_book::worker_lost(const worker_id& id, const std::string& why, bool clean) {
  book_decisions out;
  auto it = workers_.find(id);
  if (it == workers_.end() || it->second.state != worker_state::alive)
    return out;
  auto& w = it->second;
  w.state = worker_state::dead;
  log::master()->log(clean ? spdlog::level::info : spdlog::level::warn, "worker dead id={} addr={}:{} reason={}", id,
                     w.offer.host, w.offer.port, why);
  auto execs = w.executors;
  for (auto& [aid, exec] : execs) {
    auto a = apps_.find(aid);
    if (a == apps_.end())
      continue;
    release_executor(a->second, exec);
    if (!is_finished(a->second.state))
      out.push_back(executor_removed_note{aid, exec, executor_state::lost, "worker " + id + " lost: " + why});
  }
  for (auto& did : std::set<driver_id>(w.drivers)) {
    auto d = drivers_.find(did);
    if (d == drivers_.end())
      continue;
    release_driver(d->second);
    bool relaunch = relaunches(d->second);
    driver_failed(d->second, "worker " + id + " lost: " + why, out);
    if (!relaunch)
      continue;
    // Its process may outlive the worker (a frozen worker's children run on):
    // the application of that attempt ends, so that only the new one runs.
    std::vector<app_id> earlier;
    for (auto& [aid, app] : apps_)
      if (app.request.driver == did && !is_finished(app.state))
        earlier.push_back(aid);
    for (auto& aid : earlier) {
      auto a = apps_.find(aid);
      if (a == apps_.end())
        continue;
      out.push_back(app_state_note{aid, app_state::killed, "its driver " + did + " is relaunched: worker " + id + " lost"});
      finish_app(a->second, app_state::killed, out);
    }
  }
  w.cores_used = 0;
  w.memory_used = 0;
  schedule(out);
  return out;
}

book_decisions cluster_book::worker_stopping(const worker_id& id) {
  auto out = worker_lost(id, "stopped", true);
  auto it = workers_.find(id);
  if (it != workers_.end())
    it->second.state = worker_state::decommissioned;
  return out;
}

book_decisions cluster_book::check_heartbeats(monotonic_ms now) {
  book_decisions out;
  std::vector<worker_id> silent;
  for (auto& [id, w] : workers_)
    if (w.state == worker_state::alive && now - w.last_heartbeat > opts_.worker_timeout_ms)
      silent.push_back(id);
  for (auto& id : silent) {
    auto more = worker_lost(id, "no heartbeat for " + std::to_string(opts_.worker_timeout_ms) + " ms");
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

// -- applications -------------------------------------------------------------------

bool cluster_book::register_application(const app_id& id, app_request req, int64_t start_unix_ms,
                                        book_decisions& out) {
  if (id.empty() || apps_.count(id) > 0)
    return false;
  app_record app;
  app.id = id;
  app.request = std::move(req);
  app.start_ms = start_unix_ms;
  log::master()->info("application registered app={} name={} driver_host={}", id, app.request.name,
                      app.request.driver_host);
  apps_.emplace(id, std::move(app));
  schedule(out);
  return true;
}

book_decisions cluster_book::unregister_application(const app_id& id, app_state final_state) {
  book_decisions out;
  auto a = apps_.find(id);
  // A driver naming a state that is not final still ends its application.
  if (a != apps_.end())
    finish_app(a->second, is_finished(final_state) ? final_state : app_state::finished, out);
  return out;
}

book_decisions cluster_book::driver_gone(const app_id& id) {
  book_decisions out;
  auto a = apps_.find(id);
  if (a == apps_.end() || is_finished(a->second.state))
    return out;
  log::master()->warn("driver of app={} is gone", id);
  finish_app(a->second, app_state::failed, out);
  return out;
}

book_decisions cluster_book::kill_application(const app_id& id, const std::string& why) {
  book_decisions out;
  auto a = apps_.find(id);
  if (a == apps_.end() || is_finished(a->second.state))
    return out;
  out.push_back(app_state_note{id, app_state::killed, why});
  finish_app(a->second, app_state::killed, out);
  return out;
}

book_decisions cluster_book::executor_state_changed(const app_id& aid, const executor_id& exec, executor_state state,
                                                    const std::string& message, monotonic_ms now) {
  book_decisions out;
  auto a = apps_.find(aid);
  if (a == apps_.end())
    return out;
  auto& app = a->second;
  auto e = app.executors.find(exec);
  if (e == app.executors.end())
    return out;
  e->second.state = state;
  if (state == executor_state::running && e->second.running_since < 0)
    e->second.running_since = now;
  log::master()->info("executor state app={} exec={} state={} {}", aid, exec, to_string(state), message);
  if (!is_finished(state))
    return out;
  auto on = e->second.worker;
  // A failure soon after launch says something about the worker or the
  // application; one after a long run (a kill, a crash mid-job) does not, and
  // counting it would exclude healthy workers and fail healthy applications
  // under repeated executor losses.
  auto since = e->second.running_since;
  bool counts = state == executor_state::failed && (since < 0 || now - since < opts_.executor_min_uptime_ms);
  if (state == executor_state::failed && !counts)
    log::master()->info("executor app={} exec={} failed after running {} ms: not counted against it", aid, exec,
                        now - since);
  release_executor(app, exec);
  if (counts && ++app.failures_on[on] >= opts_.max_failures_per_worker && app.excluded.insert(on).second)
    log::master()->warn("worker excluded for app={} worker={}: {} executors failed there; last: {}", aid, on,
                        app.failures_on[on], message);
  if (is_finished(app.state))
    return out;
  out.push_back(executor_removed_note{aid, exec, state, message});
  // Spark's rule: at the limit, the application fails only when none of its
  // executors runs; while one does, it is making progress.
  bool any_running = false;
  for (auto& [id, x] : app.executors)
    any_running = any_running || x.state == executor_state::running;
  if (counts && ++app.executor_failures >= opts_.max_executor_failures && !any_running) {
    out.push_back(app_state_note{aid, app_state::failed,
                                 "executors failed " + std::to_string(app.executor_failures)
                                   + " times; last: " + message});
    finish_app(app, app_state::failed, out);
    return out;
  }
  schedule(out);
  return out;
}

book_decisions cluster_book::waiting_notes(monotonic_ms now) {
  book_decisions out;
  for (auto& [id, app] : apps_) {
    if (is_finished(app.state))
      continue;
    // Free offers change with every event: the reason is recomputed here too.
    app.waiting_reason = app.executors.empty() ? waiting_reason(app) : std::string{};
    if (app.waiting_reason.empty()) {
      app.waiting_since = -1;
      app.last_waiting_note = -1;
      continue;
    }
    if (app.waiting_since < 0)
      app.waiting_since = now;
    bool due = app.last_waiting_note < 0 ? now - app.waiting_since >= opts_.waiting_first_note_ms
                                         : now - app.last_waiting_note >= opts_.waiting_note_every_ms;
    if (!due)
      continue;
    app.last_waiting_note = now;
    log::master()->warn("application waiting app={}: {}", id, app.waiting_reason);
    out.push_back(app_waiting_note{id, app.waiting_reason});
  }
  return out;
}

// -- drivers ------------------------------------------------------------------------

bool cluster_book::submit_driver(const driver_id& id, driver_request req, int64_t start_unix_ms,
                                 book_decisions& out) {
  if (id.empty() || drivers_.count(id) > 0)
    return false;
  driver_record d;
  d.id = id;
  d.request = std::move(req);
  d.start_ms = start_unix_ms;
  log::master()->info("driver submitted id={} app={} from={}", id, d.request.app, d.request.submit_host);
  drivers_.emplace(id, std::move(d));
  schedule(out);
  return true;
}

const driver_record* cluster_book::kill_driver(const driver_id& id, book_decisions& out) {
  auto it = drivers_.find(id);
  if (it == drivers_.end())
    return nullptr;
  auto& d = it->second;
  if (is_finished(d.state))
    return &d;
  if (d.state == driver_state::running && is_alive(d.worker))
    out.push_back(kill_driver_order{d.worker, id});
  release_driver(d);
  log::master()->info("driver killed id={}", id);
  finish_driver(d, driver_state::killed, "killed on request", out);
  schedule(out);
  // Retention may have dropped it (a bound of 0): answer from what is left.
  return driver(id);
}

book_decisions cluster_book::driver_state_changed(const driver_id& id, driver_state state,
                                                  const std::string& message, const worker_id& from) {
  book_decisions out;
  auto it = drivers_.find(id);
  if (it == drivers_.end())
    return out;
  auto& d = it->second;
  // A driver waiting for a place runs nowhere, and a relaunched one runs on
  // its new worker only: anything else is about an earlier attempt.
  if (d.state == driver_state::submitted || d.state == driver_state::relaunching || (!from.empty() && from != d.worker)) {
    log::master()->info("stale driver state ignored id={} state={} from={} (it runs on {}) {}", id, to_string(state),
                        from, d.worker.empty() ? "no worker" : d.worker, message);
    return out;
  }
  log::master()->info("driver state id={} state={} {}", id, to_string(state), message);
  if (is_finished(d.state))
    return out;  // e.g. keep "killed" over the exit status of the killed process
  if (!is_finished(state)) {
    d.state = state;
    if (!message.empty())
      d.message = message;  // a relaunched driver keeps saying why it was relaunched
    return out;
  }
  // Not killed on request (that driver is finished already): its worker is
  // stopping. A supervised one is relaunched when the worker is gone.
  if (state == driver_state::killed && relaunches(d))
    return out;
  release_driver(d);
  if (state == driver_state::failed)
    driver_failed(d, message, out);
  else
    finish_driver(d, state, message, out);
  schedule(out);
  return out;
}

// -- master recovery ---------------------------------------------------------------

book_image cluster_book::image() const {
  book_image img;
  for (auto& [id, w] : workers_)
    img.workers[id] = {w.offer, w.state};
  for (auto& [id, a] : apps_)
    img.apps[id] = {id, a.request, a.state, a.start_ms, a.next_executor};
  for (auto& [id, d] : drivers_)
    img.drivers[id] = {id, d.request, d.state, d.worker, d.start_ms, d.message};
  return img;
}

void cluster_book::restore(const book_image& img, monotonic_ms now) {
  workers_.clear();
  apps_.clear();
  drivers_.clear();
  finished_apps_.clear();
  finished_drivers_.clear();
  unconfirmed_apps_.clear();
  unconfirmed_drivers_.clear();
  for (auto& [id, w] : img.workers) {
    auto& rec = workers_[id];
    rec.offer = w.offer;
    rec.offer.id = id;
    rec.last_heartbeat = now;
    rec.state = w.state == worker_state::alive || w.state == worker_state::unknown ? worker_state::unknown : w.state;
  }
  for (auto& [id, a] : img.apps) {
    app_record rec;
    rec.id = id;
    rec.request = a.request;
    rec.state = a.state;
    rec.start_ms = a.start_ms;
    rec.next_executor = a.next_executor;
    if (is_finished(a.state))
      finished_apps_.push_back(id);
    else
      unconfirmed_apps_.insert(id);
    apps_.emplace(id, std::move(rec));
  }
  for (auto& [id, d] : img.drivers) {
    driver_record rec;
    rec.id = id;
    rec.request = d.request;
    rec.state = d.state;
    rec.worker = d.worker;
    rec.start_ms = d.start_ms;
    rec.message = d.message;
    if (is_finished(d.state))
      finished_drivers_.push_back(id);
    else if (d.state == driver_state::running)
      unconfirmed_drivers_.insert(id);
    drivers_.emplace(id, std::move(rec));
  }
  recovering_ = true;
  log::master()->info("recovering: {} workers, {} applications, {} drivers recorded", workers_.size(), apps_.size(),
                      drivers_.size());
}

bool cluster_book::recovery_answered() const {
  if (!unconfirmed_apps_.empty())
    return false;
  for (auto& [id, w] : workers_)
    if (w.state == worker_state::unknown)
      return false;
  return true;
}

reregistration cluster_book::reregister_application(const app_id& id, app_request req, int32_t next_executor,
                                                    int64_t start_unix_ms, book_decisions& out, std::string& error) {
  if (id.empty()) {
    error = "an application id is needed";
    return reregistration::refused;
  }
  auto a = apps_.find(id);
  if (a == apps_.end()) {
    // A master restarted without recovery: take the application under its old id.
    app_record app;
    app.id = id;
    app.request = std::move(req);
    app.start_ms = start_unix_ms;
    app.next_executor = std::max(next_executor, 0);
    log::master()->info("application re-registered under its id app={} name={} (not recorded here)", id,
                        app.request.name);
    apps_.emplace(id, std::move(app));
    schedule(out);
    return reregistration::accepted;
  }
  auto& app = a->second;
  if (is_finished(app.state)) {
    error = "the master ended application " + id + " (" + std::string(to_string(app.state))
            + ") while its driver was unreachable";
    return reregistration::refused;
  }
  app.next_executor = std::max(app.next_executor, next_executor);
  // The driver's address may have changed (it is the same process, but be exact).
  app.request.driver_host = req.driver_host;
  app.request.driver_port = req.driver_port;
  if (unconfirmed_apps_.erase(id) > 0)
    log::master()->info("application re-registered app={}", id);
  return reregistration::confirmed;
}

void cluster_book::claim(worker_record& w, const std::vector<reported_executor>& executors,
                         const std::vector<reported_driver>& drivers, book_decisions& out) {
  const auto& wid = w.offer.id;
  for (auto& e : executors) {
    auto a = apps_.find(e.app);
    bool adopt = a != apps_.end() && !is_finished(a->second.state) && a->second.executors.count(e.exec) == 0
                 && a->second.gone.count(e.exec) == 0 && e.cores >= 0 && e.memory_mb >= 0;
    if (!adopt) {
      log::master()->info("worker {} runs executor app={} exec={} that is not expected there: killing it", wid, e.app,
                          e.exec);
      out.push_back(kill_executor_order{wid, e.app, e.exec});
      continue;
    }
    auto& app = a->second;
    app.executors[e.exec] = {wid, e.cores, e.memory_mb, executor_state::running};
    app.ran_on.insert(wid);
    app.cores_granted += e.cores;
    app.next_executor = std::max(app.next_executor, executor_number(e.exec) + 1);
    if (app.state == app_state::waiting)
      app.state = app_state::running;
    w.cores_used += e.cores;
    w.memory_used += e.memory_mb;
    w.executors.insert({e.app, e.exec});
    log::master()->info("executor adopted app={} exec={} worker={} cores={}", e.app, e.exec, wid, e.cores);
  }
  for (auto& r : drivers) {
    auto d = drivers_.find(r.id);
    bool expected = d != drivers_.end() && d->second.state == driver_state::running && d->second.worker == wid;
    if (is_finished(r.state)) {
      // It ended while the worker had no master to tell.
      if (expected) {
        unconfirmed_drivers_.erase(r.id);
        finish_driver(d->second, r.state, r.message, out);
      }
      continue;
    }
    if (!expected || w.drivers.count(r.id) > 0) {
      if (!expected) {
        log::master()->info("worker {} runs driver {} that is not expected there: killing it", wid, r.id);
        out.push_back(kill_driver_order{wid, r.id});
      }
      continue;
    }
    auto& rec = d->second;
    w.drivers.insert(r.id);
    w.cores_used += rec.request.cores;
    w.memory_used += rec.request.memory_mb;
    unconfirmed_drivers_.erase(r.id);
    log::master()->info("driver adopted id={} worker={}", r.id, wid);
  }
}

book_decisions cluster_book::complete_recovery() {
  book_decisions out;
  if (!recovering_)
    return out;
  recovering_ = false;
  for (auto& [id, w] : workers_)
    if (w.state == worker_state::unknown) {
      w.state = worker_state::dead;
      log::master()->warn("worker dead id={} addr={}:{} reason=did not register again after the master restarted", id,
                          w.offer.host, w.offer.port);
    }
  for (auto& id : std::set<app_id>(unconfirmed_apps_)) {
    auto a = apps_.find(id);
    if (a == apps_.end() || is_finished(a->second.state))
      continue;
    // As Spark's completeRecovery: an application whose driver did not answer is finished.
    log::master()->warn("application app={} did not answer after the master restarted: finished", id);
    finish_app(a->second, app_state::finished, out);
  }
  unconfirmed_apps_.clear();
  for (auto& id : std::set<driver_id>(unconfirmed_drivers_)) {
    auto d = drivers_.find(id);
    if (d == drivers_.end() || is_finished(d->second.state))
      continue;
    auto& rec = d->second;
    release_driver(rec);
    if (relaunches(rec)) {
      rec.state = driver_state::submitted;
      rec.worker.clear();
      continue;
    }
    log::master()->warn("driver id={} was not reported by worker {} after the master restarted: failed", id,
                        rec.worker);
    finish_driver(rec, driver_state::failed,
                  "not reported by its worker " + rec.worker + " after the master restarted", out);
  }
  unconfirmed_drivers_.clear();
  log::master()->info("recovery complete");
  schedule(out);
  return out;
}

// -- internals ----------------------------------------------------------------------

void cluster_book::release_executor(app_record& app, const executor_id& exec) {
  auto it = app.executors.find(exec);
  if (it == app.executors.end())
    return;
  auto w = workers_.find(it->second.worker);
  if (w != workers_.end()) {
    w->second.cores_used -= it->second.cores;
    w->second.memory_used -= it->second.memory_mb;
    w->second.executors.erase({app.id, exec});
  }
  app.cores_granted -= it->second.cores;
  app.gone.insert(exec);
  app.executors.erase(it);
}

void cluster_book::release_driver(driver_record& d) {
  auto w = workers_.find(d.worker);
  if (w == workers_.end() || w->second.drivers.erase(d.id) == 0)
    return;
  w->second.cores_used -= d.request.cores;
  w->second.memory_used -= d.request.memory_mb;
}

void cluster_book::finish_app(app_record& app, app_state final_state, book_decisions& out) {
  if (is_finished(app.state))
    return;
  app.state = final_state;
  app.waiting_reason.clear();
  log::master()->info("application finished app={} state={}", app.id, to_string(final_state));
  auto execs = app.executors;
  for (auto& [exec, info] : execs) {
    if (is_alive(info.worker))
      out.push_back(kill_executor_order{info.worker, app.id, exec});
    release_executor(app, exec);
  }
  finished_apps_.push_back(app.id);
  retain(out);  // may drop `app` itself when the bound is 0: do not touch it after this
  schedule(out);
}

void cluster_book::finish_driver(driver_record& d, driver_state final_state, const std::string& message,
                                 book_decisions& out) {
  d.state = final_state;
  d.message = message;
  finished_drivers_.push_back(d.id);
  retain(out);
}

void cluster_book::driver_failed(driver_record& d, const std::string& why, book_decisions& out) {
  if (!relaunches(d)) {
    auto message = d.request.supervise ? "failed after " + std::to_string(d.relaunches)
                                           + " relaunches (driver.max-relaunches=" + std::to_string(opts_.max_driver_relaunches)
                                           + "); last: " + why
                                       : why;
    log::master()->warn("driver failed id={}: {}", d.id, message);
    finish_driver(d, driver_state::failed, message, out);
    return;
  }
  ++d.relaunches;
  d.state = driver_state::relaunching;
  d.worker.clear();
  d.message = "relaunch " + std::to_string(d.relaunches) + " of " + std::to_string(opts_.max_driver_relaunches)
              + " after: " + why;
  log::master()->warn("driver relaunching id={} relaunch={} of {}: {}", d.id, d.relaunches,
                      opts_.max_driver_relaunches, why);
  // schedule() places it again (Spark's relaunchDriver: back to the waiting drivers).
}

void cluster_book::retain(book_decisions& out) {
  while (finished_apps_.size() > opts_.retained_applications) {
    auto id = finished_apps_.front();
    finished_apps_.pop_front();
    if (apps_.erase(id) > 0)
      out.push_back(app_forgotten{id});
  }
  while (finished_drivers_.size() > opts_.retained_drivers) {
    auto id = finished_drivers_.front();
    finished_drivers_.pop_front();
    if (drivers_.erase(id) > 0)
      out.push_back(driver_forgotten{id});
  }
}

std::vector<worker_record*> cluster_book::alive_workers() {
  std::vector<worker_record*> ws;
  for (auto& [id, w] : workers_)
    if (w.state == worker_state::alive)
      ws.push_back(&w);
  return ws;
}

/// The free cores and memory of the given workers, in the same order.
static std::vector<worker_offer> offers_of(const std::vector<worker_record*>& ws) {
  std::vector<worker_offer> offers;
  offers.reserve(ws.size());
  for (auto* w : ws)
    offers.push_back({w->offer.id, w->offer.cores - w->cores_used, w->offer.memory_mb - w->memory_used});
  return offers;
}

static std::string cores_text(int32_t n) { return std::to_string(n) + (n == 1 ? " core" : " cores"); }

/// What the free offers lack for `cores` and `memory_mb`: "; the largest free
/// offer is ..." naming the offer closest to fitting (one that meets more of
/// the two needs, then more free memory, then more free cores), "; no worker
/// is alive", or "" when one fits.
static std::string closest_offer(const std::vector<worker_offer>& offers, int32_t cores, int64_t memory_mb) {
  if (offers.empty())
    return "; no worker is alive";
  auto score = [&](const worker_offer& o) {
    int fits = (o.cores_free >= cores ? 1 : 0) + (o.memory_free_mb >= memory_mb ? 1 : 0);
    return std::tuple{fits, o.memory_free_mb, o.cores_free};
  };
  const worker_offer* best = &offers[0];
  for (auto& o : offers)
    if (score(o) > score(*best))
      best = &o;
  if (std::get<0>(score(*best)) == 2)
    return {};
  return "; the largest free offer is " + cores_text(best->cores_free) + " and " + std::to_string(best->memory_free_mb)
         + " MiB on " + best->id;
}

void cluster_book::schedule_drivers(book_decisions& out) {
  for (auto& [id, d] : drivers_) {
    if (d.state != driver_state::submitted && d.state != driver_state::relaunching)
      continue;
    auto ws = alive_workers();
    auto offers = offers_of(ws);
    auto pick = place_driver(offers, d.request.cores, d.request.memory_mb, driver_rotation_++);
    if (!pick) {
      // A relaunching driver keeps saying why it is relaunched.
      if (d.state == driver_state::submitted)
        d.message = "waiting: the driver asks for " + cores_text(d.request.cores) + " and "
                    + std::to_string(d.request.memory_mb) + " MiB"
                    + closest_offer(offers, d.request.cores, d.request.memory_mb);
      continue;
    }
    if (d.state == driver_state::submitted)
      d.message.clear();
    auto& w = *ws[*pick];
    w.cores_used += d.request.cores;
    w.memory_used += d.request.memory_mb;
    w.drivers.insert(id);
    d.worker = w.offer.id;
    d.state = driver_state::running;
    log::master()->info("launching driver id={} app={} worker={} relaunches={}", id, d.request.app, w.offer.id,
                        d.relaunches);
    out.push_back(launch_driver_order{id, w.offer.id});
  }
}

void cluster_book::schedule(book_decisions& out) {
  if (recovering_)
    return;  // nothing is placed until every recovered worker had its chance to report what it runs
  schedule_drivers(out);
  for (auto& [id, app] : apps_) {
    if (is_finished(app.state))
      continue;
    const auto& r = app.request;
    int32_t wanted = r.cores_max > 0 ? r.cores_max - app.cores_granted : -1;
    if (wanted == 0)
      continue;
    executor_request req{r.executor_cores, r.executor_memory_mb, wanted, opts_.spread_out};
    auto all = alive_workers();
    std::vector<worker_record*> ws;
    for (auto* w : all)
      if (app.excluded.count(w->offer.id) == 0)
        ws.push_back(w);
    auto grants = place_executors(offers_of(ws), req);
    // Excluded workers are a last resort, for an application with no executor
    // at all: a cluster of bad workers still ends in max_executor_failures.
    if (grants.empty() && app.executors.empty() && ws.size() < all.size()) {
      ws = all;
      grants = place_executors(offers_of(ws), req);
    }
    for (auto& g : grants) {
      auto& w = *ws[g.worker_index];
      auto exec = std::to_string(app.next_executor++);
      app.executors[exec] = {w.offer.id, g.cores, r.executor_memory_mb, executor_state::launching};
      app.ran_on.insert(w.offer.id);
      app.cores_granted += g.cores;
      w.cores_used += g.cores;
      w.memory_used += r.executor_memory_mb;
      w.executors.insert({id, exec});
      log::master()->info("launching executor app={} exec={} worker={} cores={} memory={}m", id, exec, w.offer.id,
                          g.cores, r.executor_memory_mb);
      out.push_back(launch_executor_order{id, exec, w.offer.id, g.cores, r.executor_memory_mb});
      out.push_back(executor_added_note{id, exec, w.offer.id, w.offer.host, g.cores});
    }
    if (app.state == app_state::waiting && !app.executors.empty())
      app.state = app_state::running;
  }
  // After every placement, so that each reason sees what the others took.
  for (auto& [id, app] : apps_)
    if (!is_finished(app.state))
      app.waiting_reason = app.executors.empty() ? waiting_reason(app) : std::string{};
}

std::string cluster_book::waiting_reason(const app_record& app) {
  const auto& r = app.request;
  const int32_t min_cores = r.executor_cores > 0 ? r.executor_cores : 1;
  auto asks = "asks for executors of " + (r.executor_cores > 0 ? cores_text(r.executor_cores) : "at least 1 core")
              + " and " + std::to_string(r.executor_memory_mb) + " MiB";
  if (r.cores_max > 0 && r.cores_max - app.cores_granted < min_cores)
    return asks + " but at most " + cores_text(r.cores_max) + " in all (total-executor-cores)";
  auto lacks = closest_offer(offers_of(alive_workers()), min_cores, r.executor_memory_mb);
  // Empty: it fits, and only waits for the next placement.
  return lacks.empty() ? lacks : asks + lacks;
}

} // namespace troupe
