#include "actors/worker.hpp"

#include "actors/driver.hpp"
#include "actors/executor.hpp"
#include "actors/library_transfer.hpp"
#include "actors/protocol.hpp"
#include "actors/publish.hpp"
#include "runtime/app_library.hpp"
#include "runtime/log.hpp"
#include "runtime/node_command.hpp"
#include "runtime/process.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

namespace troupe {

namespace {

using clock = std::chrono::steady_clock;

/// An executor or driver this worker runs, as a child process or an actor.
struct child {
  bool is_driver = false;
  app_id app;            // executors
  executor_id exec;      // executors
  driver_id driver;      // drivers
  int32_t cores = 0;     // executors: what the master granted, reported when registering again
  int64_t memory_mb = 0;
  pid_t pid = 0;         // process isolation
  caf::actor handle;     // thread isolation
  std::string dir;
  bool killed = false;
  std::shared_ptr<driver_outcome> outcome;  // colocated drivers
};

/// A child process told to stop and not yet reaped.
struct stopping_child {
  pid_t pid = 0;
  clock::time_point deadline;  // SIGKILL after this
  bool killed = false;         // SIGKILL sent
};

struct worker_state {
  static inline const char* name = "worker";
  worker_options opts;
  caf::actor master;
  bool registered = false;
  bool ever_registered = false;   // a master knew this worker: a lost one is waited for longer
  std::vector<running_driver> unreported;  // drivers that ended while there was no master to tell
  clock::time_point started = clock::now();
  std::vector<child> children;
  std::vector<stopping_child> stopping;
};

using self_ptr = caf::stateful_actor<worker_state>*;

void connect_and_register(self_ptr self);
void forget_children(self_ptr self, const std::string& why, spdlog::level::level_enum level);
void quit_after_children(self_ptr self, caf::error reason);

void register_with_master(self_ptr self) {
  auto& st = self->state;
  auto& o = st.opts;
  register_worker reg{o.id, o.host, o.port, o.cores, o.memory_mb, o.work_dir, self};
  // What still runs here (the master that knew it may be gone): the master
  // adopts what it expects and has the rest killed.
  for (auto& c : st.children) {
    if (c.killed)
      continue;
    if (c.is_driver)
      reg.drivers.push_back({c.driver, driver_state::running, ""});
    else
      reg.executors.push_back({c.app, c.exec, c.cores, c.memory_mb});
  }
  reg.drivers.insert(reg.drivers.end(), st.unreported.begin(), st.unreported.end());
  auto reported = st.unreported.size();
  self->request(st.master, std::chrono::milliseconds(o.ask_timeout_ms), std::move(reg))
    .then(
      [=](const registered_worker& r) {
        auto& st = self->state;
        st.registered = true;
        st.ever_registered = true;
        st.unreported.erase(st.unreported.begin(),
                            st.unreported.begin() + static_cast<ptrdiff_t>(std::min(reported, st.unreported.size())));
        log::worker()->info("registered with master url={} id={} executors={} drivers={}", r.master_url, st.opts.id,
                            st.children.size(), reported);
      },
      [=](caf::error& err) {
        log::worker()->warn("registration failed id={}: {}", self->state.opts.id, self->system().render(err));
        self->delayed_send(self, std::chrono::milliseconds(self->state.opts.register_retry_ms), wake_v);
      });
}

/// Reaches the master (by address when it is remote), then registers.
void connect_and_register(self_ptr self) {
  auto& st = self->state;
  if (st.opts.master_port == 0) {
    st.master = st.opts.master;
    self->monitor(st.master);
    register_with_master(self);
    return;
  }
  connect_async(
    self, st.opts.master_host, st.opts.master_port, std::chrono::milliseconds(st.opts.connect_timeout_ms),
    [=](caf::actor master) {
      self->state.master = std::move(master);
      if (!self->state.master) {
        self->delayed_send(self, std::chrono::milliseconds(self->state.opts.reconnect_delay_ms), wake_v);
        return;
      }
      self->monitor(self->state.master);
      register_with_master(self);
    },
    [=](caf::error& err) {
      auto& st = self->state;
      auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - st.started).count();
      auto limit = st.ever_registered ? st.opts.master_reconnect_timeout_ms : st.opts.register_timeout_ms;
      if (!st.registered && waited > limit) {
        log::worker()->error("cannot reach the master at {}:{} after {} ms: {}", st.opts.master_host,
                             st.opts.master_port, waited, self->system().render(err));
        if (st.children.empty()) {
          self->quit(caf::sec::cannot_connect_to_node);
          return;
        }
        forget_children(self, "the master did not come back", spdlog::level::warn);
        quit_after_children(self, caf::sec::cannot_connect_to_node);
        return;
      }
      // Retry with a short backoff: workers usually start with their master.
      self->delayed_send(self, std::chrono::milliseconds(std::min<int64_t>(100 + waited / 4, 1000)), wake_v);
    });
}

void report_executor(self_ptr self, const child& c, executor_state state, const std::string& message,
                     int32_t status = 0) {
  if (self->state.master)
    self->send(self->state.master, executor_state_changed{c.app, c.exec, state, message, status});
}

void report_driver(self_ptr self, const child& c, driver_state state, const std::string& message) {
  if (self->state.master)
    self->send(self->state.master, driver_state_changed{c.driver, state, message, self->state.opts.id});
  else if (is_finished(state))
    self->state.unreported.push_back({c.driver, state, message});  // told when registering again
}

/// Reports a child that ended and forgets it.
void child_ended(self_ptr self, size_t index, bool ok, const std::string& how) {
  auto c = self->state.children[index];
  self->state.children.erase(self->state.children.begin() + static_cast<ptrdiff_t>(index));
  if (c.is_driver) {
    auto state = c.killed ? driver_state::killed : ok ? driver_state::finished : driver_state::failed;
    log::worker()->info("driver ended id={} state={} {}", c.driver, to_string(state), how);
    report_driver(self, c, state, how);
  } else {
    auto state = c.killed ? executor_state::killed : ok ? executor_state::exited : executor_state::failed;
    log::worker()->info("executor ended app={} exec={} state={} {}", c.app, c.exec, to_string(state), how);
    report_executor(self, c, state, how);
  }
}

std::string make_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  return ec ? "cannot create " + dir + ": " + ec.message() : std::string{};
}

