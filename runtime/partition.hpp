#pragma once
// A partition's rows behind a type-erased handle: in one process rows move
// between tasks as objects; only crossing a process or spilling encodes them.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace troupe {

class partition_data;
using partition_ptr = std::shared_ptr<const partition_data>;

/// Rebuilds a partition from the bytes `partition_data::encode` wrote.
using partition_decoder = partition_ptr (*)(const char* data, size_t size);

/// Rows of some type T (see rows_of<T> in runtime/serialize.hpp).
class partition_data {
public:
  virtual ~partition_data() = default;
  /// Number of rows.
  virtual size_t rows() const = 0;
  /// Approximate heap bytes held, for memory accounting and spilling.
  virtual size_t bytes_estimate() const = 0;
  /// Appends the msgpack encoding of the rows to `out`.
  virtual void encode(std::string& out) const = 0;
  /// The function that decodes what encode wrote.
  virtual partition_decoder decoder() const = 0;
};

} // namespace troupe
