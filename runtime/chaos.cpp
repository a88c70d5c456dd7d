#include "runtime/chaos.hpp"

#include <algorithm>
#include <cstdio>

namespace troupe {

std::string_view to_string(chaos_action a) {
  switch (a) {
    case chaos_action::kill: return "SIGKILL";
    case chaos_action::stop: return "SIGSTOP";
    case chaos_action::resume: return "SIGCONT";
    case chaos_action::restart: return "restart";
  }
  return "unknown";
}

std::string_view to_string(chaos_target t) {
  switch (t) {
    case chaos_target::worker: return "worker";
    case chaos_target::executor: return "executor";
    case chaos_target::driver: return "driver";
    case chaos_target::master: return "master";
  }
  return "unknown";
}

std::string describe(const chaos_event& e) {
  char t[32];
  std::snprintf(t, sizeof t, "t=%.3fs ", static_cast<double>(e.at_ms) / 1000.0);
  return t + std::string{to_string(e.action)} + " " + std::string{to_string(e.target)} + " "
         + std::to_string(e.index);
}

uint64_t chaos_rng::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

/// A fault kind that may be drawn, with its weight.
struct candidate {
  chaos_action action;
  chaos_target target;
  uint64_t weight;
};

/// The fault kinds allowed at this moment: worker faults only while fewer
/// than N-1 workers are down, the master only while it is up.
std::vector<candidate> candidates(const chaos_options& o, const chaos_shape& shape, int32_t down, bool master_up) {
  std::vector<candidate> c;
  if (shape.workers >= 2 && down < shape.workers - 1) {
    c.push_back({chaos_action::kill, chaos_target::worker, 2});
    if (o.freeze)
      c.push_back({chaos_action::stop, chaos_target::worker, 1});
  }
  c.push_back({chaos_action::kill, chaos_target::executor, 3});
  if (o.freeze)
    c.push_back({chaos_action::stop, chaos_target::executor, 1});
  if (shape.supervised_drivers) {
    c.push_back({chaos_action::kill, chaos_target::driver, 1});
    if (o.freeze)
      c.push_back({chaos_action::stop, chaos_target::driver, 1});
  }
  if (shape.recovery && master_up)
    c.push_back({chaos_action::kill, chaos_target::master, 1});
  return c;
}

} // namespace

std::vector<chaos_event> chaos_schedule(const chaos_options& o, const chaos_shape& shape) {
  auto interval = std::max<int64_t>(o.interval_ms, 1);
  auto restart_delay = o.restart_delay_ms > 0 ? o.restart_delay_ms : std::max<int64_t>(interval / 2, 1);
  chaos_rng rng{o.seed};
  std::vector<chaos_event> drawn;
  std::vector<int64_t> worker_up_at(static_cast<size_t>(std::max(shape.workers, 0)), 0);
  int64_t master_up_at = 0;
  int32_t faults = 0;
  for (int64_t t = interval / 2 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(interval)));
       t < o.horizon_ms && (o.max_faults <= 0 || faults < o.max_faults);
       t += interval / 2 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(interval))), ++faults) {
    std::vector<int32_t> up;
    for (size_t w = 0; w < worker_up_at.size(); ++w)
      if (worker_up_at[w] <= t)
        up.push_back(static_cast<int32_t>(w));
    auto down = shape.workers - static_cast<int32_t>(up.size());
    auto kinds = candidates(o, shape, down, master_up_at <= t);
    uint64_t total = 0;
    for (auto& k : kinds)
      total += k.weight;
    auto pick = rng.below(total);
    size_t i = 0;
    while (pick >= kinds[i].weight)
      pick -= kinds[i++].weight;
    chaos_event fault{t, kinds[i].action, kinds[i].target, 0, -1};
    switch (fault.target) {
      case chaos_target::worker: fault.index = up[rng.below(up.size())]; break;
      case chaos_target::executor:
      case chaos_target::driver: fault.index = static_cast<int32_t>(rng.below(1024)); break;
      case chaos_target::master: fault.index = 0; break;
    }
    auto at = static_cast<int32_t>(drawn.size());
    drawn.push_back(fault);
    int64_t back = 0;
    if (fault.action == chaos_action::stop) {
      back = t + interval / 4 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(2 * interval - interval / 4 + 1)));
      drawn.push_back({back, chaos_action::resume, fault.target, fault.index, at});
    } else if (fault.target == chaos_target::worker || fault.target == chaos_target::master) {
      back = t + restart_delay;
      drawn.push_back({back, chaos_action::restart, fault.target, fault.index, at});
    }
    if (fault.target == chaos_target::worker)
      worker_up_at[static_cast<size_t>(fault.index)] = back;
    else if (fault.target == chaos_target::master)
      master_up_at = back;
  }
  // Time order; an undo event keeps pointing at its fault.
  std::vector<size_t> order(drawn.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return drawn[a].at_ms < drawn[b].at_ms; });
  std::vector<int32_t> position(drawn.size());
  for (size_t i = 0; i < order.size(); ++i)
    position[order[i]] = static_cast<int32_t>(i);
  std::vector<chaos_event> out;
  out.reserve(drawn.size());
  for (auto i : order) {
    auto e = drawn[i];
    if (e.undoes >= 0)
      e.undoes = position[static_cast<size_t>(e.undoes)];
    out.push_back(e);
  }
  return out;
}

} // namespace troupe