void launch_executor_here(self_ptr self, launch_executor& l) {
  auto& st = self->state;
  child c;
  c.app = l.app;
  c.exec = l.exec;
  c.dir = std::filesystem::absolute(st.opts.work_dir + "/" + l.app + "/" + l.exec).string();
  if (auto err = make_dir(c.dir); !err.empty()) {
    report_executor(self, c, executor_state::failed, err);
    return;
  }
  if (st.opts.executor_isolation == isolation::thread) {
    // The settings a child process would get: the worker's, then the app's conf.
    auto es = st.opts.base;
    for (auto& [k, v] : l.desc.conf)
      if (auto err = apply_conf(es, k, v); !err.empty())
        log::worker()->warn("executor app={} exec={}: {}", l.app, l.exec, err);
    es.host = st.opts.host;
    auto eo = executor_options_from(es);
    eo.app = l.app;
    eo.id = l.exec;
    eo.cores = l.cores;
    eo.memory_mb = l.memory_mb;
    eo.dir = c.dir;
    eo.driver_host = l.desc.driver_host;
    eo.driver_port = l.desc.driver_port;
    eo.owner = self;
    c.handle = spawn_executor(self->system(), eo);
    self->monitor(c.handle);
  } else {
    auto argv = executor_command(st.opts.base, {l.app, l.exec, st.opts.host, l.cores, l.memory_mb, c.dir,
                                                l.desc.driver_host, l.desc.driver_port, l.desc.conf});
    try {
      c.pid = start_process(argv, c.dir + "/stdout", c.dir + "/stderr");
    } catch (const std::exception& e) {
      report_executor(self, c, executor_state::failed, e.what());
      return;
    }
  }
  c.cores = l.cores;
  c.memory_mb = l.memory_mb;
  log::worker()->info("executor launched app={} exec={} cores={} pid={}", l.app, l.exec, l.cores, c.pid);
  report_executor(self, c, executor_state::running, "");
  st.children.push_back(std::move(c));
}

