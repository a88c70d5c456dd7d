#include "actors/executor.hpp"

#include "actors/protocol.hpp"
#include "runtime/block_store.hpp"
#include "runtime/log.hpp"
#include "runtime/task_runner.hpp"
#include "runtime/thread_pool.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <memory>

namespace troupe {

namespace {

struct executor_state {
  static inline const char* name = "executor";
  executor_options opts;
  // Destroyed in reverse order: the pool joins its threads before the store
  // and fetcher they use go away.
  std::unique_ptr<block_store> store;
  std::unique_ptr<executor_fetcher> fetcher;
  std::unique_ptr<thread_pool> pool;

  ~executor_state() {
    pool.reset();
    if (store)
      local_stores::remove(opts.app, opts.id);
  }
};

using self_ptr = caf::stateful_actor<executor_state>*;

task_finished to_message(task_id id, const executor_id& exec, task_outcome&& out) {
  task_finished msg{id, exec, std::move(out.result), std::move(out.map_sizes), {}, {}};
  for (auto& [n, p] : out.cached) {
    msg.cached_nodes.push_back(n);
    msg.cached_parts.push_back(p);
  }
  return msg;
}

} // namespace

caf::actor spawn_executor(caf::actor_system& sys, executor_options opts) {
  return sys.spawn([opts](self_ptr self) -> caf::behavior {
    auto& st = self->state;
    st.opts = opts;
    auto limit = static_cast<size_t>(static_cast<double>(opts.memory_mb) * opts.shuffle_memory_fraction * (1 << 20));
    st.store = std::make_unique<block_store>(limit, opts.dir + "/blocks");
    local_stores::add(opts.app, opts.id, st.store.get());
    st.fetcher = std::make_unique<executor_fetcher>(opts.app, nullptr);
    st.pool = std::make_unique<thread_pool>(static_cast<size_t>(std::max(opts.cores, 1)));
    self->set_default_handler([](caf::scheduled_actor*, caf::message_view& m) -> caf::result<caf::message> {
      log::executor()->warn("unexpected message ignored: {}", caf::to_string(m.copy_content_to_message()));
      return caf::sec::unexpected_message;
    });
    self->set_down_handler([self](caf::down_msg& dm) {
      if (dm.source == self->state.opts.driver.address() || dm.source == self->state.opts.owner.address()) {
        log::executor()->info("driver or worker gone, stopping exec={} app={}", self->state.opts.id,
                              self->state.opts.app);
        self->quit();
      }
    });
    self->monitor(opts.driver);
    if (opts.owner)
      self->monitor(opts.owner);
    self->send(opts.driver, register_executor{opts.id, opts.host, opts.cores, self});
    log::executor()->info("executor started app={} exec={} cores={}", opts.app, opts.id, opts.cores);
    return {
      [=](launch_task& t) {
        auto& s = self->state;
        auto driver = s.opts.driver;
        auto exec = s.opts.id;
        auto* store = s.store.get();
        auto* fetcher = s.fetcher.get();
        s.pool->submit([driver, exec, store, fetcher, task = t.task, payload = std::move(t.payload)] {
          auto out = run_task(payload, exec, *store, *fetcher);
          if (out.ok) {
            caf::anon_send(driver, to_message(task, exec, std::move(out)));
          } else {
            task_failed msg{task, exec, std::move(out.error), false, 0, 0, {}};
            if (out.fetch) {
              msg.fetch_failed = true;
              msg.shuffle = out.fetch->shuffle;
              msg.map_partition = out.fetch->map_partition;
              msg.map_executor = out.fetch->executor;
            }
            caf::anon_send(driver, std::move(msg));
          }
        });
      },
      [=](const kill_task&) {
        // A running task cannot be interrupted; the driver ignores its result.
      },
      [=](const stop_executor& s) {
        log::executor()->info("stopping exec={} app={} reason={}", self->state.opts.id, self->state.opts.app, s.reason);
        self->quit();
      },
      [=](const fetch_blocks& f) {
        auto blocks = serve_blocks(*self->state.store, f.shuffle, f.reduce, f.maps);
        fetched_blocks reply;
        for (auto& b : blocks) {
          reply.found.push_back(b.found);
          reply.blocks.push_back(std::move(b.bytes));
        }
        return reply;
      },
    };
  });
}

} // namespace troupe
