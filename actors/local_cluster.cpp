#include "actors/local_cluster.hpp"

#include "actors/cluster_client.hpp"
#include "actors/master.hpp"
#include "actors/master_web.hpp"
#include "actors/nodes.hpp"
#include "actors/protocol.hpp"
#include "actors/publish.hpp"
#include "actors/signals.hpp"
#include "runtime/chaos_runner.hpp"
#include "runtime/node_command.hpp"
#include "runtime/path_check.hpp"
#include "runtime/process.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <regex>
#include <thread>
#include <sys/resource.h>
#include <unistd.h>

namespace troupe {

namespace {

using namespace std::chrono_literals;

/// A local cluster's master serves its web UI on a free port even when
/// master.webui-port and the next 16 are taken (parallel clusters never collide).
settings ui_anywhere(settings s) {
  s.webui_any_port = true;
  return s;
}

/// The web UI line a master prints right after its URL ("troupe master web
/// UI at URL", or "... web UI off"); "" when off or not printed within 2 s.
std::string await_ui_url(const std::string& out_file) {
  static const std::regex ui{R"(troupe master web UI (at (\S+)|off))"};
  for (int i = 0; i < 200; ++i) {
    auto text = read_tail(out_file, 4096);
    std::smatch m;
    if (std::regex_search(text, m, ui))
      return m[2];
    std::this_thread::sleep_for(10ms);  // poll interval
  }
  return "";
}

/// A master and workers as child processes, stopped (by pid) when it goes.
/// A chaos runner may kill and restart them from its thread: every pid table
/// access holds the mutex.
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
    {
      std::lock_guard<std::mutex> lock{mutex_};
      master_pid_ = start_process(master_command(ui_anywhere(s_), port), out, (dir_ / "master.err").string());
    }
    // The master prints its URL once it listens.
    static const std::regex url{R"(troupe://127\.0\.0\.1:(\d+))"};
    auto limit = std::chrono::milliseconds(s_.cluster_start_timeout_ms);
    for (auto deadline = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < deadline;) {
      std::smatch m;
      auto text = read_tail(out, 4096);
      if (std::regex_search(text, m, url)) {
        master_port_ = static_cast<uint16_t>(std::stoi(m[1]));
        ui_url_ = await_ui_url(out);
        return master_port_;
      }
      {
        std::lock_guard<std::mutex> lock{mutex_};
        if (auto e = wait_for(master_pid_, 0ms)) {
          master_pid_ = 0;
          error = "the master exited (" + e->describe() + "): " + read_tail((dir_ / "master.err").string(), 2000);
          return 0;
        }
      }
      std::this_thread::sleep_for(10ms);  // poll interval
    }
    error = "the master did not start listening within " + std::to_string(limit.count()) + " ms";
    return 0;
  }

  /// The master's web UI URL ("" when it has none).
  const std::string& ui_url() const { return ui_url_; }

  void start_worker(uint16_t master_port, int32_t cores, int64_t memory_mb) {
    std::lock_guard<std::mutex> lock{mutex_};
    auto name = "worker-" + std::to_string(workers_.size());
    worker w;
    w.argv = worker_command(s_, master_port, cores, memory_mb, (dir_ / name).string());
    w.out = (dir_ / (name + ".out")).string();
    w.err = (dir_ / (name + ".err")).string();
    w.pid = start_process(w.argv, w.out, w.err);
    workers_.push_back(std::move(w));
  }

  // -- what a chaos runner may do ------------------------------------------------

  /// Worker i's pid (0 once stopped), -1 past the last.
  pid_t worker_pid(int32_t i) {
    std::lock_guard<std::mutex> lock{mutex_};
    return i >= 0 && static_cast<size_t>(i) < workers_.size() ? workers_[static_cast<size_t>(i)].pid : -1;
  }

  /// Reaps worker i (the runner killed it) and starts it again with the same command line.
  pid_t restart_worker(int32_t i) {
    std::lock_guard<std::mutex> lock{mutex_};
    if (stopped_ || i < 0 || static_cast<size_t>(i) >= workers_.size())
      return 0;
    auto& w = workers_[static_cast<size_t>(i)];
    if (w.pid > 0)
      stop_process(w.pid, 0ms);  // SIGKILLed already: only reaps it
    w.pid = 0;
    try {
      w.pid = start_process(w.argv, w.out, w.err);
    } catch (const std::exception&) {
    }
    return w.pid;
  }

  pid_t master_pid() {
    std::lock_guard<std::mutex> lock{mutex_};
    return master_pid_;
  }

  /// Reaps the master (the runner killed it) and starts it again on the same port.
  pid_t restart_master() {
    std::lock_guard<std::mutex> lock{mutex_};
    if (stopped_ || master_port_ == 0)
      return 0;
    if (master_pid_ > 0)
      stop_process(master_pid_, 0ms);
    master_pid_ = 0;
    try {
      master_pid_ = start_process(master_command(ui_anywhere(s_), master_port_), (dir_ / "master.out").string(),
                                  (dir_ / "master.err").string());
    } catch (const std::exception&) {
    }
    return master_pid_;
  }

