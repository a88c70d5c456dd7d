#include "runtime/thread_pool.hpp"

#include "runtime/log.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace troupe {

thread_pool::thread_pool(size_t threads) {
  if (threads == 0)
    threads = 1;
  threads_.reserve(threads);
  try {
    for (size_t i = 0; i < threads; ++i)
      threads_.emplace_back([this] { run(); });
  } catch (...) {
    // The machine refused a thread: stop and join those already running (a
    // joinable std::thread destroyed would std::terminate), then report.
    {
      std::lock_guard guard{mtx_};
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      t.join();
    throw;
  }
}

thread_pool::~thread_pool() {
  {
    std::lock_guard guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    t.join();
}

void thread_pool::submit(std::function<void()> job) {
  bool wake;
  {
    std::lock_guard guard{mtx_};
    jobs_.push_back(std::move(job));
    // A busy thread takes the job when it is done: only wake a waiting one
    // (a futex syscall per task otherwise).
    wake = idle_ > 0;
  }
  if (wake)
    cv_.notify_one();
}

void thread_pool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock{mtx_};
      ++idle_;
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      --idle_;
      // Stopping still drains the queue: the destructor promises queued jobs run.
      if (jobs_.empty())
        return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    // A job that throws must not take the thread (and the process) down with it;
    // task code reports its own errors, so this is a last line of defense.
    try {
      job();
    } catch (const std::exception& e) {
      log::executor()->error("thread pool job threw: {}", e.what());
    } catch (...) {
      log::executor()->error("thread pool job threw a non-standard exception");
    }
  }
}

} // namespace troupe
