#include "actors/driver.hpp"

#include "actors/driver_web.hpp"
#include "actors/library_transfer.hpp"
#include "actors/protocol.hpp"
#include "actors/publish.hpp"
#include "runtime/app_registry.hpp"
#include "runtime/dag_scheduler.hpp"
#include "runtime/event_log.hpp"
#include "runtime/http_options.hpp"
#include "runtime/log.hpp"
#include "runtime/process.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <thread>
#include <unistd.h>

namespace troupe {

namespace {

using done_atom = caf::atom_constant<caf::atom("appdone")>;
constexpr done_atom done_v{};
using dispatch_atom = caf::atom_constant<caf::atom("dispatch")>;
constexpr dispatch_atom dispatch_v{};
using speculate_atom = caf::atom_constant<caf::atom("speculate")>;
constexpr speculate_atom speculate_v{};

/// One action waiting for its job.
struct job_ticket {
  job_request req;
  std::promise<job_outcome> done;
};

/// The application thread's view of the driver: actions queue a ticket,
/// wake the actor, and block on the ticket's future.
class driver_bridge final : public job_runner {
public:
  driver_bridge(caf::actor driver, std::chrono::milliseconds warn_every)
    : driver_(std::move(driver)), warn_every_(warn_every) {}

  std::vector<std::string> run_job(job_request req) override {
    auto ticket = std::make_shared<job_ticket>();
    ticket->req = std::move(req);
    auto fut = ticket->done.get_future();
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (!stop_reason_.empty())
        throw job_failed(stop_reason_);
      queue_.push_back(ticket);
    }
    caf::anon_send(driver_, wake_v);
    auto out = fut.get();
    if (!out.ok)
      throw job_failed(out.error);
    return std::move(out.results);
  }

  void release_blocks(const std::vector<shuffle_id>& shuffles, const std::vector<node_id>& cached) override {
    caf::anon_send(driver_, drop_blocks{shuffles, cached});
  }

  int32_t total_cores() override {
    std::unique_lock<std::mutex> lock{mtx_};
    while (cores_ == 0 && stop_reason_.empty()) {
      if (!cv_.wait_for(lock, warn_every_, [&] { return cores_ > 0 || !stop_reason_.empty(); }))
        log::driver()->warn("no executor has registered yet; the cluster may have no free cores or memory");
    }
    if (cores_ == 0)
      throw job_failed(stop_reason_);
    return cores_;
  }

  std::deque<std::shared_ptr<job_ticket>> take_jobs() {
    std::lock_guard<std::mutex> guard{mtx_};
    return std::exchange(queue_, {});
  }

  void set_cores(int32_t n) {
    std::lock_guard<std::mutex> guard{mtx_};
    cores_ = n;
    cv_.notify_all();
  }

  /// Fails queued and future actions with `reason`.
  void stop(const std::string& reason) {
    std::deque<std::shared_ptr<job_ticket>> q;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stop_reason_ = reason;
      q.swap(queue_);
      cv_.notify_all();
    }
    for (auto& t : q)
      t->done.set_value({0, false, reason, {}});
  }

private:
  caf::actor driver_;
  std::chrono::milliseconds warn_every_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<job_ticket>> queue_;
  int32_t cores_ = 0;
  std::string stop_reason_;
};

/// The driver's link to its master (see "the master link" below).
struct master_link {
  std::optional<std::chrono::steady_clock::time_point> lost_at;  ///< set while the master is lost
  bool connecting = false;     ///< a connection attempt is in flight
  bool reregistering = false;  ///< an application_reregistered is in flight
  int32_t attempts = 0;
};

