// fault_demo MODE [N]: a job whose user function throws, to show (and test)
// how failures travel: MODE "always" throws on record 13 of N on every
// attempt (the job fails after task.max-failures attempts with the text);
// MODE "once" throws on the first attempt only in each executor process and
// then succeeds on retry; MODE "none" never throws.

#include "runtime/app_registry.hpp"
#include "runtime/dataset.hpp"

#include <atomic>
#include <iostream>

namespace troupe::apps {

namespace {

std::atomic<int> thrown_once{0};

enum class fault_mode : uint8_t { none, once, always };

int fault_demo_main(context& ctx, const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2 || (args[0] != "always" && args[0] != "once" && args[0] != "none")) {
    std::cerr << "usage: fault_demo always|once|none [N]\n";
    return 2;
  }
  int64_t n = 100;
  if (args.size() == 2) {
    try {
      n = std::stoll(args[1]);
    } catch (const std::exception&) {
      n = -1;
    }
    if (n < 14) {
      std::cerr << "usage: fault_demo always|once|none [N]   (N >= 14)\n";
      return 2;
    }
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

TROUPE_APP(fault_demo, "fault_demo always|once|none [N]",
           "a job whose function throws on record 13: always, on the first attempt only, or never",
           fault_demo_main);

} // namespace troupe::apps
