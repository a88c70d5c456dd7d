#pragma once
// How operations and user functions travel to executors. C++ cannot ship
// code, so every process runs the same binary and a function travels as data
// that means the same thing in any process of that binary:
//  - a function pointer (passed directly, or a field of a functor or of an
//    operation, however deeply nested) travels as (object file, offset in
//    it), never as its address: under ASLR another process loads a
//    position-independent binary elsewhere;
//  - a functor that declares its fields, with
//      template <class F> friend auto inspect(F& f, my_fn& x) { return f(x.a, x.b); }
//    travels as those fields, each by these same rules; or with
//    MSGPACK_DEFINE(a, b), as its msgpack encoding (no function pointers then);
//  - a plain aggregate functor (public fields, none declared) travels field
//    by field too, read through structured bindings;
//  - an empty lambda or functor travels as nothing;
//  - any other trivially copyable lambda or functor travels as its bytes (its
//    captures, by value).
// Anything else (std::function, a lambda capturing a std::string, ...) does
// not compile.
//
// What is checked at compile time: a declared field (inspect or
// MSGPACK_DEFINE, and what it holds: vectors, pairs, ...) that is a data
// pointer, a std::string_view or a std::span does not compile; a reference
// field leaves no default constructor, which does not compile either. What
// is NOT checked: the captures of a lambda. C++20 has no reflection over a
// closure type: its members are unnamed, it is not an aggregate (no
// structured bindings, no brace-initialization tricks), and g++ offers no
// builtin to list them. A lambda capturing a pointer, a reference, a
// string_view, a span or a function pointer is trivially copyable like one
// capturing numbers, so it compiles and ships an address that means nothing
// in another process. Capture numbers only; for anything else write a struct
// with its fields declared (README, "Writing an application").

#include "runtime/serialize.hpp"

#include <array>
#include <cstddef>
#include <cstring>
#include <map>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace troupe {

namespace detail {
/// (object file path, offset) of a function in this process ("" = the main program).
std::pair<std::string, uint64_t> locate_function(const void* fn);
/// The function at `offset` in object file `path` as loaded in this process;
/// throws decode_error when that file is not loaded here.
const void* resolve_function(const std::string& path, uint64_t offset);
} // namespace detail

class field_writer;
class field_reader;

/// A callable held by an operation or functor: declared as a field, it
/// travels by encode_fn's rules. Default-constructible (empty) even when F
/// (a lambda with captures) is not, so that the holder can be decoded field
/// by field; calling an empty one is undefined.
template <class F>
class function_field {
public:
  function_field() = default;
  explicit function_field(F f) { set(std::move(f)); }
  function_field(const function_field& other) {
    if (other.set_)
      set(other.u_.f);
  }
  function_field(function_field&& other) {
    if (other.set_)
      set(std::move(other.u_.f));
  }
  function_field& operator=(const function_field&) = delete;
  ~function_field() { reset(); }

  template <class... As>
  decltype(auto) operator()(As&&... xs) { return u_.f(std::forward<As>(xs)...); }
  template <class... As>
  decltype(auto) operator()(As&&... xs) const { return u_.f(std::forward<As>(xs)...); }
  const F& get() const { return u_.f; }
  void set(F f) {
    reset();
    new (&u_.f) F(std::move(f));
    set_ = true;
  }

private:
  void reset() {
    if (set_)
      u_.f.~F();
    set_ = false;
  }
  // Not std::optional<F>: it asks whether F is copy-assignable, after which
  // g++ 12 reports a closure type as not trivially copyable.
  union storage {
    storage() {}
    ~storage() {}
    F f;
  } u_;
  bool set_ = false;
};

/// Marks a per-partition field: a task carries only the element of its partition.
template <class V>
struct this_partition_of {
  std::vector<V>& all;
};
template <class V>
this_partition_of<V> this_partition(std::vector<V>& all) { return {all}; }

