#pragma once
// Sources: parallelize (driver data, sliced per task), range, text_file.

#include "runtime/ops/op.hpp"
#include "runtime/text_file.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace troupe {

/// A split travels as its two offsets.
template <class I>
auto inspect(I& f, file_split& x) { return f(x.start, x.end); }

} // namespace troupe

namespace troupe::ops {

/// Rows held by the driver; a task carries only its own slice.
template <class T>
class parallelize_node final : public op<parallelize_node<T>, node<T>> {
public:
  parallelize_node() = default;
  explicit parallelize_node(std::vector<std::vector<T>> slices) : slices_(std::move(slices)) {}
  std::string describe() const override { return "parallelize"; }
  template <class I>
  friend auto inspect(I& f, parallelize_node& x) { return f(this_partition(x.slices_)); }

protected:
  void compute(task_context& ctx, int32_t p, sink<T>& out) override {
    ctx.counters.input_records += static_cast<int64_t>(slices_.at(p).size());
    for (const T& x : slices_.at(p)) {
      T copy = x;
      out.push(std::move(copy));
    }
  }

private:
  std::vector<std::vector<T>> slices_;
};

/// Integers start, start+step, ... below end (above end for a negative step).
class range_node final : public op<range_node, node<int64_t>> {
public:
  range_node() = default;
  range_node(int64_t start, int64_t end, int64_t step) : start_(start), end_(end), step_(step) {}
  std::string describe() const override { return "range"; }
  template <class I>
  friend auto inspect(I& f, range_node& x) { return f(x.start_, x.end_, x.step_); }
  /// Number of elements.
  int64_t count() const {
    __int128 span = static_cast<__int128>(end_) - start_;
    if ((step_ > 0 && span <= 0) || (step_ < 0 && span >= 0))
      return 0;
    __int128 s = step_;
    return static_cast<int64_t>((span + s + (step_ > 0 ? -1 : 1)) / s);
  }

protected:
  void compute(task_context& ctx, int32_t p, sink<int64_t>& out) override {
    __int128 n = count();
    auto lo = static_cast<int64_t>(n * p / partitions);
    auto hi = static_cast<int64_t>(n * (p + 1) / partitions);
    ctx.counters.input_records += hi - lo;
    for (int64_t i = lo; i < hi; ++i) {
      int64_t x = start_ + i * step_;
      out.push(std::move(x));
    }
  }

private:
  int64_t start_ = 0, end_ = 0, step_ = 1;
};

/// Lines of a file, one split per partition.
class text_file_node final : public op<text_file_node, node<std::string>> {
public:
  text_file_node() = default;
  text_file_node(std::string path, std::vector<file_split> splits)
    : path_(std::move(path)), splits_(std::move(splits)) {}
  std::string describe() const override { return "text_file " + path_; }
  template <class I>
  friend auto inspect(I& f, text_file_node& x) { return f(x.path_, this_partition(x.splits_)); }

protected:
  void compute(task_context& ctx, int32_t p, sink<std::string>& out) override {
    auto read = read_lines(path_, splits_.at(p), out);
    ctx.counters.input_records += read.lines;
    ctx.counters.input_bytes += read.bytes;
  }

private:
  std::string path_;
  std::vector<file_split> splits_;
};

} // namespace troupe::ops