void launch_driver_here(self_ptr self, launch_driver& l) {
  auto& st = self->state;
  child c;
  c.is_driver = true;
  c.driver = l.driver;
  c.dir = std::filesystem::absolute(st.opts.work_dir + "/" + l.driver).string();
  if (auto err = make_dir(c.dir); !err.empty()) {
    report_driver(self, c, driver_state::failed, err);
    return;
  }
  // A library submitted with the driver: into the cache by hash, then run from there.
  if (auto err = unpack_driver_library(std::filesystem::absolute(st.opts.work_dir).string(), l.desc); !err.empty()) {
    report_driver(self, c, driver_state::failed, err);
    return;
  }
  if (st.opts.driver_isolation == isolation::thread) {
    // One thread's stdout cannot be told apart from the process's: leave a
    // marker so that `troupe logs` says where the output went.
    std::ofstream(c.dir + "/in-worker-process") << "driver output goes to the worker's stdout\n";
    // The settings a driver process would get: the worker's, then the submitter's conf.
    auto ds = st.opts.base;
    if (auto err = apply_conf_args(ds, l.desc.conf_args); !err.empty())
      log::worker()->warn("driver id={}: {}", l.driver, err);
    ds.host = st.opts.host;
    ds.app = l.desc.app;
    ds.app_args = l.desc.args;
    if (names_library(ds.app))
      if (auto err = resolve_library_app(ds.app, ds.app_args); !err.empty()) {
        report_driver(self, c, driver_state::failed, err);
        return;
      }
    auto d = driver_options_from(ds, l.driver);
    d.desc.submit_host = l.desc.submit_host;
    d.master = st.master;
    d.master_host = st.opts.master_host;
    d.master_port = st.opts.master_port;
    c.outcome = d.outcome;
    c.handle = spawn_driver(self->system(), d);
    self->monitor(c.handle);
  } else {
    auto argv = driver_command(st.opts.base, {l.master_url, l.driver, st.opts.host, l.desc.conf_args, l.desc.app,
                                              l.desc.args});
    try {
      c.pid = start_process(argv, c.dir + "/stdout", c.dir + "/stderr", c.dir);
    } catch (const std::exception& e) {
      report_driver(self, c, driver_state::failed, e.what());
      return;
    }
  }
  log::worker()->info("driver launched id={} app={} pid={}", l.driver, l.desc.app, c.pid);
  report_driver(self, c, driver_state::running, "");
  st.children.push_back(std::move(c));
}

void stop_child(self_ptr self, child& c) {
  c.killed = true;
  if (c.pid > 0)
    ::kill(c.pid, SIGTERM);  // reaped by the next tick
  else if (c.handle)
    self->send_exit(c.handle, caf::exit_reason::user_shutdown);
}

/// Stops every executor and driver without reporting them (the master that
/// knew them is gone, has written them off, or was told already).
void forget_children(self_ptr self, const std::string& why, spdlog::level::level_enum level) {
  auto& st = self->state;
  if (!st.children.empty())
    log::worker()->log(level, "stopping {} executors and drivers: {}", st.children.size(), why);
  // Never wait here: a handler that blocks stalls heartbeats and every other
  // message. SIGTERM now; reap_stopping (on ticks) reaps, and SIGKILLs past the grace.
  auto deadline = clock::now() + std::chrono::milliseconds(st.opts.child_stop_grace_ms);
  for (auto& c : st.children) {
    if (c.pid > 0) {
      ::kill(c.pid, SIGTERM);
      st.stopping.push_back({c.pid, deadline, false});
    } else if (c.handle) {
      self->send_exit(c.handle, caf::exit_reason::user_shutdown);
    }
  }
  st.children.clear();
}