// -- traits -----------------------------------------------------------------------

namespace detail {
template <class T>
constexpr bool is_function_pointer_v = std::is_pointer_v<T> && std::is_function_v<std::remove_pointer_t<T>>;

template <class T>
struct is_function_field : std::false_type {};
template <class F>
struct is_function_field<function_field<F>> : std::true_type {};

template <class T>
struct is_partition_field : std::false_type {};
template <class V>
struct is_partition_field<this_partition_of<V>> : std::true_type {};

/// An inspector that does nothing: finds out whether T has an inspect overload.
struct inspect_probe {
  template <class... Ts>
  void operator()(Ts&&...) {}
};
template <class T, class = void>
struct has_inspect : std::false_type {};
template <class T>
struct has_inspect<T, std::void_t<decltype(inspect(std::declval<inspect_probe&>(), std::declval<T&>()))>>
  : std::true_type {};

template <class T, class = void>
struct has_msgpack : std::false_type {};
template <class T>
struct has_msgpack<T, std::void_t<decltype(std::declval<const T&>().msgpack_pack(
                          std::declval<msgpack::packer<writer>&>()))>> : std::true_type {};

template <class T>
struct is_span : std::false_type {};
template <class T, size_t N>
struct is_span<std::span<T, N>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_std_array : std::false_type {};
template <class T, size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};
template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};
template <class T>
struct is_map : std::false_type {};
template <class K, class V, class... Rest>
struct is_map<std::map<K, V, Rest...>> : std::true_type {};
template <class K, class V, class... Rest>
struct is_map<std::unordered_map<K, V, Rest...>> : std::true_type {};

/// Fails to compile for data that holds an address; recurses into what
/// standard containers hold. (Declared fields of nested functors are checked
/// where they are encoded.)
template <class T>
constexpr void require_plain_data();

template <class T>
struct plain_data_check {
  static constexpr void run() {}
};
template <class T, class A>
struct plain_data_check<std::vector<T, A>> {
  static constexpr void run() { require_plain_data<T>(); }
};
template <class A, class B>
struct plain_data_check<std::pair<A, B>> {
  static constexpr void run() {
    require_plain_data<A>();
    require_plain_data<B>();
  }
};
template <class... Ts>
struct plain_data_check<std::tuple<Ts...>> {
  static constexpr void run() { (require_plain_data<Ts>(), ...); }
};
template <class T>
struct plain_data_check<std::optional<T>> {
  static constexpr void run() { require_plain_data<T>(); }
};
template <class T, size_t N>
struct plain_data_check<std::array<T, N>> {
  static constexpr void run() { require_plain_data<T>(); }
};
template <class K, class V, class... Rest>
struct plain_data_check<std::map<K, V, Rest...>> {
  static constexpr void run() {
    require_plain_data<K>();
    require_plain_data<V>();
  }
};
template <class K, class V, class... Rest>
struct plain_data_check<std::unordered_map<K, V, Rest...>> {
  static constexpr void run() {
    require_plain_data<K>();
    require_plain_data<V>();
  }
};

template <class T>
constexpr void require_plain_data() {
  using U = std::remove_cv_t<T>;
  static_assert(!is_function_pointer_v<U>,
                "troupe: a function pointer inside MSGPACK_DEFINE (or a container) cannot travel: declare the "
                "functor's fields with `template <class F> friend auto inspect(F& f, T& x) { return f(x.fn, ...); }` "
                "instead, so that it travels as (binary, offset)");
  static_assert(!std::is_pointer_v<U> || is_function_pointer_v<U>,
                "troupe: a pointer cannot travel to another process (it is an address in this one): hold the value "
                "itself, a std::string for text, a std::vector for an array");
  static_assert(!std::is_member_pointer_v<U>, "troupe: a member pointer cannot travel: hold the value itself");
  static_assert(!std::is_same_v<U, std::string_view>,
                "troupe: a std::string_view cannot travel (it points into this process): hold a std::string");
  static_assert(!is_span<U>::value,
                "troupe: a std::span cannot travel (it points into this process): hold a std::vector");
  plain_data_check<U>::run();
}

