#include "actors/signals.hpp"

#include "runtime/log.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <pthread.h>
#include <thread>

namespace troupe {

void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run_with_signals(const std::function<int()>& body, const std::function<void(int)>& on_signal,
                     std::chrono::milliseconds grace) {
  std::atomic<bool> done{false};
  int result = 0;
  std::thread worker([&] {
    try {
      result = body();
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << std::endl;
      result = 1;
    } catch (...) {
      std::cerr << "error: an unknown exception stopped this process" << std::endl;
      result = 1;
    }
    done = true;
  });
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signaled = 0;
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (!done) {
    timespec tick{0, 50'000'000};  // how often `done` is looked at, not a timeout
    int sig = ::sigtimedwait(&set, nullptr, &tick);
    if (sig > 0 && signaled == 0) {
      signaled = sig;
      deadline = std::chrono::steady_clock::now() + grace;
      log::submit()->info("signal {} received, stopping", sig);
      on_signal(sig);
    }
    if (signaled != 0 && std::chrono::steady_clock::now() > deadline && !done) {
      log::submit()->warn("still busy {} ms after signal {}; exiting now", grace.count(), signaled);
      std::_Exit(128 + signaled);
    }
  }
  worker.join();
  return result;
}

} // namespace troupe
