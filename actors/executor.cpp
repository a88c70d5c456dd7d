#include "actors/executor.hpp"

#include "actors/block_transfer.hpp"
#include "actors/library_transfer.hpp"
#include "actors/protocol.hpp"
#include "actors/publish.hpp"
#include "runtime/block_store.hpp"
#include "runtime/log.hpp"
#include "runtime/memory_guard.hpp"
#include "runtime/task_runner.hpp"
#include "runtime/thread_pool.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <set>

namespace troupe {

namespace {

struct executor_state {
  static inline const char* name = "executor";
  executor_options opts;
  caf::actor driver;
  uint16_t port = 0;
  // Destroyed in reverse order: the pools join their threads before the
  // store, fetcher and server they use go away.
  std::unique_ptr<block_store> store;
  std::unique_ptr<peer_book> peers;
  std::unique_ptr<block_server> server;
  std::unique_ptr<executor_fetcher> fetcher;
  std::unique_ptr<thread_pool> serve_pool;  // fetch answers: never behind tasks
  std::unique_ptr<thread_pool> pool;
  // Tasks the driver killed (another copy won, or their job failed): one
  // still queued never starts; one running finishes and the driver ignores it.
  struct kill_list {
    std::mutex mtx;
    std::set<task_id> ids;
    bool take(task_id t) {
      std::lock_guard<std::mutex> guard{mtx};
      return ids.erase(t) != 0;
    }
  };
  std::shared_ptr<kill_list> killed = std::make_shared<kill_list>();

