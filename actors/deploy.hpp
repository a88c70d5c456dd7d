#pragma once
// Deploy: the one place that decides where the driver actor is spawned.
// local: master, worker, executors and driver in this process.
// client: the driver in this process, the rest in the cluster.
// cluster: the driver on a worker the master chose.
// Nothing outside this file pair asks which mode it is in.

#include "runtime/settings.hpp"

namespace troupe {

/// Runs `troupe submit`; returns the process exit status
/// (0 success, 1 job failed, 2 usage error).
int run_submit(const settings& s);

} // namespace troupe
