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

/// Runs `troupe node --role ...` until it is stopped; returns the exit status.
int run_node(const settings& s);

/// Runs `troupe simulate`: a standing cluster until SIGINT or SIGTERM.
int run_simulate(const settings& s, int32_t workers, bool threads);

/// Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it
/// starts); call first thing in main. Nodes then wait for them with sigwait.
void block_stop_signals();

} // namespace troupe