  ~executor_state() {
    if (opts.bound_process_memory)
      memory_guard::set_reliever({});  // before the store it spills goes
    pool.reset();
    serve_pool.reset();
    if (store)
      local_stores::remove(opts.app, opts.id);
  }
};

using self_ptr = caf::stateful_actor<executor_state>*;

task_finished to_message(task_id id, const executor_id& exec, task_outcome&& out) {
  task_finished msg{id, exec, std::move(out.result), std::move(out.map_sizes), {}, {}, out.counters};
  for (auto& [n, p] : out.cached) {
    msg.cached_nodes.push_back(n);
    msg.cached_parts.push_back(p);
  }
  return msg;
}

task_failed failure_message(task_id id, const executor_id& exec, task_outcome&& out) {
  task_failed msg{id, exec, std::move(out.error), false, 0, 0, {}, out.counters};
  if (out.fetch) {
    msg.fetch_failed = true;
    msg.shuffle = out.fetch->shuffle;
    msg.map_partition = out.fetch->map_partition;
    msg.map_executor = out.fetch->executor;
  }
  return msg;
}

/// Registered with the driver: runs tasks and serves blocks.
caf::behavior running(self_ptr self) {
  auto interval = std::chrono::milliseconds(self->state.opts.heartbeat_interval_ms);
  self->delayed_send(self, interval, tick_v);
  return {
    [=](launch_task& t) {
      auto& s = self->state;
      auto driver = s.driver;
      auto exec = s.opts.id;
      auto* store = s.store.get();
      auto* fetcher = s.fetcher.get();
      auto killed = s.killed;
      s.pool->submit([driver, exec, store, fetcher, killed, task = t.task, payload = std::move(t.payload)] {
        if (killed->take(task))
          return;  // killed while queued
        auto out = run_task(payload, exec, *store, *fetcher);
        if (out.ok)
          caf::anon_send(driver, to_message(task, exec, std::move(out)));
        else
          caf::anon_send(driver, failure_message(task, exec, std::move(out)));
      });
    },
    [=](const drop_blocks& d) {
      auto& store = *self->state.store;
      auto before = store.block_count();
      for (auto s : d.shuffles)
        store.remove_shuffle(s);
      for (auto n : d.cached_nodes)
        store.remove_cached(n);
      log::executor()->info("dropped {} blocks (shuffles {}, cached nodes {}) exec={}", before - store.block_count(),
                             d.shuffles.size(), d.cached_nodes.size(), self->state.opts.id);
    },
    [=](const kill_task& k) {
      // A queued task is dropped when its turn comes; a running one cannot be
      // interrupted and finishes, and the driver ignores its result.
      auto& kl = *self->state.killed;
      std::lock_guard<std::mutex> guard{kl.mtx};
      if (kl.ids.size() > 100000)
        kl.ids.clear();  // kills of tasks that had already finished: never looked up
      kl.ids.insert(k.task);
    },
    [=](const executor_peers& p) { self->state.peers->update(p.addresses); },
    [=](fetch_block& f) {
      auto* server = self->state.server.get();
      self->state.serve_pool->submit([server, f = std::move(f)] { server->serve(f); });
    },
    [=](tick_atom) {
      self->send(self->state.driver, executor_heartbeat{self->state.opts.id});
      self->delayed_send(self, interval, tick_v);
    },
    [=](const stop_executor& s) {
      log::executor()->info("stopping exec={} app={} reason={} peak_rss_mb={}", self->state.opts.id,
                            self->state.opts.app, s.reason, memory_guard::peak_resident_bytes() >> 20);
      self->quit();
    },
  };
}

} // namespace

executor_options executor_options_from(const settings& s) {
  executor_options e;
  e.host = s.host;
  e.memory_mb = s.executor_memory_mb;
  e.shuffle_memory_fraction = s.shuffle_memory_fraction;
  e.fetch_chunk_kb = s.shuffle_fetch_chunk_kb;
  e.max_fetches = s.shuffle_max_fetches;
  e.heartbeat_interval_ms = s.heartbeat_interval_ms;
  e.connect_timeout_ms = s.executor_connect_timeout_ms;
  e.fetch_timeout_ms = s.fetch_timeout_ms;
  // Bounded like the fetch itself and like a connection: a frozen peer never answers.
  e.peer_connect_timeout_ms = std::max(std::min(s.network_timeout_ms, s.fetch_timeout_ms), 1000);
  e.library_hash = s.app_library_hash;
  return e;
}

caf::actor spawn_executor(caf::actor_system& sys, executor_options opts) {
  return sys.spawn([opts](self_ptr self) -> caf::behavior {
    auto& st = self->state;
    st.opts = opts;
    auto limit = static_cast<size_t>(static_cast<double>(opts.memory_mb) * opts.shuffle_memory_fraction * (1 << 20));
    st.store = std::make_unique<block_store>(limit, opts.dir + "/blocks");
    if (opts.bound_process_memory) {
      memory_guard::start(static_cast<size_t>(opts.memory_mb) << 20);
      // Storage gives way to execution: near the bound, cached and shuffle
      // blocks go to disk before a task is failed for memory.
      memory_guard::set_reliever([store = st.store.get()](size_t want) -> size_t {
        try {
          return store->shed(want);
        } catch (const std::exception& e) {
          log::executor()->warn("cannot spill blocks for memory: {}", e.what());
          return 0;
        }
      });
    }
    local_stores::add(opts.app, opts.id, st.store.get());
    st.peers = std::make_unique<peer_book>(self->system(), std::chrono::milliseconds(std::max(opts.peer_connect_timeout_ms, 1)));
    st.server = std::make_unique<block_server>(*st.store);
    auto* peers = st.peers.get();
    auto* sysp = &self->system();
    auto chunk = std::max(opts.fetch_chunk_kb, 1) * 1024;
    auto in_flight = std::max(opts.max_fetches, 1);
    auto silence = std::chrono::milliseconds(opts.fetch_timeout_ms);
    st.fetcher = std::make_unique<executor_fetcher>(
      opts.app, [sysp, peers, chunk, in_flight, silence](const executor_id& exec, shuffle_id s, int32_t reduce,
                                                         const std::vector<int32_t>& maps) {
        return fetch_remote(*sysp, *peers, exec, s, reduce, maps, chunk, in_flight, silence);
      });
    st.serve_pool = std::make_unique<thread_pool>(1);
    st.pool = std::make_unique<thread_pool>(static_cast<size_t>(std::max(opts.cores, 1)));
    self->set_default_handler([](caf::scheduled_actor*, caf::message_view& m) -> caf::result<caf::message> {
      log::executor()->warn("unexpected message ignored: {}", caf::to_string(m.copy_content_to_message()));
      return caf::sec::unexpected_message;
    });
    self->set_down_handler([self](caf::down_msg& dm) {
      if (dm.source == self->state.driver.address() || (self->state.opts.owner && dm.source == self->state.opts.owner.address())) {
        log::executor()->info("driver or worker gone, stopping exec={} app={} peak_rss_mb={}", self->state.opts.id,
                              self->state.opts.app, memory_guard::peak_resident_bytes() >> 20);
        self->quit();
      }
    });
    if (opts.owner)
      self->monitor(opts.owner);
    // Peers fetch blocks from this port; the driver is reached directly, never through the master.
    auto port = publish_guarded(self->system(), caf::actor{self}, 0, opts.host);
    if (!port) {
      log::executor()->error("cannot listen on {}: {}", opts.host, self->system().render(port.error()));
      self->quit(caf::sec::cannot_open_port);
      return {};
    }
    st.port = *port;
    connect_async(
      self, opts.driver_host, opts.driver_port, std::chrono::milliseconds(opts.connect_timeout_ms),
      [self](caf::actor driver) {
        auto& st = self->state;
        st.driver = std::move(driver);
        if (!st.driver) {
          self->quit(caf::sec::no_actor_published_at_port);
          return;
        }
        self->monitor(st.driver);
        // An app from a library: have the library loaded before any task comes.
        auto work_dir = std::filesystem::path(st.opts.dir).parent_path().parent_path().string();
        prepare_app_library(
          self, st.driver, st.opts.library_hash, work_dir, std::max(st.opts.fetch_chunk_kb, 1) * 1024,
          std::chrono::milliseconds(std::max(st.opts.fetch_timeout_ms, 1000)), [self](const std::string& err) {
            auto& st = self->state;
            if (!err.empty()) {
              log::executor()->error("cannot load the application library app={} exec={}: {}", st.opts.app,
                                     st.opts.id, err);
              self->quit(caf::sec::runtime_error);
              return;
            }
            self->send(st.driver, register_executor{st.opts.id, st.opts.host, st.port, st.opts.cores, self});
            log::executor()->info("executor started app={} exec={} cores={} port={}", st.opts.app, st.opts.id,
                                  st.opts.cores, st.port);
            self->become(running(self));
          });
      },
      [self](caf::error& err) {
        log::executor()->error("cannot reach the driver at {}:{}: {}", self->state.opts.driver_host,
                               self->state.opts.driver_port, self->system().render(err));
        self->quit(err);
      });
    return {
      [=](const stop_executor&) { self->quit(); },
    };
  });
}

} // namespace troupe
