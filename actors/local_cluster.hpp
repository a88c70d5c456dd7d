#pragma once
// A master and workers on loopback, started and stopped by this process:
// local-cluster[N,C,M] (as processes, for one submission) and `troupe
// simulate` (as processes, or as actors of this process with --threads).

#include "runtime/settings.hpp"

#include <functional>

namespace troupe {

/// local-cluster[N,C,M]: starts the master and N workers as processes, runs
/// `submit` with settings whose master is that cluster, and tears the cluster
/// down after it (on a failed job and on Ctrl-C too). Returns submit's status,
/// or 1 when the cluster did not come up.
int run_local_cluster(const settings& s, const std::function<int(const settings& client)>& submit);

/// `troupe simulate`: a standing cluster until SIGINT or SIGTERM.
int run_simulate(const settings& s, int32_t workers, bool threads);

} // namespace troupe