struct driver_state {
  static inline const char* name = "driver";
  driver_options opts;
  master_link link;
  app_id app;
  std::unique_ptr<dag_scheduler> dag;
  std::shared_ptr<driver_bridge> bridge;
  std::map<executor_id, caf::actor> executors;
  std::map<executor_id, std::string> peer_addresses;  // where each executor serves blocks
  // Addresses every executor was told (executors holding map outputs or cached
  // blocks), and holders to tell at the next dispatch (see announce_peers).
  std::map<executor_id, std::string> announced_peers, unannounced_peers;
  std::map<executor_id, std::chrono::steady_clock::time_point> last_seen;
  // Executors this driver dropped: never trusted again. Whatever they send
  // later (results of dead attempts, heartbeats, a re-registration) is
  // ignored and answered with stop_executor.
  std::map<executor_id, caf::actor> lost_executors;
  std::map<executor_id, int64_t> ignored_from_lost;  // messages ignored per lost executor
  std::map<job_id, std::shared_ptr<job_ticket>> tickets;
  std::thread app_thread;
  std::unique_ptr<driver_web> web;                    // driver.ui-port
  std::unique_ptr<status::event_log_writer> eventlog; // eventlog.dir
  bool stopping = false;
  bool dispatch_queued = false;

  /// Fails queued, running and future actions of the application with `reason`.
  void fail_pending(const std::string& reason) {
    if (bridge)
      bridge->stop(reason);
    for (auto& [id, t] : tickets)
      t->done.set_value({id, false, reason, {}});
    tickets.clear();
  }

  ~driver_state() {
    // Fail what the application thread waits for before joining it.
    fail_pending("driver stopped");
    if (app_thread.joinable())
      app_thread.join();
  }
};

using self_ptr = caf::stateful_actor<driver_state>*;

// -- the UI's model and the event log ---------------------------------------------

/// Feeds an event to the application's model and, once it is complete, to the event log.
void record(self_ptr self, status::event e) {
  auto& st = self->state;
  if (!st.opts.model || !st.opts.model->apply(e))
    return;
  if (st.eventlog)
    st.eventlog->write(e);
}

/// Records the stages the scheduler submitted or completed since the last call.
void record_stage_events(self_ptr self) {
  for (auto& se : self->state.dag->take_stage_events()) {
    status::event e;
    e.kind = se.submitted ? status::event_kind::stage_submitted : status::event_kind::stage_completed;
    e.stage = se.stage;
    e.attempt = se.attempt;
    e.num_tasks = se.tasks;
    e.name = se.map ? "shuffle map stage " + std::to_string(se.stage) : "result stage " + std::to_string(se.stage);
    e.ok = se.ok;
    e.reason = se.reason;
    record(self, std::move(e));
  }
}

void record_task_end(self_ptr self, task_id task, const std::string& reason, const task_counters& counters = {}) {
  status::event e;
  e.kind = status::event_kind::task_end;
  e.task = task;
  e.reason = reason;
  e.metrics = status::metrics_from(counters);
  record(self, std::move(e));
}

/// The application is registered: its event log opens with its start.
void start_event_log(self_ptr self) {
  auto& st = self->state;
  if (!st.opts.eventlog_dir.empty() && !st.eventlog) {
    auto w = std::make_unique<status::event_log_writer>();
    std::string error;
    if (w->open(st.opts.eventlog_dir, st.app, error)) {
      log::driver()->info("event log app={} file={}", st.app, w->path());
      st.eventlog = std::move(w);
    } else {
      log::driver()->warn("no event log app={}: {}", st.app, error);
    }
  }
  status::event e;
  e.kind = status::event_kind::app_start;
  e.app_id = st.app;
  e.app_name = st.opts.desc.name;
  e.environment = st.opts.environment;
  record(self, std::move(e));
}

/// Starts the driver's UI before registering, so the master learns its URL.
void start_web(self_ptr self) {
  auto& st = self->state;
  if (!st.opts.ui || !st.opts.model)
    return;
  std::string error;
  st.web = driver_web::start(st.opts.model, *st.opts.ui, error);
  if (!st.web) {
    log::driver()->warn("no driver UI: {}", error);
    return;
  }
  st.opts.desc.ui_url = st.web->url();
  log::driver()->info("driver UI url={}", st.opts.desc.ui_url);
  // Where a person looks first, as Spark prints "started SparkUI at ...".
  std::fprintf(stderr, "driver UI at %s\n", st.opts.desc.ui_url.c_str());
}

