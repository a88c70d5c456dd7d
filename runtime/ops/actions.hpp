#pragma once
// Actions: what a result task does with its partition. Each returns an
// encoded partial result that the dataset API merges on the driver.

#include "runtime/ops/op.hpp"

#include <cstdio>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace troupe::ops {

/// All rows of the partition.
template <class T>
class collect_op final : public op<collect_op<T>, result_op_base> {
public:
  template <class I>
  friend auto inspect(I& f, collect_op&) { return f(); }
  std::string run(task_context& ctx, node_base& n, int32_t p) override {
    std::vector<T> all;
    auto s = make_sink<T>([&](T&& x) { all.push_back(std::move(x)); });
    static_cast<node<T>&>(n).run(ctx, p, s);
    return troupe::encode(all);
  }
};

/// The first `limit` rows of the partition.
template <class T>
class take_op final : public op<take_op<T>, result_op_base> {
public:
  take_op() = default;
  explicit take_op(int64_t limit) : limit_(limit) {}
  template <class I>
  friend auto inspect(I& f, take_op& x) { return f(x.limit_); }
  std::string run(task_context& ctx, node_base& n, int32_t p) override {
    std::vector<T> some;
    auto s = make_sink<T>([&](T&& x) {
      if (static_cast<int64_t>(some.size()) < limit_)
        some.push_back(std::move(x));
    });
    static_cast<node<T>&>(n).run(ctx, p, s);
    return troupe::encode(some);
  }

private:
  int64_t limit_ = 0;
};

/// The number of rows.
template <class T>
class count_op final : public op<count_op<T>, result_op_base> {
public:
  template <class I>
  friend auto inspect(I& f, count_op&) { return f(); }
  std::string run(task_context& ctx, node_base& n, int32_t p) override {
    int64_t count = 0;
    auto s = make_sink<T>([&](T&&) { ++count; });
    static_cast<node<T>&>(n).run(ctx, p, s);
    return troupe::encode(count);
  }
};

/// The rows folded with F; empty partitions give no value.
template <class T, class F>
class reduce_op final : public op<reduce_op<T, F>, result_op_base> {
public:
  reduce_op() = default;
  explicit reduce_op(F f) : f_(std::move(f)) {}
  template <class I>
  friend auto inspect(I& f, reduce_op& x) { return f(x.f_); }
  std::string run(task_context& ctx, node_base& n, int32_t p) override {
    std::optional<T> acc;
    auto s = make_sink<T>([&](T&& x) {
      if (acc)
        acc = f_(std::move(*acc), std::move(x));
      else
        acc = std::move(x);
    });
    static_cast<node<T>&>(n).run(ctx, p, s);
    std::vector<T> out;
    if (acc)
      out.push_back(std::move(*acc));
    return troupe::encode(out);
  }

private:
  function_field<F> f_;
};

/// Text of a row for save_as_text_file: strings as they are, numbers in
/// decimal, pairs as "first<TAB>second".
template <class T>
void append_text(std::string& out, const T& x) {
  if constexpr (std::is_same_v<T, std::string>) {
    out += x;
  } else if constexpr (std::is_same_v<T, bool>) {
    out += x ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    out += std::to_string(x);
  } else if constexpr (std::is_floating_point_v<T>) {
    std::ostringstream s;
    s.precision(17);
    s << x;
    out += s.str();
  } else if constexpr (requires { x.first; x.second; }) {
    append_text(out, x.first);
    out += '\t';
    append_text(out, x.second);
  } else {
    static_assert(sizeof(T) == 0, "save_as_text_file: map rows to std::string first");
  }
}

/// Writes the partition as `<dir>/part-NNNNN`, one row a line; returns the row count.
/// Writes to a hidden temporary name first, so a retried or failed attempt
/// never leaves a partial part file.
template <class T>
class save_op final : public op<save_op<T>, result_op_base> {
public:
  save_op() = default;
  explicit save_op(std::string dir) : dir_(std::move(dir)) {}
  template <class I>
  friend auto inspect(I& f, save_op& x) { return f(x.dir_); }
  std::string run(task_context& ctx, node_base& n, int32_t p) override {
    char name[32];
    std::snprintf(name, sizeof name, "part-%05d", p);
    auto final_path = dir_ + "/" + name;
    auto tmp_path = dir_ + "/." + name + "." + ctx.executor + "." + std::to_string(ctx.attempt) + ".tmp";
    std::FILE* f = std::fopen(tmp_path.c_str(), "wb");
    if (f == nullptr)
      throw std::runtime_error("save_as_text_file: cannot create '" + tmp_path + "'");
    int64_t count = 0;
    int64_t written = 0;
    std::string buf;
    auto flush = [&] {
      if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) {
        std::fclose(f);
        std::remove(tmp_path.c_str());
        throw std::runtime_error("save_as_text_file: cannot write '" + tmp_path + "'");
      }
      written += static_cast<int64_t>(buf.size());
      buf.clear();
    };
    try {
      auto s = make_sink<T>([&](T&& x) {
        append_text(buf, x);
        buf += '\n';
        ++count;
        if (buf.size() >= (1 << 20))
          flush();
      });
      static_cast<node<T>&>(n).run(ctx, p, s);
      flush();
    } catch (...) {
      if (f != nullptr) {
        std::fclose(f);
        std::remove(tmp_path.c_str());
      }
      throw;
    }
    if (std::fclose(f) != 0) {
      std::remove(tmp_path.c_str());
      throw std::runtime_error("save_as_text_file: cannot finish '" + tmp_path + "'");
    }
    // The job failed meanwhile (abort_output wrote _FAILED): this attempt must not commit.
    if (std::FILE* failed = std::fopen((dir_ + "/_FAILED").c_str(), "rb")) {
      std::fclose(failed);
      std::remove(tmp_path.c_str());
      throw std::runtime_error("save_as_text_file: the job writing '" + dir_ + "' has failed");
    }
    if (std::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
      std::remove(tmp_path.c_str());
      throw std::runtime_error("save_as_text_file: cannot finish '" + final_path + "'");
    }
    ctx.counters.output_records += count;
    ctx.counters.output_bytes += written;
    return troupe::encode(count);
  }

private:
  std::string dir_;
};

/// Up to `per_partition` keys sampled uniformly (reservoir, seeded by the
/// partition) and the partition's row count, for range partitioning.
template <class K, class V>
class sample_keys_op final : public op<sample_keys_op<K, V>, result_op_base> {
public:
  sample_keys_op() = default;
  explicit sample_keys_op(int32_t per_partition) : per_partition_(per_partition) {}
  template <class I>
  friend auto inspect(I& f, sample_keys_op& x) { return f(x.per_partition_); }
  std::string run(task_context& ctx, node_base& n, int32_t p) override {
    std::vector<K> sample;
    int64_t seen = 0;
    std::mt19937_64 rng(mix64(static_cast<uint64_t>(p) + 1));
    auto s = make_sink<std::pair<K, V>>([&](std::pair<K, V>&& row) {
      ++seen;
      if (static_cast<int64_t>(sample.size()) < per_partition_) {
        sample.push_back(std::move(row.first));
      } else {
        auto j = static_cast<int64_t>(rng() % static_cast<uint64_t>(seen));
        if (j < per_partition_)
          sample[static_cast<size_t>(j)] = std::move(row.first);
      }
    });
    static_cast<node<std::pair<K, V>>&>(n).run(ctx, p, s);
    return troupe::encode(std::make_pair(seen, sample));
  }

private:
  int32_t per_partition_ = 0;
};

} // namespace troupe::ops
