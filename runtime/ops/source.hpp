#pragma once
// Sources: parallelize (driver data, sliced per task), range, text_file.

#include "runtime/plan.hpp"
#include "runtime/text_file.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace troupe::ops {

/// Rows held by the driver; a task carries only its own slice.
template <class T>
class parallelize_node final : public node<T> {
public:
  explicit parallelize_node(std::vector<std::vector<T>> slices) : slices_(std::move(slices)) {}

  const char* impl() const override { return registered<parallelize_node>::name; }
  std::string describe() const override { return "parallelize"; }
  void encode(writer& w, int32_t p) const override { w << p << slices_.at(p); }
  static std::shared_ptr<node_base> decode(reader& r, const node_header& h, decode_env&) {
    auto p = r.read<int32_t>();
    std::vector<std::vector<T>> slices(static_cast<size_t>(h.partitions));
    r >> slices.at(p);
    return std::make_shared<parallelize_node>(std::move(slices));
  }

protected:
  void compute(task_context&, int32_t p, sink<T>& out) override {
    for (const T& x : slices_.at(p)) {
      T copy = x;
      out.push(std::move(copy));
    }
  }

private:
  std::vector<std::vector<T>> slices_;
};

/// Integers start, start+step, ... below end (above end for a negative step).
class range_node final : public node<int64_t> {
public:
  range_node(int64_t start, int64_t end, int64_t step) : start_(start), end_(end), step_(step) {}

  const char* impl() const override { return registered<range_node>::name; }
  std::string describe() const override { return "range"; }
  void encode(writer& w, int32_t) const override { w << start_ << end_ << step_; }
  static std::shared_ptr<node_base> decode(reader& r, const node_header&, decode_env&) {
    auto start = r.read<int64_t>();
    auto end = r.read<int64_t>();
    auto step = r.read<int64_t>();
    return std::make_shared<range_node>(start, end, step);
  }
  /// Number of elements.
  int64_t count() const {
    __int128 span = static_cast<__int128>(end_) - start_;
    if ((step_ > 0 && span <= 0) || (step_ < 0 && span >= 0))
      return 0;
    __int128 s = step_;
    return static_cast<int64_t>((span + s + (step_ > 0 ? -1 : 1)) / s);
  }

protected:
  void compute(task_context&, int32_t p, sink<int64_t>& out) override {
    __int128 n = count();
    auto lo = static_cast<int64_t>(n * p / partitions);
    auto hi = static_cast<int64_t>(n * (p + 1) / partitions);
    for (int64_t i = lo; i < hi; ++i) {
      int64_t x = start_ + i * step_;
      out.push(std::move(x));
    }
  }

private:
  int64_t start_, end_, step_;
};

/// Lines of a file, one split per partition.
class text_file_node final : public node<std::string> {
public:
  text_file_node(std::string path, std::vector<file_split> splits)
    : path_(std::move(path)), splits_(std::move(splits)) {}

  const char* impl() const override { return registered<text_file_node>::name; }
  std::string describe() const override { return "text_file " + path_; }
  void encode(writer& w, int32_t p) const override {
    w << path_ << p << splits_.at(p).start << splits_.at(p).end;
  }
  static std::shared_ptr<node_base> decode(reader& r, const node_header& h, decode_env&) {
    auto path = r.read<std::string>();
    auto p = r.read<int32_t>();
    std::vector<file_split> splits(static_cast<size_t>(h.partitions));
    r >> splits.at(p).start >> splits.at(p).end;
    return std::make_shared<text_file_node>(std::move(path), std::move(splits));
  }

protected:
  void compute(task_context&, int32_t p, sink<std::string>& out) override {
    read_lines(path_, splits_.at(p), out);
  }

private:
  std::string path_;
  std::vector<file_split> splits_;
};

} // namespace troupe::ops
