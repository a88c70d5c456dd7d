#include "actors/worker.hpp"

#include "actors/executor.hpp"
#include "actors/protocol.hpp"
#include "runtime/log.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <set>

namespace troupe {

namespace {

struct running_executor {
  app_id app;
  executor_id exec;
  caf::actor handle;
  bool killed = false;
};

struct worker_state {
  static inline const char* name = "worker";
  worker_options opts;
  bool registered = false;
  std::map<caf::actor_addr, running_executor> executors;
};

using self_ptr = caf::stateful_actor<worker_state>*;

void register_with_master(self_ptr self, std::chrono::milliseconds backoff) {
  auto& o = self->state.opts;
  register_worker reg{o.id, o.host, o.port, o.cores, o.memory_mb, o.work_dir, self};
  self->request(o.master, std::chrono::seconds(5), std::move(reg))
    .then(
      [=](const registered_worker& r) {
        self->state.registered = true;
        log::worker()->info("registered with master url={} id={}", r.master_url, self->state.opts.id);
      },
      [=](caf::error& err) {
        log::worker()->warn("registration failed id={} error={}; retrying in {} ms", self->state.opts.id,
                            self->system().render(err), backoff.count());
        self->delayed_send(self, backoff, wake_v);
      });
}

void report(self_ptr self, const running_executor& e, executor_state state, const std::string& message) {
  self->send(self->state.opts.master, executor_state_changed{e.app, e.exec, state, message, 0});
}

} // namespace

caf::actor spawn_worker(caf::actor_system& sys, worker_options opts) {
  return sys.spawn([opts](self_ptr self) -> caf::behavior {
    self->state.opts = opts;
    self->set_default_handler([](caf::scheduled_actor*, caf::message_view& m) -> caf::result<caf::message> {
      log::worker()->warn("unexpected message ignored: {}", caf::to_string(m.copy_content_to_message()));
      return caf::sec::unexpected_message;
    });
    self->set_down_handler([self](caf::down_msg& dm) {
      auto& st = self->state;
      auto it = st.executors.find(dm.source);
      if (it == st.executors.end())
        return;
      auto state = it->second.killed ? executor_state::killed
                   : dm.reason == caf::exit_reason::normal ? executor_state::exited
                                                           : executor_state::failed;
      report(self, it->second, state, dm.reason ? self->system().render(dm.reason) : "");
      st.executors.erase(it);
    });
    register_with_master(self, std::chrono::milliseconds(200));
    auto interval = std::chrono::milliseconds(opts.heartbeat_interval_ms);
    self->delayed_send(self, interval, tick_v);
    return {
      [=](tick_atom) {
        if (self->state.registered)
          self->send(self->state.opts.master, worker_heartbeat{self->state.opts.id});
        self->delayed_send(self, interval, tick_v);
      },
      [=](wake_atom) { register_with_master(self, std::chrono::milliseconds(1000)); },
      [=](const reconnect_worker& r) {
        log::worker()->warn("master asks to register again: {}", r.reason);
        self->state.registered = false;
        register_with_master(self, std::chrono::milliseconds(200));
      },
      [=](launch_executor& l) {
        auto& st = self->state;
        auto dir = st.opts.work_dir + "/" + l.app + "/" + l.exec;
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        running_executor e{l.app, l.exec, {}, false};
        if (ec) {
          report(self, e, executor_state::failed, "cannot create " + dir + ": " + ec.message());
          return;
        }
        executor_options eo;
        eo.app = l.app;
        eo.id = l.exec;
        eo.host = st.opts.host;
        eo.cores = l.cores;
        eo.memory_mb = l.memory_mb;
        eo.dir = dir;
        eo.driver = l.driver;
        eo.owner = self;
        e.handle = spawn_executor(self->system(), eo);
        self->monitor(e.handle);
        log::worker()->info("executor launched app={} exec={} cores={}", l.app, l.exec, l.cores);
        report(self, e, executor_state::running, "");
        st.executors.emplace(e.handle.address(), std::move(e));
      },
      [=](const kill_executor& k) {
        for (auto& [addr, e] : self->state.executors)
          if (e.app == k.app && e.exec == k.exec && !e.killed) {
            e.killed = true;
            self->send_exit(e.handle, caf::exit_reason::user_shutdown);
          }
      },
    };
  });
}

} // namespace troupe