/// Walks the fields MSGPACK_DEFINE declares, only to check them.
struct msgpack_field_checker {
  void pack_array(size_t) {}
  void pack_map(size_t) {}
  template <class T>
  void pack(const T& x) {
    require_plain_data<T>();
    if constexpr (has_msgpack<T>::value)
      x.msgpack_pack(*this);
  }
};
} // namespace detail

namespace detail {
template <class F>
constexpr bool shippable();

/// True for data without an address in it (recursing into standard containers).
template <class T>
constexpr bool address_free() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_pointer_v<U> || std::is_member_pointer_v<U> || std::is_reference_v<U>
                || std::is_same_v<U, std::string_view> || is_span<U>::value)
    return false;
  else if constexpr (is_vector<U>::value || is_optional<U>::value || is_std_array<U>::value)
    return address_free<typename U::value_type>();
  else if constexpr (is_pair<U>::value)
    return address_free<typename U::first_type>() && address_free<typename U::second_type>();
  else if constexpr (is_map<U>::value)
    return address_free<typename U::key_type>() && address_free<typename U::mapped_type>();
  else
    return true;
}

// A functor that is a plain aggregate (`struct add_k { int64_t k; ... };`)
// and declares no fields is read field by field through structured
// bindings, so that a function pointer in it travels as an offset too.
// (Closure types are never aggregates.) Up to 8 public fields, no arrays and
// no base classes; others travel as their bytes when trivially copyable.

/// Converts to anything: counts an aggregate's fields by brace-initializing it.
struct any_field {
  template <class T>
  operator T() const;
};
template <class T, class... As>
constexpr size_t count_fields() {
  if constexpr (sizeof...(As) > 8)
    return sizeof...(As);
  else if constexpr (requires { T{As{}..., any_field{}}; })
    return count_fields<T, As..., any_field>();
  else
    return sizeof...(As);
}

template <class T>
constexpr bool is_reflectable() {
  // Nested, so that a closure type is asked nothing past is_aggregate: once
  // g++ 12 has been asked whether a closure is copy-assignable, it reports
  // that closure as not trivially copyable.
  if constexpr (!std::is_aggregate_v<T> || std::is_array_v<T> || std::is_empty_v<T>)
    return false;
  else if constexpr (!std::is_default_constructible_v<T> || !std::is_copy_assignable_v<T>)
    return false;
  else
    return count_fields<T>() >= 1 && count_fields<T>() <= 8;
}

/// References to the fields of aggregate `x`, in order.
template <class T>
auto tie_fields(T& x) {
  constexpr size_t n = count_fields<T>();
  if constexpr (n == 1) {
    auto& [a] = x;
    return std::tie(a);
  } else if constexpr (n == 2) {
    auto& [a, b] = x;
    return std::tie(a, b);
  } else if constexpr (n == 3) {
    auto& [a, b, c] = x;
    return std::tie(a, b, c);
  } else if constexpr (n == 4) {
    auto& [a, b, c, d] = x;
    return std::tie(a, b, c, d);
  } else if constexpr (n == 5) {
    auto& [a, b, c, d, e] = x;
    return std::tie(a, b, c, d, e);
  } else if constexpr (n == 6) {
    auto& [a, b, c, d, e, f] = x;
    return std::tie(a, b, c, d, e, f);
  } else if constexpr (n == 7) {
    auto& [a, b, c, d, e, f, g] = x;
    return std::tie(a, b, c, d, e, f, g);
  } else {
    auto& [a, b, c, d, e, f, g, h] = x;
    return std::tie(a, b, c, d, e, f, g, h);
  }
}

