#pragma once
// Splitting a text file into byte ranges aligned to lines, and reading one.

#include "runtime/sink.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace troupe {

/// A byte range [start, end) of a file. The split owns every line whose first
/// byte lies in the range; a line runs to the next '\n' (dropped) or the end
/// of the file, even past `end`.
struct file_split {
  int64_t start = 0;
  int64_t end = 0;
};

/// Splits a file of `size` bytes into ceil(size / split_size) ranges, at least
/// `min_splits` (and at least one, even for an empty file).
std::vector<file_split> make_splits(int64_t size, int64_t split_size, int32_t min_splits);

/// Size of a regular file; throws std::runtime_error naming the path and the
/// reason when it is missing, unreadable or not a regular file.
int64_t file_size_or_throw(const std::string& path);

/// What read_lines read.
struct lines_read {
  int64_t lines = 0;
  int64_t bytes = 0;  ///< the lines' bytes in the file, each with its '\n' (the splits of a file sum to its size)
};

/// Pushes the lines of `split` of `path` into `out`, without their '\n'.
/// Throws std::runtime_error naming the path on I/O errors.
lines_read read_lines(const std::string& path, const file_split& split, sink<std::string>& out);

} // namespace troupe
