#pragma once
// Waiting on a condition with a deadline instead of sleeping a fixed time.

#include <chrono>
#include <functional>
#include <thread>

namespace troupe::testing {

/// Polls `cond` every `every` until it holds (true) or `limit` passed (false).
inline bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds limit,
                       std::chrono::milliseconds every = std::chrono::milliseconds(50)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (cond())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(every);
  }
}

/// Seconds from `t` to now.
inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace troupe::testing
