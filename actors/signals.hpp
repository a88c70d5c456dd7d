#pragma once
// Stopping on SIGINT and SIGTERM: every troupe process blocks them first
// thing and then waits for them with sigtimedwait, so that nodes stop cleanly
// (workers stop their executors first). Plain POSIX, no CAF.

#include <chrono>
#include <functional>

namespace troupe {

/// Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it
/// starts); call first thing in main. Nodes then wait for them with sigwait.
void block_stop_signals();

/// Runs `body` in a thread of its own while this one waits for SIGINT or
/// SIGTERM; `on_signal` is called once on the first signal. If body has not
/// returned `grace` after that (a task thread cannot be interrupted), the
/// process exits with 128 + signal. Returns body's result; a body that throws
/// is reported on stderr and yields 1 (never std::terminate).
int run_with_signals(const std::function<int()>& body, const std::function<void(int)>& on_signal,
                     std::chrono::milliseconds grace);

} // namespace troupe
