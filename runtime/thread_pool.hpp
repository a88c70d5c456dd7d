#pragma once
// A fixed pool of threads for executor tasks, so CPU-bound user code never
// runs on CAF's scheduler threads.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace troupe {

/// FIFO thread pool. The destructor finishes queued jobs, then joins.
class thread_pool {
public:
  /// Starts `threads` threads (at least one).
  explicit thread_pool(size_t threads);
  ~thread_pool();
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// Queues a job; thread-safe.
  void submit(std::function<void()> job);
  /// Number of threads.
  size_t size() const { return threads_.size(); }

private:
  void run();
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  size_t idle_ = 0;  // threads waiting for a job
  std::vector<std::thread> threads_;
};

} // namespace troupe
