// fn_forms [N]: ships every form of function the dataset API takes to the
// executors and prints what each computed over range(0, N) in 4 partitions,
// one "form: result" line each (deterministic; tests/integration/
// fn_shipping_test.cpp recomputes every line sequentially). On stderr it says
// whether the executors loaded the binary at another address than the driver:
// only then does a function pointer that travels as raw bytes go wrong.

#include "runtime/app_registry.hpp"
#include "runtime/dataset.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace troupe::apps {

int64_t fn_forms_square(int64_t x) { return x * x; }
bool fn_forms_is_odd(int64_t x) { return x % 2 != 0; }
int64_t fn_forms_mod7(int64_t x) { return x % 7; }
int64_t fn_forms_add(int64_t a, int64_t b) { return a + b; }
int64_t fn_forms_negate(int64_t x) { return -x; }

/// A functor holding a string: its fields declared once, with inspect.
struct fn_forms_label {
  std::string prefix;
  int64_t offset = 0;
  std::string operator()(int64_t x) const { return prefix + std::to_string(x + offset); }
  template <class Inspector>
  friend auto inspect(Inspector& f, fn_forms_label& x) { return f(x.prefix, x.offset); }
};

/// The same with msgpack's MSGPACK_DEFINE.
struct fn_forms_msgpack_label {
  std::string prefix;
  int64_t offset = 0;
  std::string operator()(int64_t x) const { return prefix + std::to_string(x + offset); }
  MSGPACK_DEFINE(prefix, offset);
};

/// A function pointer inside a functor: travels as (binary, offset) too.
struct fn_forms_then_add {
  int64_t (*first)(int64_t) = nullptr;
  int64_t k = 0;
  int64_t operator()(int64_t x) const { return first(x) + k; }
  template <class Inspector>
  friend auto inspect(Inspector& f, fn_forms_then_add& x) { return f(x.first, x.k); }
};

/// A plain aggregate, no fields declared: read through structured bindings,
/// so its function pointer travels as (binary, offset) as well.
struct fn_forms_times {
  int64_t (*fn)(int64_t) = nullptr;
  int64_t k = 0;
  int64_t operator()(int64_t x) const { return fn(x) * k; }
};

namespace {

std::string join_pairs(std::vector<std::pair<int64_t, int64_t>> kv) {
  std::sort(kv.begin(), kv.end());
  std::string out;
  for (auto& [k, v] : kv)
    out += (out.empty() ? "" : " ") + std::to_string(k) + "=" + std::to_string(v);
  return out;
}

int64_t sum(const std::vector<int64_t>& xs) {
  int64_t s = 0;
  for (auto x : xs)
    s += x;
  return s;
}

/// The address of fn_forms_square in each executor that ran a partition of `ds`.
std::set<uintptr_t> executor_addresses(const dataset<int64_t>& ds) {
  auto got = ds.map_partitions([](std::vector<int64_t>&&) {
                 return std::vector<int64_t>{static_cast<int64_t>(reinterpret_cast<uintptr_t>(&fn_forms_square))};
               }).collect();
  std::set<uintptr_t> out;
  for (auto a : got)
    out.insert(static_cast<uintptr_t>(a));
  return out;
}

} // namespace

int fn_forms_main(context& ctx, const std::vector<std::string>& args) {
  int64_t n = 200;
  if (args.size() > 1) {
    std::cerr << "usage: fn_forms [N]\n";
    return 2;
  }
  if (args.size() == 1) {
    auto& a = args[0];
    auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), n);
    if (a.empty() || ec != std::errc{} || end != a.data() + a.size() || n <= 0 || n > 1'000'000) {
      std::cerr << "usage: fn_forms [N]   (N must be an integer in 1..1000000, got '" << a << "')\n";
      return 2;
    }
  }
  auto xs = ctx.range(0, n, 1, 4);
  std::ostringstream out;

  int64_t k = 3;
  int64_t m = -5;
  out << "lambda with values: " << sum(xs.map([k, m](int64_t x) { return x * k + m; }).collect()) << "\n";
  out << "empty lambda: " << xs.filter([](int64_t x) { return x % 3 == 0; }).count() << "\n";

  auto labels = xs.map(fn_forms_label{"n=", 10}).collect();
  out << "struct functor with a string: " << labels.front() << " " << labels.back() << " " << labels.size() << "\n";
  auto packed = xs.map(fn_forms_msgpack_label{"m=", -1}).collect();
  out << "msgpack functor with a string: " << packed.front() << " " << packed.back() << " " << packed.size() << "\n";

  out << "plain function into map: " << sum(xs.map(fn_forms_square).collect()) << "\n";
  out << "&fn into map: " << sum(xs.map(&fn_forms_negate).collect()) << "\n";
  out << "&fn into filter: " << sum(xs.filter(&fn_forms_is_odd).collect()) << "\n";
  out << "&fn into key_by: " << join_pairs(xs.key_by(&fn_forms_mod7).reduce_by_key(&fn_forms_add).collect()) << "\n";
  out << "&fn into map_values: "
      << join_pairs(xs.key_by(&fn_forms_mod7).map_values(&fn_forms_square).reduce_by_key(&fn_forms_add).collect())
      << "\n";
  out << "&fn inside a functor: " << sum(xs.map(fn_forms_then_add{&fn_forms_square, 1}).collect()) << "\n";
  out << "&fn inside a plain struct: " << sum(xs.map(fn_forms_times{&fn_forms_negate, 2}).collect()) << "\n";
  out << "&fn into reduce: " << xs.reduce(&fn_forms_add) << "\n";
  std::cout << out.str() << std::flush;

  auto here = reinterpret_cast<uintptr_t>(&fn_forms_square);
  auto there = executor_addresses(xs);
  bool moved = std::any_of(there.begin(), there.end(), [&](uintptr_t a) { return a != here; });
  std::cerr << "fn_forms: executors load the binary elsewhere: " << (moved ? "yes" : "no") << " (driver "
            << reinterpret_cast<void*>(here) << ", executors";
  for (auto a : there)
    std::cerr << " " << reinterpret_cast<void*>(a);
  std::cerr << ")\n";
  return 0;
}

} // namespace troupe::apps

TROUPE_APP(fn_forms, "fn_forms [N]",
           "ships every form of function (lambda, functor, plain function, &fn) to executors; prints what each computed",
           troupe::apps::fn_forms_main);