/// Tells every executor where the executors that came to hold blocks since the
/// last call serve them, before dispatch sends any task that could read them.
/// Only holders are announced, once: telling every executor every address on
/// each registration cost O(E^3) bytes (1,000 executors: gigabytes, whose
/// encoding kept the middleman busy past network.timeout, and the connection
/// to the master dropped).
void announce_peers(self_ptr self) {
  auto& st = self->state;
  if (st.unannounced_peers.empty())
    return;
  executor_peers news{std::move(st.unannounced_peers)};
  st.unannounced_peers.clear();
  for (auto& [id, addr] : news.addresses)
    st.announced_peers[id] = addr;
  for (auto& [id, e] : st.executors)
    self->send(e, news);
}

void dispatch(self_ptr self) {
  auto& st = self->state;
  announce_peers(self);
  for (auto& t : st.dag->schedule()) {
    record_stage_events(self);
    status::event started;
    started.kind = status::event_kind::task_start;
    started.task = t.id;
    started.stage = t.stage;
    started.partition = t.partition;
    started.executor = t.executor;
    record(self, std::move(started));
    auto it = st.executors.find(t.executor);
    if (it != st.executors.end())
      self->send(it->second, launch_task{t.id, std::move(t.payload)});
  }
  for (auto& [exec, task] : st.dag->take_kills()) {
    record_task_end(self, task, "killed");
    auto it = st.executors.find(exec);
    if (it != st.executors.end())
      self->send(it->second, kill_task{task});
  }
  record_stage_events(self);
  for (auto& done : st.dag->take_finished()) {
    status::event ended;
    ended.kind = status::event_kind::job_end;
    ended.job = done.id;
    ended.ok = done.ok;
    ended.reason = done.error;
    record(self, std::move(ended));
    auto it = st.tickets.find(done.id);
    if (it == st.tickets.end())
      continue;
    if (!done.ok)
      log::driver()->warn("job failed app={} job={} error={}", st.app, done.id, done.error);
    it->second->done.set_value(std::move(done));
    st.tickets.erase(it);
  }
}

/// Dispatches once the events already in the mailbox are handled, so that a
/// burst of task results costs one scheduling pass.
void dispatch_soon(self_ptr self) {
  if (self->state.dispatch_queued)
    return;
  self->state.dispatch_queued = true;
  self->send(self, dispatch_v);
}

/// Ends the application: tells the master and the executors, then quits.
void finish(self_ptr self, int code, const std::string& error) {
  auto& st = self->state;
  if (st.stopping)
    return;
  st.stopping = true;
  {
    std::lock_guard<std::mutex> guard{st.opts.outcome->mtx};
    st.opts.outcome->exit_code = code;
    st.opts.outcome->error = error;
  }
  st.fail_pending(error.empty() ? "application finished" : error);
  status::event ended;
  ended.kind = status::event_kind::app_end;
  ended.ok = code == 0;
  ended.reason = error;
  record(self, std::move(ended));
  if (st.eventlog)
    st.eventlog->close();
  if (!st.app.empty())
    self->send(st.opts.master, unregister_application{st.app, code == 0 ? app_state::finished : app_state::failed});
  for (auto& [id, e] : st.executors)
    self->send(e, stop_executor{"application finished"});
  log::driver()->info("application done app={} exit={} {}", st.app, code, error);
  self->quit();
}

/// The application dropped its last handle on shuffles or cached nodes: the
/// scheduler forgets them and every executor drops their blocks (before,
/// they stayed until the application ended).
void drop_unreachable_blocks(self_ptr self, const drop_blocks& d) {
  auto& st = self->state;
  drop_blocks out;
  for (auto s : d.shuffles)
    if (st.dag->forget_shuffle(s))
      out.shuffles.push_back(s);
  for (auto n : d.cached_nodes) {
    st.dag->forget_cached(n);
    out.cached_nodes.push_back(n);
  }
  if (out.shuffles.empty() && out.cached_nodes.empty())
    return;
  log::driver()->debug("dropping blocks of {} shuffles and {} cached nodes", out.shuffles.size(),
                       out.cached_nodes.size());
  for (auto& [id, e] : st.executors)
    self->send(e, out);
}

