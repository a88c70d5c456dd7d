#include "runtime/console_progress.hpp"

#include <algorithm>
#include <unistd.h>

namespace troupe::status {

std::string render_progress(const std::vector<stage_view>& active, int width) {
  std::vector<const stage_view*> shown;
  // A stage shows once a task of it ran (not while it waits on its parents).
  for (auto& s : active)
    if (s.status == stage_status::active && s.num_tasks > 0 && s.active_tasks + s.complete_tasks + s.failed_tasks > 0)
      shown.push_back(&s);
  if (shown.empty())
    return "";
  std::sort(shown.begin(), shown.end(), [](auto* a, auto* b) { return a->id < b->id; });
  if (shown.size() > 3)
    shown.resize(3);
  // Spark: each stage gets an equal share of the width.
  int share = std::max(width / static_cast<int>(shown.size()), 1);
  std::string out;
  for (auto* s : shown) {
    auto head = "[Stage " + std::to_string(s->id) + ":";
    auto tail = "(" + std::to_string(s->complete_tasks) + " + " + std::to_string(s->active_tasks) + ") / "
                + std::to_string(s->num_tasks) + "]";
    int w = share - static_cast<int>(head.size() + tail.size());
    std::string bar;
    if (w > 0) {
      int done = static_cast<int>(static_cast<int64_t>(w) * std::min(s->complete_tasks, s->num_tasks) / s->num_tasks);
      for (int i = 0; i < w; ++i)
        bar += i < done ? '=' : (i == done ? '>' : ' ');
    }
    out += head + bar + tail;
  }
  return out;
}

console_progress::console_progress(std::shared_ptr<app_status> model, int fd, int period_ms, int width)
    : model_(std::move(model)), fd_(fd), period_ms_(std::max(period_ms, 10)), width_(width) {
  model_->on_applied([this](const event& e) {
    if (e.kind == event_kind::job_end)
      draw("");
  });
  thread_ = std::thread([this] { run(); });
}

console_progress::~console_progress() {
  stop();
}

void console_progress::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_ && !thread_.joinable())
      return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  model_->on_applied({});
  draw("");
}

void console_progress::draw(const std::string& line) {
  std::lock_guard<std::mutex> guard{draw_mtx_};
  if (line == last_)
    return;
  // \r, the new line, and blanks over what is left of a longer old one.
  std::string out = "\r" + line;
  if (last_.size() > line.size())
    out += std::string(last_.size() - line.size(), ' ') + "\r" + line;
  if (line.empty())
    out += "\r";
  last_ = line;
  auto n = ::write(fd_, out.data(), out.size());
  (void)n;
}

void console_progress::run() {
  std::unique_lock<std::mutex> lock{mtx_};
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(period_ms_));
    if (stopping_)
      break;
    auto snap = model_->snap();
    draw(render_progress(snap.stages, width_));
  }
}

} // namespace troupe::status
