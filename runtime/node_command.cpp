#include "runtime/node_command.hpp"

#include "runtime/process.hpp"

namespace troupe {

namespace {

void append(std::vector<std::string>& argv, const std::vector<std::string>& more) {
  argv.insert(argv.end(), more.begin(), more.end());
}

} // namespace

std::vector<std::string> executor_command(const settings& worker, const executor_command_args& e) {
  std::vector<std::string> argv{self_executable(), "node", "--role", "executor", "--app-id", e.app,
                                "--executor-id", e.exec, "--host", e.host, "--cores", std::to_string(e.cores),
                                "--memory", std::to_string(e.memory_mb) + "m", "--work-dir", e.dir,
                                "--driver-url", "troupe://" + e.driver_host + ":" + std::to_string(e.driver_port)};
  append(argv, to_conf_args(worker));
  for (const auto& [k, v] : e.app_conf) {
    argv.push_back("--conf");
    argv.push_back(k + "=" + v);
  }
  return argv;
}

std::vector<std::string> driver_command(const settings& worker, const driver_command_args& d) {
  std::vector<std::string> argv{self_executable(), "node", "--role", "driver", "--master", d.master_url,
                                "--driver-id", d.driver, "--host", d.host};
  append(argv, to_conf_args(worker));
  append(argv, d.conf_args);
  argv.push_back(d.app);
  append(argv, d.app_args);
  return argv;
}

std::vector<std::string> master_command(const settings& s, uint16_t port) {
  std::vector<std::string> argv{self_executable(), "node", "--role", "master", "--host", "127.0.0.1", "--port",
                                std::to_string(port)};
  append(argv, to_conf_args(s));
  return argv;
}

std::vector<std::string> worker_command(const settings& s, uint16_t master_port, int32_t cores, int64_t memory_mb,
                                        const std::string& work_dir) {
  std::vector<std::string> argv{self_executable(), "node", "--role", "worker", "--master",
                                "troupe://127.0.0.1:" + std::to_string(master_port), "--host", "127.0.0.1",
                                "--cores", std::to_string(cores), "--memory", std::to_string(memory_mb) + "m",
                                "--work-dir", work_dir};
  append(argv, to_conf_args(s));
  return argv;
}

} // namespace troupe