void lose_executor(self_ptr self, const executor_id& exec, const std::string& why) {
  auto& st = self->state;
  auto it = st.executors.find(exec);
  if (it == st.executors.end())
    return;
  // Remembered, not told yet: a frozen executor that wakes up always speaks
  // first (its heartbeat timer is overdue), and the answer to whatever it
  // says is stop_executor (from_lost_executor). A dead one hears nothing.
  st.lost_executors[exec] = it->second;
  st.executors.erase(it);
  st.peer_addresses.erase(exec);
  st.announced_peers.erase(exec);
  st.unannounced_peers.erase(exec);
  st.last_seen.erase(exec);
  auto loss = st.dag->remove_executor(exec);
  for (auto t : loss.lost_tasks)
    record_task_end(self, t, "lost");
  status::event removed;
  removed.kind = status::event_kind::executor_removed;
  removed.executor = exec;
  removed.reason = why;
  record(self, std::move(removed));
  log::driver()->warn("executor lost app={} exec={} reason={} running_tasks_lost={} map_outputs_lost={}", st.app,
                      exec, why, loss.lost_tasks.size(), loss.lost_outputs);
  st.bridge->set_cores(st.dag->total_cores());
  dispatch(self);
}

/// How often the driver looks for silent executors: a frozen one is lost at
/// most this long after executor.heartbeat-timeout.
std::chrono::milliseconds tick_period(std::chrono::milliseconds timeout) {
  return std::min<std::chrono::milliseconds>(timeout / 4, std::chrono::milliseconds(250));
}

/// True (and the message is dropped, the sender told to stop) when `exec`
/// is an executor this driver already counted as lost.
bool from_lost_executor(self_ptr self, const executor_id& exec, const char* what, const caf::actor& sender = {}) {
  auto& st = self->state;
  auto it = st.lost_executors.find(exec);
  if (it == st.lost_executors.end())
    return false;
  auto n = ++st.ignored_from_lost[exec];
  // The first few are logged; a flood of heartbeats is not.
  if (n <= 5)
    log::driver()->warn("ignored {} from lost executor app={} exec={}; telling it to stop", what, st.app, exec);
  auto to = sender ? sender : it->second;
  if (to)
    self->send(to, stop_executor{"the driver counted this executor as lost and never trusts it again"});
  return true;
}

// -- the master link ----------------------------------------------------------------
// A driver that loses its master keeps running its jobs (tasks and results
// never go through the master), reaches the master's address again with
// backoff, and registers its application under the same id; it gives up
// only after driver.master-reconnect-timeout.

using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
constexpr reconnect_atom reconnect_v{};

int64_t lost_for_ms(const driver_state& st) {
  if (!st.link.lost_at)
    return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - *st.link.lost_at)
    .count();
}

/// Above every executor id this driver knows, so that a master that lost count does not reuse one.
int32_t next_executor_hint(const driver_state& st) {
  int32_t next = 0;
  for (auto& [id, e] : st.executors)
    next = std::max(next, executor_number(id) + 1);
  return next;
}

void schedule_reconnect(self_ptr self) {
  auto& st = self->state;
  // Backoff as at start-up: 50 ms doubling to 1 s.
  auto pause = std::min<int64_t>(int64_t{50} << std::min(st.link.attempts, 5), 1000);
  ++st.link.attempts;
  self->delayed_send(self, std::chrono::milliseconds(pause), reconnect_v);
}

void master_lost(self_ptr self, const std::string& why);
void start_app(self_ptr self);

/// Registers the application with the master in opts.master for the first
/// time. A master that goes away meanwhile is reached again (master_lost);
/// any other refusal ends the driver.
void register_app(self_ptr self) {
  auto& st = self->state;
  st.link.reregistering = true;
  auto master = st.opts.master;
  self->request(master, std::chrono::milliseconds(st.opts.register_timeout_ms), register_application{st.opts.desc, self})
    .then(
      [self](const registered_application& r) {
        auto& st = self->state;
        st.link.reregistering = false;
        st.link.lost_at.reset();
        st.link.attempts = 0;
        st.app = r.app;
        {
          std::lock_guard<std::mutex> guard{st.opts.outcome->mtx};
          st.opts.outcome->app = r.app;
        }
        log::driver()->info("application registered app={} name={}", r.app, st.opts.desc.name);
        start_event_log(self);
        start_app(self);
      },
      [self, master](caf::error& err) {
        auto& st = self->state;
        st.link.reregistering = false;
        if (st.opts.master_port != 0 && err == caf::sec::request_receiver_down) {
          if (st.opts.master == master)
            master_lost(self, self->system().render(err));
          return;
        }
        finish(self, 1, "cannot register the application with the master: " + self->system().render(err));
      });
}

