#pragma once
// How a user function travels to executors. C++ cannot ship code, so every
// process runs the same binary and a function travels as data:
//  - a lambda or functor that is trivially copyable travels as its bytes
//    (its captures, by value);
//  - a functor with MSGPACK_DEFINE travels as its msgpack encoding;
//  - a plain function travels as (its binary, its offset in it).
// Anything else (std::function, a capture of a std::string, ...) does not compile.

#include "runtime/serialize.hpp"

#include <array>
#include <bit>
#include <cstddef>
#include <string>
#include <type_traits>

namespace troupe {

namespace detail {
/// (object file path, offset) of a function in this process.
std::pair<std::string, uint64_t> locate_function(const void* fn);
/// The function at `offset` in object file `path` as loaded in this process;
/// throws decode_error when that file is not loaded here.
const void* resolve_function(const std::string& path, uint64_t offset);

template <class F, class = void>
struct has_msgpack : std::false_type {};
template <class F>
struct has_msgpack<F, std::void_t<decltype(std::declval<const F&>().msgpack_pack(
                          std::declval<msgpack::packer<writer>&>()))>>
  : std::is_default_constructible<F> {};
} // namespace detail

/// True when F can be shipped to another process.
template <class F>
constexpr bool is_shippable_v =
  (std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>)
  || (std::is_class_v<F> && std::is_trivially_copyable_v<F>) || detail::has_msgpack<F>::value;

/// Fails to compile, with a message saying what to do, for a function that cannot travel.
template <class F>
constexpr void require_shippable() {
  static_assert(is_shippable_v<F>,
                "troupe: this function cannot be shipped to executors. A lambda may capture "
                "only trivially copyable values, by value (numbers, fixed-size structs); for "
                "strings or containers write a struct with MSGPACK_DEFINE(...) and operator(), "
                "or turn the value into data (a dataset, or an argument read by the app).");
}

/// Writes a shippable function.
template <class F>
void encode_fn(writer& w, const F& f) {
  require_shippable<F>();
  if constexpr (std::is_pointer_v<F>) {
    auto [path, offset] = detail::locate_function(reinterpret_cast<const void*>(f));
    w << path << offset;
  } else if constexpr (std::is_trivially_copyable_v<F>) {
    w.bytes(&f, sizeof(F));
  } else {
    w << f;
  }
}

/// Reads what encode_fn wrote.
template <class F>
F decode_fn(reader& r) {
  require_shippable<F>();
  if constexpr (std::is_pointer_v<F>) {
    auto path = r.read<std::string>();
    auto offset = r.read<uint64_t>();
    return reinterpret_cast<F>(const_cast<void*>(detail::resolve_function(path, offset)));
  } else if constexpr (std::is_trivially_copyable_v<F>) {
    auto b = r.bytes();
    if (b.size() != sizeof(F))
      throw decode_error("function bytes have the wrong size (different binaries?)");
    std::array<std::byte, sizeof(F)> raw;
    std::memcpy(raw.data(), b.data(), sizeof(F));
    return std::bit_cast<F>(raw);
  } else {
    F f;
    r >> f;
    return f;
  }
}

} // namespace troupe
