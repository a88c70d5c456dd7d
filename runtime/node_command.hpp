#pragma once
// The command lines of the troupe processes that troupe itself starts: the
// executors and drivers a worker launches, and the master and workers of
// local-cluster[N,C,M] and `troupe simulate`. The one place that writes them,
// so that they always parse back (runtime/command_line) into the settings the
// parent meant.

#include "runtime/settings.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace troupe {

/// One executor a worker starts as a child process.
struct executor_command_args {
  std::string app;          ///< --app-id
  std::string exec;         ///< --executor-id
  std::string host;         ///< --host: where it serves blocks
  int32_t cores = 1;        ///< --cores
  int64_t memory_mb = 1024; ///< --memory
  std::string dir;          ///< --work-dir: its folder in the worker's work dir
  std::string driver_host;  ///< --driver-url troupe://driver_host:driver_port
  uint16_t driver_port = 0;
  std::map<std::string, std::string> app_conf;  ///< the application's --conf, applied last
};

/// `troupe node --role executor ...` with the worker's settings, then the app's conf.
std::vector<std::string> executor_command(const settings& worker, const executor_command_args& e);

/// One cluster-mode driver a worker starts as a child process.
struct driver_command_args {
  std::string master_url;              ///< --master
  std::string driver;                  ///< --driver-id
  std::string host;                    ///< --host
  std::vector<std::string> conf_args;  ///< the submitter's --conf arguments, applied last
  std::string app;                     ///< APP
  std::vector<std::string> app_args;   ///< APP_ARGS
};

/// `troupe node --role driver ... APP APP_ARGS` with the worker's settings, then the submitter's.
std::vector<std::string> driver_command(const settings& worker, const driver_command_args& d);

/// `troupe node --role master` on 127.0.0.1:port for local-cluster and simulate.
std::vector<std::string> master_command(const settings& s, uint16_t port);

/// `troupe node --role worker` on 127.0.0.1 for local-cluster and simulate.
std::vector<std::string> worker_command(const settings& s, uint16_t master_port, int32_t cores, int64_t memory_mb,
                                        const std::string& work_dir);

} // namespace troupe