/// Registers the application again with the master now in opts.master.
void reregister(self_ptr self) {
  auto& st = self->state;
  if (st.link.reregistering || st.stopping || !st.opts.master)
    return;
  if (st.app.empty()) {
    register_app(self);  // it went away before the first registration was answered
    return;
  }
  st.link.reregistering = true;
  auto master = st.opts.master;
  application_reregistered msg{st.app, st.opts.desc, self, next_executor_hint(st)};
  self->request(master, std::chrono::milliseconds(st.opts.register_timeout_ms), std::move(msg))
    .then(
      [self](const registered_application& r) {
        auto& st = self->state;
        st.link.reregistering = false;
        log::driver()->warn("application re-registered app={} with the master after {} ms", r.app, lost_for_ms(st));
        st.link.lost_at.reset();
        st.link.attempts = 0;
      },
      [self, master](caf::error& err) {
        auto& st = self->state;
        st.link.reregistering = false;
        if (err == caf::sec::invalid_argument) {  // the master refused: it ended the application
          finish(self, 1, "the master refused the application again: " + self->system().render(err));
          return;
        }
        log::driver()->warn("re-registration of app={} failed: {}", st.app, self->system().render(err));
        if (st.opts.master == master && st.link.lost_at)
          schedule_reconnect(self);
      });
}

/// A master handle to use from now on (reconnected, or told by master_changed).
void master_changed_to(self_ptr self, const caf::actor& master, const std::string& url) {
  auto& st = self->state;
  if (!master || st.stopping)
    return;
  if (st.opts.master == master && !st.link.lost_at)
    return;  // already registered with it
  if (st.opts.master && st.opts.master != master)
    self->demonitor(st.opts.master);
  if (st.opts.master != master)
    self->monitor(master);
  st.opts.master = master;
  if (!st.link.lost_at)
    st.link.lost_at = std::chrono::steady_clock::now();
  log::driver()->info("master is {}: registering app={} again", url, st.app);
  reregister(self);
}

void reconnect_master(self_ptr self) {
  auto& st = self->state;
  if (!st.link.lost_at || st.stopping || st.link.connecting)
    return;
  if (st.opts.master && st.link.reregistering)
    return;
  auto lost = lost_for_ms(st);
  // Before its first registration a driver waits no longer than driver.register-timeout.
  auto limit = st.app.empty() ? st.opts.register_timeout_ms : st.opts.master_reconnect_timeout_ms;
  if (lost > limit) {
    finish(self, 1, "lost the connection to the master for " + std::to_string(lost) + " ms");
    return;
  }
  st.link.connecting = true;
  auto timeout = std::chrono::milliseconds(std::max(st.opts.master_reconnect_timeout_ms / 10, 500));
  connect_async(
    self, st.opts.master_host, st.opts.master_port, timeout,
    [self](caf::actor master) {
      auto& st = self->state;
      st.link.connecting = false;
      if (!master) {
        schedule_reconnect(self);
        return;
      }
      master_changed_to(self, master, "troupe://" + st.opts.master_host + ":" + std::to_string(st.opts.master_port));
    },
    [self](caf::error&) {
      self->state.link.connecting = false;
      schedule_reconnect(self);
    });
}