/// An inspector that only answers, in its type, whether every field is fine.
struct field_check {
  template <class T>
  static constexpr bool ok() {
    if constexpr (is_function_field<T>::value)
      return shippable<std::remove_cvref_t<decltype(std::declval<T&>().get())>>();
    else if constexpr (is_partition_field<T>::value)
      return ok<std::remove_cvref_t<decltype(std::declval<T&>().all[0])>>();
    else if constexpr (is_function_pointer_v<T>)
      return true;
    else if constexpr (has_inspect<T>::value)
      return std::is_default_constructible_v<T>
             && decltype(inspect(std::declval<field_check&>(), std::declval<T&>()))::value;
    else
      return address_free<T>();
  }
  template <class... Ts>
  std::bool_constant<(ok<std::remove_cvref_t<Ts>>() && ...)> operator()(Ts&&...) { return {}; }
};

template <class F>
constexpr bool shippable() {
  if constexpr (is_function_pointer_v<F>)
    return true;
  else if constexpr (!std::is_class_v<F>)
    return false;
  else if constexpr (has_inspect<F>::value)
    return field_check::ok<F>();
  else if constexpr (has_msgpack<F>::value)
    return std::is_default_constructible_v<F>;  // its fields are checked where it is encoded
  else if constexpr (is_reflectable<F>())
    return decltype(std::apply(std::declval<field_check&>(), tie_fields(std::declval<F&>())))::value;
  else
    return std::is_trivially_copyable_v<F>;
}
} // namespace detail

/// True when F can be shipped to another process: a function pointer, a
/// functor with declared fields that hold no address (and a default
/// constructor), or a trivially copyable lambda or functor.
template <class F>
constexpr bool is_shippable_v = detail::shippable<F>();

/// Fails to compile, with a message saying what to do, for a function that cannot travel.
template <class F>
constexpr void require_shippable() {
  static_assert(is_shippable_v<F>,
                "troupe: this function cannot be shipped to executors. A lambda may capture only numbers "
                "(trivially copyable values), by value; for strings or containers write a struct with "
                "operator() and its fields declared, `template <class F> friend auto inspect(F& f, T& x) "
                "{ return f(x.a, x.b); }` (or MSGPACK_DEFINE(a, b)), and a default constructor; its fields "
                "hold values (std::string, std::vector, numbers, function pointers), never a pointer, a "
                "reference, a std::string_view or a std::span. Or turn the value into data (a dataset, or an "
                "argument read by the app).");
}

template <class F>
void encode_fn(writer& w, const F& f);
template <class F>
F decode_fn(reader& r);

// -- fields -------------------------------------------------------------------------

/// Writes the fields an inspect overload names, each by the rules above.
class field_writer {
public:
  /// `partition`: the partition a task computes (for this_partition fields).
  field_writer(writer& w, int32_t partition) : w_(&w), partition_(partition) {}
  template <class... Ts>
  void operator()(Ts&&... xs) { (put(xs), ...); }

private:
  template <class T>
  void put(const T& x);
  writer* w_;
  int32_t partition_;
};

/// Reads what a field_writer wrote into the fields an inspect overload names.
class field_reader {
public:
  /// `partitions`: how many partitions the operation has (for this_partition fields).
  field_reader(reader& r, int32_t partitions) : r_(&r), partitions_(partitions) {}
  template <class... Ts>
  void operator()(Ts&&... xs) { (get(xs), ...); }

private:
  template <class T>
  void get(T& x);
  reader* r_;
  int32_t partitions_;
};

