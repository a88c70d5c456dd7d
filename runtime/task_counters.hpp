#pragma once
// What an executor counts while it runs one task attempt (Spark's
// TaskMetrics, the part troupe measures). Sources, shuffle readers and
// writers and save actions add to the task's counters once per partition or
// block, never per row, so counting costs nothing measurable.

#include <cstdint>

namespace troupe {

/// Counters of one task attempt; every field is summed over the attempt.
struct task_counters {
  int64_t run_time_us = 0;        ///< wall time computing, after decoding the task
  int64_t cpu_time_ns = 0;        ///< CPU time of the thread over the same span
  int64_t deserialize_us = 0;     ///< decoding the task
  int64_t input_records = 0;      ///< rows read from sources (and cached blocks)
  int64_t input_bytes = 0;        ///< bytes of them where known (text lines with their '\n', cached blocks)
  int64_t output_records = 0;     ///< rows written by save actions
  int64_t output_bytes = 0;       ///< bytes those wrote
  int64_t result_bytes = 0;       ///< the encoded result a result task returns
  int64_t shuffle_read_records = 0;
  int64_t shuffle_local_bytes = 0;   ///< blocks from this process's stores: their in-memory size, as the map wrote it
  int64_t shuffle_remote_bytes = 0;  ///< blocks fetched from other processes: their encoded bytes
  int64_t shuffle_local_blocks = 0;
  int64_t shuffle_remote_blocks = 0;
  int64_t shuffle_fetch_wait_us = 0;  ///< time spent fetching shuffle blocks
  int64_t shuffle_write_records = 0;
  int64_t shuffle_write_bytes = 0;    ///< in-memory size of the blocks written (the map sizes)

  /// Bytes read from shuffles, local and remote.
  int64_t shuffle_read_bytes() const { return shuffle_local_bytes + shuffle_remote_bytes; }

  /// Adds every field of `o`.
  task_counters& operator+=(const task_counters& o) {
    run_time_us += o.run_time_us;
    cpu_time_ns += o.cpu_time_ns;
    deserialize_us += o.deserialize_us;
    input_records += o.input_records;
    input_bytes += o.input_bytes;
    output_records += o.output_records;
    output_bytes += o.output_bytes;
    result_bytes += o.result_bytes;
    shuffle_read_records += o.shuffle_read_records;
    shuffle_local_bytes += o.shuffle_local_bytes;
    shuffle_remote_bytes += o.shuffle_remote_bytes;
    shuffle_local_blocks += o.shuffle_local_blocks;
    shuffle_remote_blocks += o.shuffle_remote_blocks;
    shuffle_fetch_wait_us += o.shuffle_fetch_wait_us;
    shuffle_write_records += o.shuffle_write_records;
    shuffle_write_bytes += o.shuffle_write_bytes;
    return *this;
  }
};

} // namespace troupe