  /// Stops workers (they stop their executors and drivers), then the master.
  void stop() {
    std::lock_guard<std::mutex> lock{mutex_};
    stopped_ = true;
    auto grace = std::chrono::milliseconds(s_.cluster_stop_grace_ms);
    for (auto& w : workers_)
      if (w.pid > 0) {
        ::kill(w.pid, SIGCONT);  // a frozen worker cannot act on SIGTERM
        ::kill(w.pid, SIGTERM);
      }
    for (auto& w : workers_)
      if (w.pid > 0)
        stop_process(w.pid, grace);
    workers_.clear();
    if (master_pid_ > 0) {
      ::kill(master_pid_, SIGCONT);
      stop_process(master_pid_, grace);
    }
    master_pid_ = 0;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

private:
  struct worker {
    std::vector<std::string> argv;
    std::string out, err;
    pid_t pid = 0;
  };
  settings s_;
  std::filesystem::path dir_;
  std::mutex mutex_;
  bool stopped_ = false;
  pid_t master_pid_ = 0;
  uint16_t master_port_ = 0;
  std::string ui_url_;
  std::vector<worker> workers_;
};

/// The master's recovery directory, when one is set (master.recovery-dir).
bool has_recovery_dir(const settings& s) {
  auto it = s.conf.find("master.recovery-dir");
  return it != s.conf.end() && !it->second.empty();
}

/// The chaos runner of a process cluster, when chaos.seed is set; prints what
/// it will do first, so that a run can be replayed.
std::unique_ptr<chaos_runner> start_chaos(process_cluster& pc, const settings& s, int32_t workers,
                                          bool supervised_drivers) {
  if (s.chaos_seed == 0)
    return nullptr;
  chaos_options o;
  o.seed = static_cast<uint64_t>(s.chaos_seed);
  o.interval_ms = s.chaos_interval_ms;
  o.freeze = s.chaos_freeze;
  o.max_faults = s.chaos_faults;
  chaos_shape shape{workers, supervised_drivers, has_recovery_dir(s)};
  std::cerr << "chaos: seed=" << s.chaos_seed << " interval=" << s.chaos_interval_ms << "ms workers=" << workers
            << (shape.supervised_drivers ? " drivers" : "") << (shape.recovery ? " master" : "")
            << (o.freeze ? "" : " kill-only")
            << (o.max_faults > 0 ? " faults<=" + std::to_string(o.max_faults) : std::string{})
            << " (replay: --conf chaos.seed=" << s.chaos_seed << ")" << std::endl;
  chaos_hooks hooks{[&pc](int32_t i) { return pc.worker_pid(i); }, [&pc](int32_t i) { return pc.restart_worker(i); },
                    [&pc] { return pc.master_pid(); }, [&pc] { return pc.restart_master(); }};
  auto runner = std::make_unique<chaos_runner>(chaos_schedule(o, shape), std::move(hooks), std::cerr);
  runner->start();
  return runner;
}

/// Stops a chaos runner (if any) and says what it did.
void stop_chaos(std::unique_ptr<chaos_runner>& runner, const settings& s) {
  if (!runner)
    return;
  runner->stop();
  std::cerr << "chaos: seed=" << s.chaos_seed << " done, " << runner->faults() << " faults injected" << std::endl;
  runner.reset();
}

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
  // From here on the cluster is a standing one like any other: its driver
  // reaches the master by address (and reconnects to a restarted one).
  client.master.kind = master_kind::remote;
  client.master.host = "127.0.0.1";
  client.master.port = port;
  client.master.text = "troupe://127.0.0.1:" + std::to_string(port);
  if (!pc.ui_url().empty())
    std::cerr << "local cluster: master " << client.master.text << ", web UI at " << pc.ui_url() << std::endl;
  auto chaos = start_chaos(pc, s, s.master.cluster_workers, false);
  auto code = submit(client);
  stop_chaos(chaos, s);
  return code;
}

int run_simulate(const settings& s, int32_t workers, bool threads) {
  auto cores = default_cores(s);
  auto memory = s.memory_mb > 0 ? s.memory_mb : std::max<int64_t>(s.executor_memory_mb, 1024);
  auto grace = std::chrono::milliseconds(s.stop_grace_ms);
  if (threads && s.chaos_seed != 0) {
    std::cerr << "error: chaos.seed needs workers as processes: with --threads every worker is a thread of this "
                 "one process, which no signal can fault alone"
              << std::endl;
    return 2;
  }
  if (!threads) {
    process_cluster pc(s);
    std::string error;
    auto port = start_process_cluster(pc, s, s.port, workers, cores, memory, error);
    if (port == 0) {
      std::cerr << "error: cannot start the simulated cluster: " << error << std::endl;
      return 1;
    }
    std::cout << "troupe master listening on troupe://127.0.0.1:" << port << "\n"
              << (pc.ui_url().empty() ? std::string{"troupe master web UI off"}
                                      : "troupe master web UI at " + pc.ui_url())
              << "\n"
              << workers << " workers (" << cores << " cores, " << memory << " MiB each) as processes; "
              << "Ctrl-C stops them" << std::endl;
    // Cluster-mode drivers are faulted too: submit them with --supervise.
    auto chaos = start_chaos(pc, s, workers, true);
    return run_with_signals(
      [&] {
        while (true)
          std::this_thread::sleep_for(1h);
        return 0;
      },
      [&](int) {
        stop_chaos(chaos, s);
        pc.stop();
        std::exit(0);
      },
      grace);
  }
  // A thousand colocated workers and their executors hold several descriptors
  // each (ports, guards): take the hard limit, not the usual soft 1024.
  if (rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
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
  master_web web{sys, master, s};
  web.start_ui(true);
  std::cout << "troupe master listening on " << url << std::endl;
  web.print_urls();
  std::cout << workers << " workers (" << cores << " cores, " << memory << " MiB each) in this process; "
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
