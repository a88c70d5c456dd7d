#pragma once
// The one base of every operation (dataset node, shuffle map side, action).
// An operation declares what it ships once, next to its members:
//
//   template <class F> friend auto inspect(F& f, map_node& x) { return f(x.f_); }
//
// (`return f();` when it ships nothing) and op<> derives from that its
// registered name, its encoding and its decoder, so the two halves cannot
// drift apart. Fields travel by fn_ref.hpp's rules: functions held in a
// function_field<F> by encode_fn's, function pointers as (binary, offset),
// this_partition(v) as the one element a task needs, anything else as msgpack.

#include "runtime/fn_ref.hpp"
#include "runtime/plan.hpp"

#include <memory>
#include <type_traits>
#include <typeinfo>

namespace troupe::ops {

/// Registration, encode and decode of operation `Derived`, a `Base`
/// (node<T>, shuffle_dep_base or result_op_base), from its inspect overload.
/// `Derived` must be default-constructible: the decoder makes one and reads
/// the fields into it.
template <class Derived, class Base>
class op : public Base {
public:
  /// The name this binary registered the type under (stable across its processes).
  const char* impl() const final { return name; }

  void encode(writer& w, int32_t p) const final {
    field_writer fields(w, p);
    inspect(fields, const_cast<Derived&>(static_cast<const Derived&>(*this)));  // a writer only reads
  }

  /// Rebuilds the operation from what encode wrote; registered under `name`.
  static std::shared_ptr<shipped> decode(reader& r, int32_t partitions) {
    static_assert(std::is_default_constructible_v<Derived>, "an operation needs a default constructor to be decoded");
    auto x = std::make_shared<Derived>();
    field_reader fields(r, partitions);
    inspect(fields, *x);
    return x;
  }

private:
  static inline const char* const name = impl_registry::add(typeid(Derived).name(), &op::decode);
};

} // namespace troupe::ops
