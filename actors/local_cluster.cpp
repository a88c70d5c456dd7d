#include "actors/local_cluster.hpp"

#include "actors/cluster_client.hpp"
#include "actors/master.hpp"
#include "actors/nodes.hpp"
#include "actors/protocol.hpp"
#include "actors/publish.hpp"
#include "actors/signals.hpp"
#include "runtime/node_command.hpp"
#include "runtime/path_check.hpp"
#include "runtime/process.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <regex>
#include <thread>
#include <unistd.h>

namespace troupe {

namespace {

using namespace std::chrono_literals;

/// A master and workers as child processes, stopped (by pid) when it goes.
class process_cluster {
public:
  explicit process_cluster(const settings& s)
    : s_(s), dir_(std::filesystem::temp_directory_path() / ("troupe-cluster-" + std::to_string(::getpid()))) {}
  ~process_cluster() { stop(); }

  /// Creates the cluster's scratch directory; "" or why it cannot.
  std::string prepare() { return check_writable_dir("the local cluster's directory", dir_.string()); }

  /// Starts the master; returns its port, or 0 with `error` set.
  uint16_t start_master(uint16_t port, std::string& error) {
    auto out = (dir_ / "master.out").string();
    master_pid_ = start_process(master_command(s_, port), out, (dir_ / "master.err").string());
    // The master prints its URL once it listens.
    static const std::regex url{R"(troupe://127\.0\.0\.1:(\d+))"};
    auto limit = std::chrono::milliseconds(s_.cluster_start_timeout_ms);
    for (auto deadline = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < deadline;) {
      std::smatch m;
      auto text = read_tail(out, 4096);
      if (std::regex_search(text, m, url))
        return static_cast<uint16_t>(std::stoi(m[1]));
      if (auto e = wait_for(master_pid_, 0ms)) {
        master_pid_ = 0;
        error = "the master exited (" + e->describe() + "): " + read_tail((dir_ / "master.err").string(), 2000);
        return 0;
      }
      std::this_thread::sleep_for(10ms);  // poll interval
    }
    error = "the master did not start listening within " + std::to_string(limit.count()) + " ms";
    return 0;
  }

  void start_worker(uint16_t master_port, int32_t cores, int64_t memory_mb) {
    auto name = "worker-" + std::to_string(worker_pids_.size());
    auto argv = worker_command(s_, master_port, cores, memory_mb, (dir_ / name).string());
    worker_pids_.push_back(start_process(argv, (dir_ / (name + ".out")).string(), (dir_ / (name + ".err")).string()));
  }

  /// Stops workers (they stop their executors and drivers), then the master.
  void stop() {
    auto grace = std::chrono::milliseconds(s_.cluster_stop_grace_ms);
    for (auto pid : worker_pids_)
      ::kill(pid, SIGTERM);
    for (auto pid : worker_pids_)
      stop_process(pid, grace);
    worker_pids_.clear();
    if (master_pid_ > 0)
      stop_process(master_pid_, grace);
    master_pid_ = 0;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

private:
  settings s_;
  std::filesystem::path dir_;
  pid_t master_pid_ = 0;
  std::vector<pid_t> worker_pids_;
};

/// Starts a master and `workers` workers as processes and waits until they are registered.
uint16_t start_process_cluster(process_cluster& pc, const settings& s, uint16_t port, int32_t workers, int32_t cores,
                               int64_t memory_mb, std::string& error) {
  if (error = pc.prepare(); !error.empty())
    return 0;
  try {
    auto master_port = pc.start_master(port, error);
    if (master_port == 0)
      return 0;
    for (int32_t i = 0; i < workers; ++i)
      pc.start_worker(master_port, cores, memory_mb);
    caf::actor_system_config cfg;
    configure_system(cfg, s);
    caf::actor_system sys{cfg};
    if (!await_workers(sys, "127.0.0.1", master_port, workers, std::chrono::milliseconds(s.cluster_register_timeout_ms),
                       std::chrono::milliseconds(s.client_timeout_ms), error))
      return 0;
    return master_port;
  } catch (const std::exception& e) {
    error = e.what();  // a process that cannot be started
    return 0;
  }
}

} // namespace

int run_local_cluster(const settings& s, const std::function<int(const settings& client)>& submit) {
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
  return submit(client);
}

int run_simulate(const settings& s, int32_t workers, bool threads) {
  auto cores = default_cores(s);
  auto memory = s.memory_mb > 0 ? s.memory_mb : std::max<int64_t>(s.executor_memory_mb, 1024);
  auto grace = std::chrono::milliseconds(s.stop_grace_ms);
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
      },
      grace);
  }
  auto work = std::filesystem::temp_directory_path() / ("troupe-simulate-" + std::to_string(::getpid()));
  if (auto err = check_writable_dir("the simulated workers' directory", work.string()); !err.empty()) {
    std::cerr << "error: " << err << std::endl;
    return 1;
  }
  caf::actor_system_config cfg;
  configure_system(cfg, s);
  caf::actor_system sys{cfg};
  auto master = spawn_master(sys, master_options_from(s, ""));
  auto port = publish_guarded(sys, master, s.port, "127.0.0.1");
  if (!port) {
    std::cerr << "error: the master cannot listen on 127.0.0.1:" << s.port << ": " << sys.render(port.error())
              << std::endl;
    caf::anon_send_exit(master, caf::exit_reason::user_shutdown);
    return 1;
  }
  auto url = "troupe://127.0.0.1:" + std::to_string(*port);
  caf::anon_send(master, master_started{url});
  std::vector<caf::actor> ws;
  for (int32_t i = 0; i < workers; ++i) {
    auto w = worker_from(s);
    w.id = make_worker_id("127.0.0.1", static_cast<uint16_t>(i + 1));
    w.cores = cores;
    w.memory_mb = memory;
    w.work_dir = (work / ("worker-" + std::to_string(i))).string();
    // Executors colocate; cluster-mode drivers stay child processes unless
    // driver.isolation=thread, so that their output can be fetched.
    w.executor_isolation = isolation::thread;
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
    },
    grace);
}

} // namespace troupe
