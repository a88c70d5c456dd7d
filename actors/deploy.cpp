#include "actors/deploy.hpp"

#include "actors/cluster_client.hpp"
#include "actors/driver.hpp"
#include "actors/executor.hpp"
#include "actors/master.hpp"
#include "actors/protocol.hpp"
#include "actors/publish.hpp"
#include "actors/worker.hpp"
#include "runtime/app_registry.hpp"
#include "runtime/log.hpp"
#include "runtime/process.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <regex>
#include <sys/sysinfo.h>
#include <thread>
#include <unistd.h>

namespace troupe {

namespace {

using namespace std::chrono_literals;

// -- shared set-up ---------------------------------------------------------------

int32_t default_cores(const settings& s) {
  return s.cores > 0 ? s.cores : std::max(1, static_cast<int32_t>(std::thread::hardware_concurrency()));
}

int64_t default_memory_mb(const settings& s) {
  if (s.memory_mb > 0)
    return s.memory_mb;
  struct sysinfo info{};
  ::sysinfo(&info);
  auto total = static_cast<int64_t>(info.totalram) * info.mem_unit / (1 << 20);
  return std::max<int64_t>(total - 1024, 1024);
}

/// Runs `body` in a thread of its own while this one waits for SIGINT or
/// SIGTERM; `on_signal` is called once on the first signal. If body has not
/// returned `grace` after that (a task thread cannot be interrupted), the
/// process exits with 128 + signal. Returns body's result.
int run_with_signals(const std::function<int()>& body, const std::function<void(int)>& on_signal,
                     std::chrono::milliseconds grace = 10s) {
  std::atomic<bool> done{false};
  int result = 0;
  std::thread worker([&] {
    result = body();
    done = true;
  });
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signaled = 0;
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (!done) {
    timespec tick{0, 50'000'000};
    int sig = ::sigtimedwait(&set, nullptr, &tick);
    if (sig > 0 && signaled == 0) {
      signaled = sig;
      deadline = std::chrono::steady_clock::now() + grace;
      log::submit()->info("signal {} received, stopping", sig);
      on_signal(sig);
    }
    if (signaled != 0 && std::chrono::steady_clock::now() > deadline && !done) {
      log::submit()->warn("still busy {} ms after signal {}; exiting now", grace.count(), signaled);
      std::_Exit(128 + signaled);
    }
  }
  worker.join();
  return result;
}

/// Waits until `actor` terminates; returns its exit reason.
caf::error await_down(caf::actor_system& sys, const caf::actor& actor) {
  caf::scoped_actor waiter{sys};
  waiter->monitor(actor);
  caf::error reason;
  waiter->receive([&](const caf::down_msg& dm) { reason = dm.reason; });
  return reason;
}

/// Spawns the driver in this process and waits for it; returns the exit status.
int run_driver_here(caf::actor_system& sys, const settings& s, caf::actor master, const std::string& driver_id = {}) {
  auto d = driver_options_from(s, driver_id);
  d.master = std::move(master);
  auto driver = spawn_driver(sys, d);
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
    3s);
  std::lock_guard<std::mutex> guard{d.outcome->mtx};
  if (!d.outcome->error.empty())
    std::cerr << "error: " << d.outcome->error << std::endl;
  return d.outcome->exit_code;
}

// -- local[N] ------------------------------------------------------------------------

/// local[N]: a master, one worker with N cores and its executor, and the
/// driver, all in this process, talking through the same messages.
int run_local(const settings& s) {
  caf::actor_system_config cfg;
  configure_system(cfg, s);
  caf::actor_system sys{cfg};
  auto work = std::filesystem::temp_directory_path() / ("troupe-local-" + std::to_string(::getpid()));
  auto master = spawn_master(sys, {"local", s.worker_timeout_ms, s.spread_out});
  worker_options w;
  w.id = make_worker_id("local", 0);
  w.host = s.host;
  w.cores = s.master.local_cores;
  w.memory_mb = std::max<int64_t>(s.executor_memory_mb, s.memory_mb);
  w.work_dir = work.string();
  w.heartbeat_interval_ms = s.heartbeat_interval_ms;
  w.executor_isolation = "thread";
  w.base = s;
  w.master = master;
  auto worker = spawn_worker(sys, w);
  int code = run_driver_here(sys, s, master);
  caf::anon_send(worker, stop_v);
  await_down(sys, worker);
  caf::anon_send_exit(master, caf::exit_reason::user_shutdown);
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
  return code;
}

// -- against a cluster ----------------------------------------------------------------

/// Client mode: the driver here, executors on the cluster's workers.
int run_client(const settings& s) {
  return with_master(s, [&](caf::actor_system& sys, const caf::actor& master) {
    return run_driver_here(sys, s, master);
  });
}

/// Cluster mode: hand the driver to the master; follow it with --wait.
int submit_to_cluster(caf::actor_system& sys, const caf::actor& master, const settings& s) {
  driver_description desc;
  desc.app = s.app;
  desc.args = s.app_args;
  desc.conf_args = to_conf_args(s);
  desc.supervise = s.supervise;
  desc.submit_host = host_name();
  desc.cores = s.driver_cores;
  desc.memory_mb = s.driver_memory_mb;
  caf::scoped_actor self{sys};
  driver_status st;
  std::string err;
  self->request(master, 10s, submit_driver{desc})
    .receive([&](driver_status& r) { st = std::move(r); }, [&](caf::error& e) { err = sys.render(e); });
  if (!err.empty()) {
    std::cerr << "error: the master did not accept the driver: " << err << std::endl;
    return 1;
  }
  std::cout << "submitted driver " << st.driver << std::endl;
  if (!s.wait)
    return 0;
  driver_status final_state;
  run_with_signals(
    [&] {
      final_state = follow_driver(sys, master, st.driver, s.heartbeat_interval_ms);
      return 0;
    },
    [&](int sig) {
      // The driver runs on in the cluster; only the waiting stops.
      std::cerr << "stopped waiting; driver " << st.driver << " keeps running (troupe kill --master "
                << s.master.text << " " << st.driver << " stops it)" << std::endl;
      std::_Exit(128 + sig);
    });
  if (!final_state.found) {
    std::cerr << "error: lost track of driver " << st.driver << ": " << final_state.message << std::endl;
    return 1;
  }
  auto logs = fetch_logs(sys, master, st.driver);
  std::cout << logs.out << std::flush;
  std::cerr << logs.err;
  if (!logs.found)
    std::cerr << "no output of driver " << st.driver << ": " << logs.message << std::endl;
  std::cerr << "driver " << st.driver << " " << to_string(final_state.state) << " on worker " << final_state.worker
            << " (" << final_state.worker_host << ":" << final_state.worker_port << ")"
            << (final_state.message.empty() ? "" : ": " + final_state.message) << std::endl;
  return final_state.state == driver_state::finished ? 0 : 1;
}

int run_cluster_submit(const settings& s) {
  return with_master(s, [&](caf::actor_system& sys, const caf::actor& master) {
    return submit_to_cluster(sys, master, s);
  });
}
// -- processes on loopback ----------------------------------------------------------

/// A master and workers as child processes, stopped (by pid) when it goes.
class process_cluster {
public:
  explicit process_cluster(const settings& s) : dir_(std::filesystem::temp_directory_path()
                                                      / ("troupe-cluster-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
    child_args_ = to_conf_args(s);
  }
  ~process_cluster() { stop(); }

  /// Starts the master; returns its port, or 0 with `error` set.
  uint16_t start_master(uint16_t port, std::string& error) {
    auto out = (dir_ / "master.out").string();
    std::vector<std::string> argv{self_executable(), "node", "--role", "master", "--host", "127.0.0.1", "--port",
                                  std::to_string(port)};
    argv.insert(argv.end(), child_args_.begin(), child_args_.end());
    master_pid_ = start_process(argv, out, (dir_ / "master.err").string());
    // The master prints its URL once it listens.
    static const std::regex url{R"(troupe://127\.0\.0\.1:(\d+))"};
    for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
      std::smatch m;
      auto text = read_tail(out, 4096);
      if (std::regex_search(text, m, url))
        return static_cast<uint16_t>(std::stoi(m[1]));
      if (auto e = wait_for(master_pid_, 0ms)) {
        master_pid_ = 0;
        error = "the master exited (" + e->describe() + "): " + read_tail((dir_ / "master.err").string(), 2000);
        return 0;
      }
      std::this_thread::sleep_for(10ms);
    }
    error = "the master did not start listening within 10 s";
    return 0;
  }