/// Reaps stopped children that exited; SIGKILLs those past their grace.
void reap_stopping(self_ptr self) {
  auto& st = self->state;
  auto now = clock::now();
  for (size_t i = 0; i < st.stopping.size();) {
    auto& c = st.stopping[i];
    if (wait_for(c.pid, std::chrono::milliseconds(0))) {
      st.stopping.erase(st.stopping.begin() + static_cast<ptrdiff_t>(i));
      continue;
    }
    if (!c.killed && now >= c.deadline) {
      log::worker()->warn("child pid={} ignored SIGTERM for {} ms: SIGKILL", c.pid, st.opts.child_stop_grace_ms);
      ::kill(c.pid, SIGKILL);
      c.killed = true;
    }
    ++i;
  }
}

/// Quits once every stopped child process is reaped, without blocking:
/// until then the worker only polls its children.
void quit_after_children(self_ptr self, caf::error reason) {
  reap_stopping(self);
  if (self->state.stopping.empty()) {
    self->quit(reason);
    return;
  }
  auto poll = std::chrono::milliseconds(std::max(self->state.opts.stop_poll_ms, 1));
  self->become(
    [=](wake_atom) {
      reap_stopping(self);
      if (self->state.stopping.empty())
        self->quit(reason);
      else
        self->delayed_send(self, poll, wake_v);
    },
    [=](tick_atom) {},  // the heartbeat timer ends here
    [=](stop_atom) {});
  self->delayed_send(self, poll, wake_v);
}

} // namespace

worker_options worker_options_from(const settings& s) {
  worker_options w;
  w.host = s.host;
  w.heartbeat_interval_ms = s.heartbeat_interval_ms;
  w.executor_isolation = s.executor_isolation;
  w.driver_isolation = s.driver_isolation;
  w.base = s;
  w.register_timeout_ms = s.register_timeout_ms;
  w.ask_timeout_ms = s.worker_ask_timeout_ms;
  w.register_retry_ms = s.worker_register_retry_ms;
  w.connect_timeout_ms = s.worker_connect_timeout_ms;
  w.reconnect_delay_ms = s.worker_reconnect_delay_ms;
  w.child_stop_grace_ms = s.worker_child_stop_grace_ms;
  w.master_reconnect_timeout_ms = s.worker_master_reconnect_ms;
  return w;
}

