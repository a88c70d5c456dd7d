#pragma once
// Deploy: the one place that decides where the driver actor is spawned.
//   local[N]             master, worker, executor and driver in this process
//   local-cluster[N,C,M] a master and N workers as processes on loopback; the
//                        driver here (client mode)
//   troupe://h:p client  the driver in this process, the rest in the cluster
//   troupe://h:p cluster the driver on a worker the master chose
// Nothing outside this file pair asks which mode it is in.

#include "runtime/settings.hpp"

namespace troupe {

/// Runs `troupe submit`; returns the exit status (0 ok, 1 job failed, 2 usage).
int run_submit(const settings& s);

} // namespace troupe