/// The master's actor went down: keep going, and reach it again.
void master_lost(self_ptr self, const std::string& why) {
  auto& st = self->state;
  if (st.opts.master_port == 0) {
    // In-process master (local mode): nothing to reach again.
    finish(self, 1, "lost the connection to the master");
    return;
  }
  if (st.stopping || (!st.opts.master && st.link.lost_at))
    return;  // already reconnecting (the DOWN and a failed request both tell)
  st.opts.master = nullptr;
  st.link.reregistering = false;
  if (!st.link.lost_at)
    st.link.lost_at = std::chrono::steady_clock::now();
  log::driver()->warn("lost the master ({}); app={} keeps running, reconnecting to {}:{} for up to {} ms", why, st.app,
                      st.opts.master_host, st.opts.master_port, st.opts.master_reconnect_timeout_ms);
  st.link.attempts = 0;
  schedule_reconnect(self);
}

void start_app(self_ptr self) {
  auto& st = self->state;
  const app_entry* entry = find_app(st.opts.desc.name);
  if (entry == nullptr) {
    finish(self, 2, "unknown application '" + st.opts.desc.name + "'");
    return;
  }
  auto bridge = st.bridge;
  auto args = st.opts.desc.args;
  auto ctx_opts = st.opts.ctx;
  caf::actor me = self;
  try {
    st.app_thread = std::thread([entry, bridge, args, ctx_opts, me] {
      int code = 0;
      std::string error;
      try {
        context ctx(*bridge, ctx_opts);
        code = entry->main(ctx, args);
        if (code != 0)
          error = "application exited with status " + std::to_string(code);
      } catch (const job_failed& e) {
        code = 1;
        error = std::string("job failed: ") + e.what();
      } catch (const std::exception& e) {
        code = 1;
        error = e.what();
      } catch (...) {
        code = 1;
        error = "the application threw an unknown exception";
      }
      caf::anon_send(me, done_v, code, error);
    });
  } catch (const std::exception& e) {
    // No thread for the application (the machine refused one): fail it, never std::terminate.
    finish(self, 1, std::string("cannot start the application's thread: ") + e.what());
  }
}

} // namespace

/// The UI, event log and environment part of a driver's options.
void add_status_options(driver_options& d, const settings& s) {
  d.model = std::make_shared<status::app_status>();
  d.eventlog_dir = s.eventlog_dir;
  d.environment["app"] = s.app;
  std::string args;
  for (auto& a : s.app_args)
    args += (args.empty() ? "" : " ") + a;
  d.environment["app.args"] = args;
  d.environment["master"] = s.master.text;
  d.environment["driver.host"] = s.host;
  auto conf = to_conf_args(s);
  for (size_t i = 0; i + 1 < conf.size(); i += 2)
    if (auto eq = conf[i + 1].find('='); eq != std::string::npos)
      d.environment[conf[i + 1].substr(0, eq)] = conf[i + 1].substr(eq + 1);
  if (s.driver_ui_port == 0)
    return;
  http::server_options ui;
  std::string error;
  if (!http_options_from(s, "driver-ui", static_cast<uint16_t>(s.driver_ui_port), 16, ui, error)) {
    log::driver()->warn("no driver UI: {}", error);
    return;
  }
  d.ui = ui;
}

driver_options driver_options_from(const settings& s, const driver_id& id) {
  driver_options d;
  d.desc.name = s.app;
  d.desc.args = s.app_args;
  d.desc.conf = s.conf;
  d.desc.cores_max = s.total_executor_cores;
  d.desc.executor_cores = s.executor_cores;
  d.desc.executor_memory_mb = s.executor_memory_mb;
  d.desc.submit_host = host_name();
  d.desc.driver_host = s.host;
  d.desc.driver = id;
  d.ctx = {s.default_parallelism, s.split_size_bytes};
  d.max_failures = s.task_max_failures;
  d.extra_tasks = s.extra_tasks_per_executor;
  d.executor_timeout_ms = s.executor_heartbeat_timeout_ms;
  d.sched.stage_max_attempts = s.stage_max_attempts;
  d.sched.speculation = s.speculation;
  d.sched.speculation_rules.multiplier = s.speculation_multiplier;
  d.sched.speculation_rules.quantile = s.speculation_quantile;
  d.speculation_interval_ms = s.speculation_interval_ms;
  d.register_timeout_ms = s.driver_register_timeout_ms;
  d.executor_wait_warning_ms = s.driver_executor_wait_ms;
  if (s.master.kind == master_kind::remote) {
    d.master_host = s.master.host;
    d.master_port = s.master.port;
  }
  d.master_reconnect_timeout_ms = s.driver_master_reconnect_ms;
  d.outcome = std::make_shared<driver_outcome>();
  add_status_options(d, s);
  return d;
}