template <class T>
void field_writer::put(const T& x) {
  if constexpr (detail::is_function_field<T>::value) {
    encode_fn(*w_, x.get());
  } else if constexpr (detail::is_partition_field<T>::value) {
    *w_ << partition_;
    put(x.all.at(static_cast<size_t>(partition_)));
  } else if constexpr (detail::is_function_pointer_v<T>) {
    encode_fn(*w_, x);
  } else if constexpr (detail::has_inspect<T>::value) {
    inspect(*this, const_cast<T&>(x));  // a writer only reads
  } else {
    detail::require_plain_data<T>();
    if constexpr (detail::has_msgpack<T>::value) {
      detail::msgpack_field_checker check;
      x.msgpack_pack(check);
    }
    if constexpr (detail::address_free<T>())  // else the assertion above said why
      *w_ << x;
  }
}

template <class T>
void field_reader::get(T& x) {
  if constexpr (detail::is_function_field<T>::value) {
    x.set(decode_fn<std::decay_t<decltype(x.get())>>(*r_));
  } else if constexpr (detail::is_partition_field<T>::value) {
    auto p = r_->read<int32_t>();
    if (p < 0 || p >= partitions_)
      throw decode_error("partition " + std::to_string(p) + " out of range (" + std::to_string(partitions_)
                         + " partitions)");
    x.all.resize(static_cast<size_t>(partitions_));
    get(x.all[static_cast<size_t>(p)]);
  } else if constexpr (detail::is_function_pointer_v<T>) {
    x = decode_fn<T>(*r_);
  } else if constexpr (detail::has_inspect<T>::value) {
    inspect(*this, x);
  } else if constexpr (detail::address_free<T>()) {
    *r_ >> x;
  }
}

// -- functions ------------------------------------------------------------------------

/// Writes a shippable function.
template <class F>
void encode_fn(writer& w, const F& f) {
  require_shippable<F>();
  if constexpr (detail::is_function_pointer_v<F>) {
    auto [path, offset] = detail::locate_function(reinterpret_cast<const void*>(f));
    w << path << offset;
  } else if constexpr (detail::has_inspect<F>::value) {
    field_writer fields(w, -1);
    inspect(fields, const_cast<F&>(f));
  } else if constexpr (detail::has_msgpack<F>::value) {
    detail::msgpack_field_checker check;
    f.msgpack_pack(check);
    w << f;
  } else if constexpr (std::is_empty_v<F>) {
    // Nothing to send: an empty lambda is its type.
  } else if constexpr (detail::is_reflectable<F>()) {
    field_writer fields(w, -1);
    std::apply(fields, detail::tie_fields(const_cast<F&>(f)));
  } else {
    w.bytes(&f, sizeof(F));
  }
}

/// Reads what encode_fn wrote.
template <class F>
F decode_fn(reader& r) {
  require_shippable<F>();
  if constexpr (detail::is_function_pointer_v<F>) {
    auto path = r.read<std::string>();
    auto offset = r.read<uint64_t>();
    return reinterpret_cast<F>(const_cast<void*>(detail::resolve_function(path, offset)));
  } else if constexpr (detail::has_inspect<F>::value) {
    F f{};
    field_reader fields(r, 0);
    inspect(fields, f);
    return f;
  } else if constexpr (detail::has_msgpack<F>::value) {
    F f{};
    r >> f;
    return f;
  } else if constexpr (std::is_empty_v<F> && std::is_default_constructible_v<F>) {
    return F{};
  } else if constexpr (detail::is_reflectable<F>()) {
    F f{};
    field_reader fields(r, 0);
    std::apply(fields, detail::tie_fields(f));
    return f;
  } else {
    // An empty lambda with a capture-default ([=] capturing nothing) has no
    // default constructor and no state; any other lambda is its bytes. A
    // trivially copyable type comes to life in storage its bytes are copied to.
    alignas(F) std::byte raw[sizeof(F)] = {};
    if constexpr (!std::is_empty_v<F>) {
      auto b = r.bytes();
      if (b.size() != sizeof(F))
        throw decode_error("function bytes have the wrong size (different binaries?)");
      std::memcpy(raw, b.data(), sizeof(F));
    }
    return *std::launder(reinterpret_cast<F*>(raw));
  }
}

} // namespace troupe
