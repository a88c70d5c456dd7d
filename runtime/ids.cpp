#include "runtime/ids.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace troupe {

namespace {

/// "yyyyMMddHHmmss" of the current moment in UTC, as Spark stamps its ids.
std::string utc_stamp() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return buf;
}

} // namespace

id_generator::id_generator(std::string prefix) : prefix_(std::move(prefix)), stamp_(utc_stamp()) {
  // nop
}

std::string id_generator::next() {
  char seq[32];
  // Four digits as Spark prints them; wider once past 9999 rather than wrapping.
  std::snprintf(seq, sizeof seq, "%04lld", static_cast<long long>(seq_++));
  return prefix_ + '-' + stamp_ + '-' + seq;
}

std::string make_worker_id(const std::string& host, uint16_t port) {
  return "worker-" + utc_stamp() + '-' + host + '-' + std::to_string(port);
}

int32_t executor_number(const executor_id& id) {
  if (id.empty() || id.size() > 9 || id.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::stoi(id);
}

} // namespace troupe
