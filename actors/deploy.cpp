#include "actors/deploy.hpp"

#include "actors/cluster_client.hpp"
#include "actors/library_transfer.hpp"
#include "actors/local_cluster.hpp"
#include "actors/master.hpp"
#include "actors/nodes.hpp"
#include "actors/protocol.hpp"
#include "actors/signals.hpp"
#include "actors/worker.hpp"
#include "runtime/app_registry.hpp"
#include "runtime/http_server.hpp"
#include "runtime/rest_protocol.hpp"
#include "runtime/path_check.hpp"
#include "runtime/process.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <filesystem>
#include <iostream>
#include <thread>
#include <unistd.h>

namespace troupe {

namespace {

std::string to_lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// -- local[N] ------------------------------------------------------------------------

/// local[N]: a master, one worker with N cores and its executor, and the
/// driver, all in this process, talking through the same messages.
int run_local(const settings& s) {
  auto work = std::filesystem::temp_directory_path() / ("troupe-local-" + std::to_string(::getpid()));
  if (auto err = check_writable_dir("the local work directory", work.string()); !err.empty()) {
    std::cerr << "error: " << err << std::endl;
    return 1;
  }
  caf::actor_system_config cfg;
  configure_system(cfg, s);
  caf::actor_system sys{cfg};
  auto master = spawn_master(sys, master_options_from(s, "local"));
  auto w = worker_options_from(s);
  w.id = make_worker_id("local", 0);
  w.cores = s.master.local_cores;
  w.memory_mb = std::max<int64_t>(s.executor_memory_mb, s.memory_mb);
  w.work_dir = work.string();
  w.executor_isolation = isolation::thread;
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
  if (!s.app_library.empty())
    if (auto err = pack_driver_library(s.app_library, desc, s.max_frame_bytes - (1 << 20)); !err.empty()) {
      std::cerr << "error: " << err << std::endl;
      return 2;
    }
  auto ask = std::chrono::milliseconds(s.client_timeout_ms);
  caf::scoped_actor self{sys};
  driver_status st;
  std::string err;
  self->request(master, ask, submit_driver{desc})
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
      final_state = follow_driver(sys, master, st.driver, s.heartbeat_interval_ms, ask);
      return 0;
    },
    [&](int sig) {
      // The driver runs on in the cluster; only the waiting stops.
      std::cerr << "stopped waiting; driver " << st.driver << " keeps running (troupe kill --master "
                << s.master.text << " " << st.driver << " stops it)" << std::endl;
      std::_Exit(128 + sig);
    },
    std::chrono::milliseconds(s.stop_grace_ms));
  if (!final_state.found) {
    std::cerr << "error: lost track of driver " << st.driver << ": " << final_state.message << std::endl;
    return 1;
  }
  auto logs = fetch_logs(sys, master, st.driver, std::chrono::milliseconds(s.logs_timeout_ms));
  std::cout << logs.out << std::flush;
  std::cerr << logs.err;
  if (!logs.found)
    std::cerr << "no output of driver " << st.driver << ": " << logs.message << std::endl;
  std::cerr << "driver " << st.driver << " " << to_string(final_state.state) << " on worker " << final_state.worker
            << " (" << final_state.worker_host << ":" << final_state.worker_port << ")"
            << (final_state.message.empty() ? "" : ": " + final_state.message) << std::endl;
  return final_state.state == driver_state::finished ? 0 : 1;
}

/// troupe-rest://H:P: Spark's REST submission protocol (always cluster mode);
/// with --wait, follows the driver's status to its end.
int run_rest_submit(const settings& s) {
  auto timeout = s.client_timeout_ms;
  auto r = http::fetch("POST", s.master.host, s.master.port, "/v1/submissions/create", rest::render_create_request(s),
                       timeout);
  if (r.status == 0) {
    std::cerr << "error: the REST submission server did not answer: " << r.error << std::endl;
    return 1;
  }
  auto reply = rest::parse_reply(r.body);
  if (r.status != 200 || !reply.success || reply.submission_id.empty()) {
    std::cerr << "error: the master refused the submission (HTTP " << r.status << "): "
              << (reply.parsed ? reply.message : r.body) << std::endl;
    return r.status == 400 ? 2 : 1;
  }
  std::cout << "submitted driver " << reply.submission_id << std::endl;
  if (!s.wait)
    return 0;
  auto path = "/v1/submissions/status/" + reply.submission_id;
  for (;;) {
    auto st = http::fetch("GET", s.master.host, s.master.port, path, "", timeout);
    auto f = rest::parse_reply(st.body);
    if (st.status != 200 || !f.parsed) {
      std::cerr << "error: lost track of driver " << reply.submission_id << ": "
                << (st.status == 0 ? st.error : "HTTP " + std::to_string(st.status)) << std::endl;
      return 1;
    }
    auto state = state_from_string<driver_state>(to_lower(f.driver_state));
    if (!f.success || (state && is_finished(*state))) {
      std::cerr << "driver " << reply.submission_id << " " << to_lower(f.driver_state) << " on worker " << f.worker_id
                << " (" << f.worker_host_port << ")" << (f.message.empty() ? "" : ": " + f.message) << std::endl;
      return f.driver_state == "FINISHED" ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max(s.heartbeat_interval_ms, 50)));  // poll interval
  }
}

int run_cluster_submit(const settings& s) {
  return with_master(s, [&](caf::actor_system& sys, const caf::actor& master) {
    return submit_to_cluster(sys, master, s);
  });
}

} // namespace

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
      return run_local_cluster(s, run_client);
    case master_kind::remote:
      if (s.master.rest)
        return run_rest_submit(s);
      switch (s.deploy) {
        case deploy_mode::client: return run_client(s);
        case deploy_mode::cluster: return run_cluster_submit(s);
      }
  }
  return 2;
}

} // namespace troupe