caf::actor spawn_driver(caf::actor_system& sys, driver_options opts) {
  return sys.spawn([opts](self_ptr self) -> caf::behavior {
    auto& st = self->state;
    st.opts = opts;
    st.dag = std::make_unique<dag_scheduler>(opts.max_failures, &std::chrono::steady_clock::now, opts.sched);
    st.bridge = std::make_shared<driver_bridge>(caf::actor{self}, std::chrono::milliseconds(opts.executor_wait_warning_ms));
    self->set_default_handler([](caf::scheduled_actor*, caf::message_view& m) -> caf::result<caf::message> {
      log::driver()->warn("unexpected message ignored: {}", caf::to_string(m.copy_content_to_message()));
      return caf::sec::unexpected_message;
    });
    self->set_down_handler([self](caf::down_msg& dm) {
      auto& st = self->state;
      if (st.opts.master && dm.source == st.opts.master.address()) {
        master_lost(self, self->system().render(dm.reason));
        return;
      }
      for (auto& [id, e] : st.executors)
        if (e.address() == dm.source) {
          auto exec = id;
          lose_executor(self, exec, "executor actor down: " + self->system().render(dm.reason));
          return;
        }
    });
    self->monitor(opts.master);
    // Executors connect here directly: tasks and results never go through the master.
    auto port = publish_guarded(self->system(), caf::actor{self}, 0, opts.desc.driver_host);
    if (!port) {
      finish(self, 1, "the driver cannot listen on " + opts.desc.driver_host + ": " + self->system().render(port.error()));
      return {};
    }
    st.opts.desc.driver_port = *port;
    auto timeout = std::chrono::milliseconds(std::max(opts.executor_timeout_ms, 100));
    self->delayed_send(self, tick_period(timeout), tick_v);
    if (opts.sched.speculation)
      self->delayed_send(self, std::chrono::milliseconds(std::max(opts.speculation_interval_ms, 1)), speculate_v);
    start_web(self);
    register_app(self);
    return {
      [=](wake_atom) {
        auto& st = self->state;
        for (auto& t : st.bridge->take_jobs()) {
          if (st.stopping) {
            t->done.set_value({0, false, "driver is stopping", {}});
            continue;
          }
          auto description = t->req.description;
          auto id = st.dag->submit_job(t->req);
          status::event started;
          started.kind = status::event_kind::job_start;
          started.job = id;
          started.name = description;
          for (auto s : st.dag->stages_of(id))
            started.stage_ids.push_back(s);
          record(self, std::move(started));
          record_stage_events(self);
          st.tickets[id] = std::move(t);
        }
        dispatch(self);
      },
      [=](register_executor& r) {
        auto& st = self->state;
        if (st.stopping) {
          self->send(r.executor, stop_executor{"application finished"});
          return;
        }
        if (from_lost_executor(self, r.exec, "a re-registration", r.executor))
          return;
        st.executors[r.exec] = r.executor;
        st.last_seen[r.exec] = std::chrono::steady_clock::now();
        st.peer_addresses[r.exec] = r.host + ":" + std::to_string(r.port);
        self->monitor(r.executor);
        // Every executor learns where the others serve their blocks before
        // any task that could read from them: the new one learns the holders
        // now, everyone learns new holders in dispatch (announce_peers).
        st.announced_peers.erase(r.exec);
        if (!st.announced_peers.empty())
          self->send(r.executor, executor_peers{st.announced_peers});
        st.dag->add_executor(r.exec, r.cores, st.opts.extra_tasks);
        status::event added;
        added.kind = status::event_kind::executor_added;
        added.executor = r.exec;
        added.host_port = r.host + ":" + std::to_string(r.port);
        added.cores = r.cores;
        record(self, std::move(added));
        st.bridge->set_cores(st.dag->total_cores());
        log::driver()->info("executor registered app={} exec={} host={} cores={}", st.app, r.exec, r.host, r.cores);
        dispatch(self);
      },
      // Executors take the application library from here before they register.
      [=](const request_app_library&) { return offer_app_library(); },
      [=](const fetch_library& f) { return serve_library_chunk(f); },
      [=](const executor_heartbeat& hb) {
        if (from_lost_executor(self, hb.exec, "a heartbeat",
                               caf::actor_cast<caf::actor>(self->current_sender())))
          return;
        auto it = self->state.last_seen.find(hb.exec);
        if (it != self->state.last_seen.end())
          it->second = std::chrono::steady_clock::now();
      },
      [=](tick_atom) {
        auto& st = self->state;
        auto now = std::chrono::steady_clock::now();
        auto timeout = std::chrono::milliseconds(std::max(st.opts.executor_timeout_ms, 100));
        std::vector<executor_id> silent;
        for (auto& [id, t] : st.last_seen)
          if (now - t > timeout)
            silent.push_back(id);
        for (auto& id : silent)
          lose_executor(self, id, "no heartbeat for " + std::to_string(st.opts.executor_timeout_ms)
                                    + " ms (executor.heartbeat-timeout)");
        self->delayed_send(self, tick_period(timeout), tick_v);
      },
      [=](speculate_atom) {
        auto& st = self->state;
        if (!st.dag->check_speculation().empty())
          dispatch(self);
        self->delayed_send(self, std::chrono::milliseconds(std::max(st.opts.speculation_interval_ms, 1)),
                           speculate_v);
      },
      [=](const executor_added& a) {
        log::driver()->info("executor added app={} exec={} worker={} host={} cores={}", self->state.app, a.exec,
                            a.worker, a.host, a.cores);
      },
      [=](const executor_removed& r) { lose_executor(self, r.exec, r.message); },
      [=](const drop_blocks& d) { drop_unreachable_blocks(self, d); },
      [=](task_finished& t) {
        if (from_lost_executor(self, t.exec, "a task result"))
          return;
        log::driver()->debug("task finished app={} task={} exec={}", self->state.app, t.task, t.exec);
        auto& st = self->state;
        if ((!t.map_sizes.empty() || !t.cached_nodes.empty()) && st.announced_peers.count(t.exec) == 0)
          if (auto a = st.peer_addresses.find(t.exec); a != st.peer_addresses.end())
            st.unannounced_peers[t.exec] = a->second;
        record_task_end(self, t.task, "success", t.counters);
        std::vector<std::pair<node_id, int32_t>> cached;
        for (size_t i = 0; i < t.cached_nodes.size() && i < t.cached_parts.size(); ++i)
          cached.emplace_back(t.cached_nodes[i], t.cached_parts[i]);
        self->state.dag->task_succeeded(t.task, std::move(t.result), std::move(t.map_sizes), std::move(cached));
        dispatch_soon(self);
      },
      [=](const task_failed& t) {
        if (from_lost_executor(self, t.exec, "a task failure"))
          return;
        log::driver()->info("task failed app={} task={} exec={} error={}", self->state.app, t.task, t.exec, t.error);
        std::optional<fetch_failure_info> fetch;
        if (t.fetch_failed)
          fetch = fetch_failure_info{t.shuffle, t.map_partition, t.map_executor};
        record_task_end(self, t.task, "failed", t.counters);
        self->state.dag->task_failed(t.task, t.error, fetch);
        dispatch_soon(self);
      },
      [=](const master_changed& m) { master_changed_to(self, m.master, m.url); },
      [=](reconnect_atom) { reconnect_master(self); },
      [=](const application_state_changed& c) {
        if (is_finished(c.state))
          finish(self, 1, "the master ended the application (" + std::string(to_string(c.state)) + "): " + c.message);
      },
      [=](dispatch_atom) {
        self->state.dispatch_queued = false;
        dispatch(self);
      },
      [=](done_atom, int code, const std::string& error) { finish(self, code, error); },
      // No alive worker can host its executors: say so where the submitter sees it.
      [=](const application_waiting& w) {
        log::driver()->warn("application {} is waiting for executors: {}", w.app, w.message);
      },
    };
  });
}

} // namespace troupe
