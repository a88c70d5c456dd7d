#include "actors/nodes.hpp"

#include "actors/cluster_client.hpp"
#include "actors/driver.hpp"
#include "actors/executor.hpp"
#include "actors/master.hpp"
#include "actors/master_web.hpp"
#include "actors/protocol.hpp"
#include "actors/publish.hpp"
#include "actors/signals.hpp"
#include "runtime/app_registry.hpp"
#include "runtime/http_options.hpp"
#include "runtime/console_progress.hpp"
#include "runtime/journal.hpp"
#include "runtime/log.hpp"
#include "runtime/path_check.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sys/sysinfo.h>
#include <thread>
#include <unistd.h>

namespace troupe {

namespace {

/// A node that cannot write its work dir cannot launch or spill anything:
/// says why (with the OS's reason) so that it can exit at once.
bool work_dir_usable(const settings& s) {
  auto err = check_writable_dir("--work-dir", s.work_dir);
  if (!err.empty())
    std::cerr << "error: " << err << std::endl;
  return err.empty();
}

/// Opens --recovery-dir (nullptr when none is set); false when it cannot be used.
bool open_recovery(const settings& s, std::shared_ptr<journal>& out) {
  if (s.recovery_dir.empty())
    return true;
  std::string error;
  auto j = journal::open(s.recovery_dir, error);
  if (!j) {
    std::cerr << "error: --recovery-dir: " << error << std::endl;
    return false;
  }
  for (auto& p : j->problems())
    std::cerr << "warning: recovery journal " << p.describe() << std::endl;
  if (j->recovered()) {
    auto& t = j->tables();
    std::cout << "troupe master recovering from " << s.recovery_dir << ": " << t.workers.size() << " workers, "
              << t.apps.size() << " applications, " << t.drivers.size() << " drivers recorded" << std::endl;
  }
  out = std::move(j);
  return true;
}

int run_master_node(const settings& s) {
  auto opts = master_options_from(s, "");
  if (!open_recovery(s, opts.recovery))
    return 1;
  caf::actor_system_config cfg;
  configure_system(cfg, s);
  caf::actor_system sys{cfg};
  auto master = spawn_master(sys, opts);
  auto port = publish_guarded(sys, master, s.port, s.host);
  if (!port) {
    std::cerr << "error: the master cannot listen on " << s.host << ":" << s.port << ": " << sys.render(port.error())
              << std::endl;
    caf::anon_send_exit(master, caf::exit_reason::user_shutdown);
    return 1;
  }
  auto url = "troupe://" + s.host + ":" + std::to_string(*port);
  caf::anon_send(master, master_started{url});
  std::cout << "troupe master listening on " << url << std::endl;
  if (auto w = exposure_warning(s, s.rest_port != 0); !w.empty()) {
    std::cerr << "warning: " << w << std::endl;
    log::master()->warn("{}", w);
  }
  // The web UI and REST server beside the master, on threads of their own.
  master_web web{sys, master, s};
  web.start_ui(s.webui_any_port);
  if (s.rest_port != 0 && web.start_rest().empty()) {
    caf::anon_send_exit(master, caf::exit_reason::user_shutdown);
    return 1;
  }
  web.print_urls();
  return run_with_signals(
    [&] {
      await_down(sys, master);
      return 0;
    },
    [&](int) { caf::anon_send_exit(master, caf::exit_reason::user_shutdown); },
    std::chrono::milliseconds(s.stop_grace_ms));
}

int run_worker_node(const settings& s) {
  // A worker that cannot write its work dir cannot launch anything: say so now.
  if (!work_dir_usable(s))
    return 1;
  caf::actor_system_config cfg;
  configure_system(cfg, s);
  caf::actor_system sys{cfg};
  auto w = worker_from(s);
  w.master_host = s.master.host;
  w.master_port = s.master.port;
  auto worker = spawn_worker(sys, w);
  // Published so that status shows where it is and its id names a real port.
  auto port = publish_guarded(sys, worker, s.port, s.host);
  if (!port) {
    std::cerr << "error: the worker cannot listen on " << s.host << ":" << s.port << ": " << sys.render(port.error())
              << std::endl;
    caf::anon_send(worker, stop_v);
    return 1;
  }
  caf::anon_send(worker, worker_identity{make_worker_id(s.host, *port), *port});
  caf::error reason;
  run_with_signals(
    [&] {
      reason = await_down(sys, worker);
      return 0;
    },
    [&](int) { caf::anon_send(worker, stop_v); }, std::chrono::milliseconds(s.stop_grace_ms));
  if (reason == caf::sec::cannot_connect_to_node) {
    std::cerr << "error: no master answers at " << s.master.host << ":" << s.master.port << " (gave up after "
              << s.register_timeout_ms << " ms)" << std::endl;
    return 1;
  }
  return 0;
}

int run_executor_node(const settings& s) {
  std::string error;
  auto driver = parse_master_url(s.driver_url, error);
  if (!driver || driver->kind != master_kind::remote) {
    std::cerr << "error: bad --driver-url '" << s.driver_url << "'" << std::endl;
    return 2;
  }
  if (!work_dir_usable(s))
    return 1;
  caf::actor_system_config cfg;
  configure_system(cfg, s);
  caf::actor_system sys{cfg};
  auto e = executor_options_from(s);
  e.app = s.app_id;
  e.id = s.executor_id;
  e.cores = default_cores(s);
  if (s.memory_mb > 0)
    e.memory_mb = s.memory_mb;
  e.dir = std::filesystem::absolute(s.work_dir).string();
  e.driver_host = driver->host;
  e.driver_port = driver->port;
  e.bound_process_memory = true;
  auto exec = spawn_executor(sys, e);
  caf::error reason;
  run_with_signals(
    [&] {
      reason = await_down(sys, exec);
      return 0;
    },
    [&](int) { caf::anon_send(exec, stop_executor{"signal"}); }, std::chrono::milliseconds(s.executor_stop_grace_ms));
  if (reason && reason != caf::exit_reason::normal && reason != caf::exit_reason::user_shutdown) {
    std::cerr << "error: executor " << s.executor_id << " stopped: " << sys.render(reason) << std::endl;
    return 1;
  }
  return 0;
}

int run_driver_node(const settings& s) {
  if (find_app(s.app) == nullptr) {
    std::cerr << "error: unknown application '" << s.app << "'" << std::endl;
    return 2;
  }
  return with_master(s, [&](caf::actor_system& sys, const caf::actor& master) {
    return run_driver_here(sys, s, master, s.driver_id);
  });
}

} // namespace

int32_t default_cores(const settings& s) {
  return s.cores > 0 ? s.cores : std::clamp(static_cast<int32_t>(std::thread::hardware_concurrency()), 1, max_cores);
}

int64_t default_memory_mb(const settings& s) {
  if (s.memory_mb > 0)
    return s.memory_mb;
  struct sysinfo info{};
  ::sysinfo(&info);
  auto total = static_cast<int64_t>(info.totalram) * info.mem_unit / (1 << 20);
  return std::max<int64_t>(total - 1024, 1024);
}

worker_options worker_from(const settings& s) {
  auto w = worker_options_from(s);
  w.cores = default_cores(s);
  w.memory_mb = default_memory_mb(s);
  w.work_dir = std::filesystem::absolute(s.work_dir).string();
  return w;
}

caf::error await_down(caf::actor_system& sys, const caf::actor& actor) {
  caf::scoped_actor waiter{sys};
  waiter->monitor(actor);
  caf::error reason;
  waiter->receive([&](const caf::down_msg& dm) { reason = dm.reason; });
  return reason;
}

int run_driver_here(caf::actor_system& sys, const settings& s, const caf::actor& master,
                    const std::string& driver_id) {
  auto d = driver_options_from(s, driver_id);
  d.master = master;
  auto driver = spawn_driver(sys, d);
  // Spark's console progress bar, only for a person at a terminal watching a
  // driver of their own (client and local modes).
  std::unique_ptr<status::console_progress> progress;
  if (driver_id.empty() && s.console_progress && ::isatty(2) == 1)
    progress = std::make_unique<status::console_progress>(d.model, 2);
  run_with_signals(
    [&] {
      await_down(sys, driver);
      return 0;
    },
    [&](int sig) {
      std::lock_guard<std::mutex> guard{d.outcome->mtx};
      d.outcome->exit_code = 128 + sig;
      d.outcome->error = "stopped by signal " + std::to_string(sig);
      caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
    },
    std::chrono::milliseconds(s.driver_stop_grace_ms));
  progress.reset();
  std::lock_guard<std::mutex> guard{d.outcome->mtx};
  if (!d.outcome->error.empty())
    std::cerr << "error: " << d.outcome->error << std::endl;
  return d.outcome->exit_code;
}

int run_node(const settings& s) {
  auto role = s.role.value_or(node_role::master);
  log::set_process_role(std::string{to_string(role)});
  switch (role) {
    case node_role::master: return run_master_node(s);
    case node_role::worker: return run_worker_node(s);
    case node_role::executor: return run_executor_node(s);
    case node_role::driver: return run_driver_node(s);
  }
  return 2;
}

} // namespace troupe
