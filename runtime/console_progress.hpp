#pragma once
// Spark's console progress bar: "[Stage 1:=====>      (12 + 2) / 40]" on
// one line of a terminal, redrawn a few times a second while stages run and
// erased when they end. The rendering is a pure function; the bar itself is
// a thread reading snapshots of the application's model (runtime/app_status).

#include "runtime/app_status.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace troupe::status {

/// The bar for the stages running now (at most 3, oldest first, side by side
/// as Spark draws them), `width` columns wide in all; "" when none runs.
std::string render_progress(const std::vector<stage_view>& active, int width = 80);

/// Redraws the bar on `fd` (a terminal) every `period_ms` from `model`, and
/// erases it the moment a job ends (before its action returns, as Spark).
class console_progress {
public:
  console_progress(std::shared_ptr<app_status> model, int fd, int period_ms = 200, int width = 80);
  ~console_progress();  ///< stops and erases the bar
  console_progress(const console_progress&) = delete;
  console_progress& operator=(const console_progress&) = delete;
  void stop();

private:
  void run();
  void draw(const std::string& line);
  std::shared_ptr<app_status> model_;
  int fd_, period_ms_, width_;
  std::string last_;
  std::mutex draw_mtx_;  // the bar is drawn by its thread and erased by the driver's at a job's end
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace troupe::status