  void start_worker(uint16_t master_port, int32_t cores, int64_t memory_mb) {
    auto n = worker_pids_.size();
    auto wdir = dir_ / ("worker-" + std::to_string(n));
    std::vector<std::string> argv{self_executable(), "node", "--role", "worker", "--master",
                                  "troupe://127.0.0.1:" + std::to_string(master_port), "--host", "127.0.0.1",
                                  "--cores", std::to_string(cores), "--memory", std::to_string(memory_mb) + "m",
                                  "--work-dir", wdir.string()};
    argv.insert(argv.end(), child_args_.begin(), child_args_.end());
    worker_pids_.push_back(start_process(argv, (dir_ / ("worker-" + std::to_string(n) + ".out")).string(),
                                         (dir_ / ("worker-" + std::to_string(n) + ".err")).string()));
  }

  /// Stops workers (they stop their executors and drivers), then the master.
  void stop() {
    for (auto pid : worker_pids_)
      ::kill(pid, SIGTERM);
    for (auto pid : worker_pids_)
      stop_process(pid, 5s);
    worker_pids_.clear();
    if (master_pid_ > 0)
      stop_process(master_pid_, 5s);
    master_pid_ = 0;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

private:
  std::filesystem::path dir_;
  std::vector<std::string> child_args_;
  pid_t master_pid_ = 0;
  std::vector<pid_t> worker_pids_;
};

/// Starts a master and `workers` workers as processes and waits until they are registered.
uint16_t start_process_cluster(process_cluster& pc, const settings& s, uint16_t port, int32_t workers, int32_t cores,
                               int64_t memory_mb, std::string& error) {
  auto master_port = pc.start_master(port, error);
  if (master_port == 0)
    return 0;
  for (int32_t i = 0; i < workers; ++i)
    pc.start_worker(master_port, cores, memory_mb);
  caf::actor_system_config cfg;
  configure_system(cfg, s);
  caf::actor_system sys{cfg};
  if (!await_workers(sys, "127.0.0.1", master_port, workers, 30s, error))
    return 0;
  return master_port;
}

/// local-cluster[N,C,M]: a cluster for this submission only, torn down after
/// it, on a failed job and on Ctrl-C too.
int run_local_cluster(const settings& s) {
  process_cluster pc(s);
  std::string error;
  auto port = start_process_cluster(pc, s, 0, s.master.cluster_workers, s.master.cluster_cores,
                                    s.master.cluster_memory_mb, error);
  if (port == 0) {
    std::cerr << "error: cannot start the local cluster: " << error << std::endl;
    return 1;
  }
  settings client = s;
  if (client.executor_memory_mb > s.master.cluster_memory_mb)
    client.executor_memory_mb = s.master.cluster_memory_mb;
  client.master.host = "127.0.0.1";
  client.master.port = port;
  return run_client(client);
}

// -- node roles ---------------------------------------------------------------------

int run_master_node(const settings& s) {
  caf::actor_system_config cfg;
  configure_system(cfg, s);
  caf::actor_system sys{cfg};
  auto master = spawn_master(sys, {"", s.worker_timeout_ms, s.spread_out});
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
  return run_with_signals(
    [&] {
      await_down(sys, master);
      return 0;
    },
    [&](int) { caf::anon_send_exit(master, caf::exit_reason::user_shutdown); });
}

worker_options worker_from(const settings& s) {
  worker_options w;
  w.host = s.host;
  w.cores = default_cores(s);
  w.memory_mb = default_memory_mb(s);
  w.work_dir = std::filesystem::absolute(s.work_dir).string();
  w.heartbeat_interval_ms = s.heartbeat_interval_ms;
  w.executor_isolation = s.executor_isolation;
  w.driver_isolation = s.driver_isolation;
  w.base = s;
  w.register_timeout_ms = s.register_timeout_ms;
  return w;
}

int run_worker_node(const settings& s) {
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
    [&](int) { caf::anon_send(worker, stop_v); });
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
  auto exec = spawn_executor(sys, e);
  caf::error reason;
  run_with_signals(
    [&] {
      reason = await_down(sys, exec);
      return 0;
    },
    [&](int) { caf::anon_send(exec, stop_executor{"signal"}); }, 2s);
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

void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run_submit(const settings& s) {
  if (find_app(s.app) == nullptr) {
    std::cerr << "error: unknown application '" << s.app << "'; known applications:";
    for (auto* a : all_apps())
      std::cerr << ' ' << a->name;
    std::cerr << "\n(run 'troupe apps' for their usage)" << std::endl;
    return 2;
  }
  switch (s.master.kind) {
    case master_kind::local:
      return run_local(s);
    case master_kind::local_cluster:
      return run_local_cluster(s);
    case master_kind::remote:
      return s.deploy_mode == "cluster" ? run_cluster_submit(s) : run_client(s);
  }
  return 2;
}

int run_node(const settings& s) {
  log::set_process_role(s.role);
  if (s.role == "master")
    return run_master_node(s);
  if (s.role == "worker")
    return run_worker_node(s);
  if (s.role == "executor")
    return run_executor_node(s);
  return run_driver_node(s);
}

int run_simulate(const settings& s, int32_t workers, bool threads) {
  auto cores = default_cores(s);
  auto memory = s.memory_mb > 0 ? s.memory_mb : std::max<int64_t>(s.executor_memory_mb, 1024);
  if (!threads) {
    process_cluster pc(s);
    std::string error;
    auto port = start_process_cluster(pc, s, s.port, workers, cores, memory, error);
    if (port == 0) {
      std::cerr << "error: cannot start the simulated cluster: " << error << std::endl;
      return 1;
    }
    std::cout << "troupe master listening on troupe://127.0.0.1:" << port << "\n"
              << workers << " workers (" << cores << " cores, " << memory << " MiB each) as processes; "
              << "Ctrl-C stops them" << std::endl;
    return run_with_signals(
      [&] {
        while (true)
          std::this_thread::sleep_for(1h);
        return 0;
      },
      [&](int) {
        pc.stop();
        std::exit(0);
      });
  }
  caf::actor_system_config cfg;
  configure_system(cfg, s);
  caf::actor_system sys{cfg};
  auto master = spawn_master(sys, {"", s.worker_timeout_ms, s.spread_out});
  auto port = publish_guarded(sys, master, s.port, "127.0.0.1");
  if (!port) {
    std::cerr << "error: the master cannot listen on 127.0.0.1:" << s.port << ": " << sys.render(port.error())
              << std::endl;
    caf::anon_send_exit(master, caf::exit_reason::user_shutdown);
    return 1;
  }
  auto url = "troupe://127.0.0.1:" + std::to_string(*port);
  caf::anon_send(master, master_started{url});
  auto work = std::filesystem::temp_directory_path() / ("troupe-simulate-" + std::to_string(::getpid()));
  std::vector<caf::actor> ws;
  for (int32_t i = 0; i < workers; ++i) {
    auto w = worker_from(s);
    w.id = make_worker_id("127.0.0.1", static_cast<uint16_t>(i + 1));
    w.cores = cores;
    w.memory_mb = memory;
    w.work_dir = (work / ("worker-" + std::to_string(i))).string();
    // Executors colocate; cluster-mode drivers stay child processes unless
    // driver.isolation=thread, so that their output can be fetched.
    w.executor_isolation = "thread";
    w.master = master;
    ws.push_back(spawn_worker(sys, w));
  }
  std::cout << "troupe master listening on " << url << "\n"
            << workers << " workers (" << cores << " cores, " << memory << " MiB each) in this process; "
            << "Ctrl-C stops them" << std::endl;
  return run_with_signals(
    [&] {
      await_down(sys, master);
      std::error_code ec;
      std::filesystem::remove_all(work, ec);
      return 0;
    },
    [&](int) {
      for (auto& w : ws) {
        caf::anon_send(w, stop_v);
        await_down(sys, w);
      }
      caf::anon_send_exit(master, caf::exit_reason::user_shutdown);
    });
}

} // namespace troupe
