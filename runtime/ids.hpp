#pragma once
// Identifiers of the things the roles talk about, formatted as Spark formats them.

#include <cstdint>
#include <string>

namespace troupe {

using app_id = std::string;      ///< "app-20261121132446-0000"
using driver_id = std::string;   ///< "driver-20261121132446-0000"
using worker_id = std::string;   ///< "worker-20261121132446-127.0.0.1-7078"
using executor_id = std::string; ///< "0", "1", ... unique within one application
using job_id = int32_t;          ///< one action of an application
using stage_id = int32_t;        ///< unique within one application
using task_id = int64_t;         ///< unique within one application
using shuffle_id = int32_t;      ///< unique within one application
using node_id = int32_t;         ///< a dataset (an RDD in Spark's words)

/// Makes ids of the form "<prefix>-<yyyyMMddHHmmss>-<NNNN>" with a per-generator
/// sequence number; the timestamp is the generator's creation time (UTC).
class id_generator {
public:
  /// Stamps the generator with the current time; ids use `prefix`.
  explicit id_generator(std::string prefix);
  /// The next id: "<prefix>-<stamp>-0000", then 0001, ... (not thread-safe).
  std::string next();

private:
  std::string prefix_;
  std::string stamp_;
  int64_t seq_ = 0;
};

/// "worker-<yyyyMMddHHmmss>-<host>-<port>" for the given moment (now).
std::string make_worker_id(const std::string& host, uint16_t port);

/// The number an executor id spells ("7" -> 7), or -1 for any other id.
int32_t executor_number(const executor_id& id);

} // namespace troupe
