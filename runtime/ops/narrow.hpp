#pragma once
// Narrow operations: computed in the same task as their parent, fused into
// one pass through nested sinks.

#include "runtime/memory_guard.hpp"
#include "runtime/ops/op.hpp"

#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace troupe::ops {

/// The row type a flat_map function's result holds.
template <class R>
using element_t = std::decay_t<decltype(*std::begin(std::declval<R&>()))>;

/// U = f(T), row by row.
template <class T, class U, class F>
class map_node final : public op<map_node<T, U, F>, node<U>> {
public:
  map_node() = default;
  explicit map_node(F f) : f_(std::move(f)) {}
  std::string describe() const override { return "map"; }
  template <class I>
  friend auto inspect(I& f, map_node& x) { return f(x.f_); }

protected:
  void compute(task_context& ctx, int32_t p, sink<U>& out) override {
    auto s = make_sink<T>([&](T&& x) { out.push(static_cast<U>(f_(std::move(x)))); });
    parent_as<T>(*this, 0)->run(ctx, p, s);
  }

private:
  function_field<F> f_;
};

/// Rows for which f is true.
template <class T, class F>
class filter_node final : public op<filter_node<T, F>, node<T>> {
public:
  filter_node() = default;
  explicit filter_node(F f) : f_(std::move(f)) {}
  std::string describe() const override { return "filter"; }
  template <class I>
  friend auto inspect(I& f, filter_node& x) { return f(x.f_); }

protected:
  void compute(task_context& ctx, int32_t p, sink<T>& out) override {
    auto s = make_sink<T>([&](T&& x) {
      if (f_(std::as_const(x)))
        out.push(std::move(x));
    });
    parent_as<T>(*this, 0)->run(ctx, p, s);
  }

private:
  function_field<F> f_;
};

/// Every element of the container f returns.
template <class T, class U, class F>
class flat_map_node final : public op<flat_map_node<T, U, F>, node<U>> {
public:
  flat_map_node() = default;
  explicit flat_map_node(F f) : f_(std::move(f)) {}
  std::string describe() const override { return "flat_map"; }
  template <class I>
  friend auto inspect(I& f, flat_map_node& x) { return f(x.f_); }

protected:
  void compute(task_context& ctx, int32_t p, sink<U>& out) override {
    auto s = make_sink<T>([&](T&& x) {
      auto&& many = f_(std::move(x));
      for (auto& u : many)
        out.push(static_cast<U>(std::move(u)));
    });
    parent_as<T>(*this, 0)->run(ctx, p, s);
  }

private:
  function_field<F> f_;
};

/// f(rows of a partition) or f(partition index, rows) -> container of U.
template <class T, class U, class F>
class map_partitions_node final : public op<map_partitions_node<T, U, F>, node<U>> {
public:
  map_partitions_node() = default;
  explicit map_partitions_node(F f) : f_(std::move(f)) {}
  std::string describe() const override { return "map_partitions"; }
  template <class I>
  friend auto inspect(I& f, map_partitions_node& x) { return f(x.f_); }

protected:
  void compute(task_context& ctx, int32_t p, sink<U>& out) override {
    std::vector<T> in;
    auto s = make_sink<T>([&](T&& x) {
      memory_guard::check();
      in.push_back(std::move(x));
    });
    parent_as<T>(*this, 0)->run(ctx, p, s);
    auto&& result = call(p, std::move(in));
    for (auto& u : result)
      out.push(static_cast<U>(std::move(u)));
  }

private:
  decltype(auto) call(int32_t p, std::vector<T>&& in) {
    if constexpr (std::is_invocable_v<F&, int32_t, std::vector<T>&&>)
      return f_(p, std::move(in));
    else
      return f_(std::move(in));
  }
  function_field<F> f_;
};

/// The partitions of every parent, one after the other.
template <class T>
class union_node final : public op<union_node<T>, node<T>> {
public:
  union_node() = default;
  explicit union_node(std::vector<int32_t> sizes) : sizes_(std::move(sizes)) {}
  std::string describe() const override { return "union"; }
  template <class I>
  friend auto inspect(I& f, union_node& x) { return f(x.sizes_); }
  std::vector<std::pair<size_t, int32_t>> parent_partitions(int32_t p) const override {
    return {locate(p)};
  }

protected:
  void compute(task_context& ctx, int32_t p, sink<T>& out) override {
    auto [i, pp] = locate(p);
    parent_as<T>(*this, i)->run(ctx, pp, out);
  }

private:
  // On an executor only the needed parent is present, so offsets come from
  // the partition counts recorded at construction.
  std::pair<size_t, int32_t> locate(int32_t p) const {
    int32_t offset = 0;
    for (size_t i = 0; i < sizes_.size(); ++i) {
      if (p < offset + sizes_[i])
        return {i, p - offset};
      offset += sizes_[i];
    }
    throw std::out_of_range("union: partition out of range");
  }
  std::vector<int32_t> sizes_;  // partition counts of the parents, in order
};

} // namespace troupe::ops
