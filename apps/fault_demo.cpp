// fault_demo MODE [N] [ARG]: jobs that misbehave on purpose, to show (and
// test) how failures travel.
// - "always" throws on record 13 of N on every attempt (the job fails after
//   task.max-failures attempts with the text);
// - "once" throws on the first attempt only in each executor process and then
//   succeeds on retry; "none" never throws;
// - "shuffle N MS": a two-stage job (24 map tasks, 6 reduce tasks, each task
//   sleeping MS ms) long enough to kill executors under; prints
//   "groups=G total=T checksum=C", the same on every run for the same N;
// - "straggler N SECONDS": 8 tasks of about 200 ms, except that the first
//   attempt of partition 5 sleeps SECONDS (a slow machine): with
//   task.speculation=true a copy wins long before; prints "sum=S count=C".
// Every mode is deterministic: the printed line depends on N only.

#include "runtime/app_registry.hpp"
#include "runtime/dataset.hpp"
#include "runtime/task_runner.hpp"

#include <atomic>
#include <chrono>
#include <iostream>
#include <limits>
#include <thread>

namespace troupe::apps {

namespace {

std::atomic<int> thrown_once{0};

enum class fault_mode : uint8_t { none, once, always };

constexpr const char* usage = "usage: fault_demo always|once|none [N]   (N >= 14)\n"
                              "       fault_demo shuffle N MS           (N >= 1, 0 <= MS <= 600000)\n"
                              "       fault_demo straggler N SECONDS    (N >= 8, 1 <= SECONDS <= 3600)\n";

bool parse_count(const std::string& text, int64_t lo, int64_t hi, int64_t& out) {
  try {
    size_t used = 0;
    out = std::stoll(text, &used);
    return used == text.size() && out >= lo && out <= hi;
  } catch (const std::exception&) {
    return false;
  }
}

void sleep_ms(int64_t ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

int shuffle_job(context& ctx, int64_t n, int64_t ms) {
  auto groups = ctx.range(0, n, 1, 24)
                  .map_partitions([ms](std::vector<int64_t> rows) {
                    sleep_ms(ms);
                    return rows;
                  })
                  .map([](int64_t x) { return std::pair<int64_t, int64_t>{x % 97, x}; })
                  .reduce_by_key([](int64_t a, int64_t b) { return a + b; }, 6)
                  .map_partitions([ms](std::vector<std::pair<int64_t, int64_t>> rows) {
                    sleep_ms(ms);
                    return rows;
                  })
                  .collect();
  int64_t total = 0;
  int64_t checksum = 0;
  for (auto& [k, v] : groups) {
    total += v;
    checksum += (k + 1) * v;
  }
  std::cout << "groups=" << groups.size() << " total=" << total << " checksum=" << checksum << "\n";
  return 0;
}

int straggler_job(context& ctx, int64_t n, int64_t seconds) {
  auto r = ctx.range(0, n, 1, 8)
             .map_partitions([seconds](int32_t p, std::vector<int64_t> rows) {
               if (p == 5 && current_task_attempt() == 0)
                 sleep_ms(seconds * 1000);
               else
                 sleep_ms(200);
               std::vector<std::pair<int64_t, int64_t>> out;
               for (auto x : rows)
                 out.emplace_back(x, 1);
               return out;
             })
             .reduce([](std::pair<int64_t, int64_t> a, std::pair<int64_t, int64_t> b) {
               return std::pair<int64_t, int64_t>{a.first + b.first, a.second + b.second};
             });
  std::cout << "sum=" << r.first << " count=" << r.second << "\n";
  return 0;
}

int fault_demo_main(context& ctx, const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "shuffle" || args[0] == "straggler")) {
    bool shuffle = args[0] == "shuffle";
    int64_t n = 0;
    int64_t x = 0;
    if (args.size() != 3 || !parse_count(args[1], shuffle ? 1 : 8, int64_t{1} << 40, n)
        || !parse_count(args[2], shuffle ? 0 : 1, shuffle ? 600000 : 3600, x)) {
      std::cerr << usage;
      return 2;
    }
    return shuffle ? shuffle_job(ctx, n, x) : straggler_job(ctx, n, x);
  }
  if (args.empty() || args.size() > 2 || (args[0] != "always" && args[0] != "once" && args[0] != "none")) {
    std::cerr << usage;
    return 2;
  }
  int64_t n = 100;
  if (args.size() == 2 && !parse_count(args[1], 14, std::numeric_limits<int64_t>::max(), n)) {
    std::cerr << usage;
    return 2;
  }
  auto mode = args[0] == "always" ? fault_mode::always : args[0] == "once" ? fault_mode::once : fault_mode::none;
  auto sum = ctx.range(0, n, 1, 4)
               .map([mode](int64_t x) {
                 if (x == 13 && (mode == fault_mode::always || (mode == fault_mode::once && thrown_once++ == 0)))
                   throw std::runtime_error("fault_demo: record 13 is unlucky");
                 return x;
               })
               .reduce([](int64_t a, int64_t b) { return a + b; });
  std::cout << "sum=" << sum << "\n";
  return 0;
}

} // namespace

TROUPE_APP(fault_demo, "fault_demo always|once|none [N] | shuffle N MS | straggler N SECONDS",
           "jobs that fail on purpose: a function throwing on record 13 (always, once, never), a slow two-stage "
           "job to kill executors under, a straggler task for speculation",
           fault_demo_main);

} // namespace troupe::apps