caf::actor spawn_worker(caf::actor_system& sys, worker_options opts) {
  return sys.spawn([opts](self_ptr self) -> caf::behavior {
    self->state.opts = opts;
    self->set_default_handler([](caf::scheduled_actor*, caf::message_view& m) -> caf::result<caf::message> {
      log::worker()->warn("unexpected message ignored: {}", caf::to_string(m.copy_content_to_message()));
      return caf::sec::unexpected_message;
    });
    self->set_down_handler([self](caf::down_msg& dm) {
      auto& st = self->state;
      if (st.master && dm.source == st.master.address()) {
        st.registered = false;
        st.master = nullptr;
        st.started = clock::now();
        if (st.opts.master_port == 0) {  // the master lived in this process: so does everything else
          forget_children(self, "the master was lost", spdlog::level::warn);
          quit_after_children(self, {});
          return;
        }
        // Executors and drivers talk to their drivers, not to the master: they
        // keep running while the master restarts, and the registration tells
        // the next master about them.
        log::worker()->warn("lost the master ({}); keeping {} executors and drivers, registering again",
                            self->system().render(dm.reason), st.children.size());
        self->delayed_send(self, std::chrono::milliseconds(st.opts.reconnect_delay_ms), wake_v);
        return;
      }
      for (size_t i = 0; i < st.children.size(); ++i) {
        auto& c = st.children[i];
        if (c.handle && c.handle.address() == dm.source) {
          bool ok = dm.reason == caf::exit_reason::normal;
          std::string how = dm.reason ? self->system().render(dm.reason) : "";
          if (c.outcome) {
            std::lock_guard<std::mutex> guard{c.outcome->mtx};
            ok = c.outcome->exit_code == 0;
            how = c.outcome->error;
          }
          child_ended(self, i, ok, how);
          return;
        }
      }
    });
    // A published worker registers once deploy tells it its id and port.
    if (!opts.id.empty())
      connect_and_register(self);
    auto interval = std::chrono::milliseconds(opts.heartbeat_interval_ms);
    self->delayed_send(self, interval, tick_v);
    return {
      [=](tick_atom) {
        auto& st = self->state;
        if (st.registered)
          self->send(st.master, worker_heartbeat{st.opts.id});
        reap_stopping(self);
        for (size_t i = 0; i < st.children.size();) {
          auto& c = st.children[i];
          if (c.pid > 0)
            if (auto e = wait_for(c.pid, std::chrono::milliseconds(0))) {
              child_ended(self, i, e->ok(), e->describe());
              continue;
            }
          ++i;
        }
        self->delayed_send(self, interval, tick_v);
      },
      [=](const worker_identity& w) {
        self->state.opts.id = w.id;
        self->state.opts.port = w.port;
        self->state.started = clock::now();
        connect_and_register(self);
      },
      [=](wake_atom) {
        if (self->state.master)
          register_with_master(self);
        else
          connect_and_register(self);
      },
      [=](const reconnect_worker& r) {
        log::worker()->warn("master asks to register again: {}", r.reason);
        // The master wrote this worker off, and with it what ran here.
        forget_children(self, "the master lost track of this worker", spdlog::level::warn);
        self->state.registered = false;
        register_with_master(self);
      },
      [=](const master_changed& m) {
        auto& st = self->state;
        if (!m.master || (st.master == m.master && st.registered))
          return;
        log::worker()->info("the master changed url={}: registering with it", m.url);
        if (st.master && st.master != m.master)
          self->demonitor(st.master);
        if (st.master != m.master)
          self->monitor(m.master);
        st.master = m.master;
        st.registered = false;
        register_with_master(self);
      },
      [=](launch_executor& l) { launch_executor_here(self, l); },
      [=](launch_driver& l) { launch_driver_here(self, l); },
      [=](const kill_executor& k) {
        for (auto& c : self->state.children)
          if (!c.is_driver && c.app == k.app && c.exec == k.exec && !c.killed)
            stop_child(self, c);
      },
      [=](const kill_driver& k) {
        for (auto& c : self->state.children)
          if (c.is_driver && c.driver == k.driver && !c.killed)
            stop_child(self, c);
      },
      [=](const request_driver_logs& r) {
        auto dir = std::filesystem::absolute(self->state.opts.work_dir + "/" + r.driver).string();
        if (!std::filesystem::exists(dir))
          return driver_logs{false, {}, {}, "no logs of " + r.driver + " on this worker"};
        if (std::filesystem::exists(dir + "/in-worker-process"))
          return driver_logs{false, {}, {},
                             r.driver + " ran inside worker " + self->state.opts.id
                               + "'s process (driver.isolation=thread): its output went to that process's stdout"};
        auto n = static_cast<size_t>(std::max<int64_t>(r.max_bytes, 0));
        return driver_logs{true, read_tail(dir + "/stdout", n), read_tail(dir + "/stderr", n), ""};
      },
      [=](stop_atom) {
        auto& st = self->state;
        for (auto& c : st.children) {
          if (c.is_driver)
            report_driver(self, c, driver_state::killed, "its worker stopped");
          else
            report_executor(self, c, executor_state::killed, "its worker stopped");
        }
        forget_children(self, "the worker is stopping", spdlog::level::info);
        if (st.master)
          self->send(st.master, worker_stopping{st.opts.id});
        quit_after_children(self, {});
      },
    };
  });
}

} // namespace troupe
