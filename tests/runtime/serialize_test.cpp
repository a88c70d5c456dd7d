// Round trips of records, partitions, functions and task payloads.
#include "runtime/dataset.hpp"
#include "runtime/fn_ref.hpp"
#include "runtime/serialize.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <span>
#include <string_view>

using namespace troupe;

namespace {
int64_t triple(int64_t x) { return 3 * x; }
int64_t add(int64_t a, int64_t b) { return a + b; }

/// A functor with a string and a function pointer, its fields declared once.
struct labelled {
  std::string label;
  int64_t (*fn)(int64_t) = nullptr;
  std::string operator()(int64_t x) const { return label + std::to_string(fn(x)); }
  template <class F>
  friend auto inspect(F& f, labelled& x) { return f(x.label, x.fn); }
};

struct holds_pointer {
  const int64_t* p = nullptr;
  template <class F>
  friend auto inspect(F& f, holds_pointer& x) { return f(x.p); }
};
struct holds_view {
  std::string_view text;
  template <class F>
  friend auto inspect(F& f, holds_view& x) { return f(x.text); }
};
struct holds_span {
  std::vector<std::span<const int>> parts;
  template <class F>
  friend auto inspect(F& f, holds_span& x) { return f(x.parts); }
};
struct holds_reference {
  const std::string& text;
  template <class F>
  friend auto inspect(F& f, holds_reference& x) { return f(x.text); }
};
struct holds_nested_bad {
  holds_view inner;
  template <class F>
  friend auto inspect(F& f, holds_nested_bad& x) { return f(x.inner); }
};

/// A plain aggregate functor, no fields declared: read through structured bindings.
struct scaled {
  int64_t (*fn)(int64_t) = nullptr;
  int64_t k = 1;
  std::string unit;
  std::string operator()(int64_t x) const { return std::to_string(fn(x) * k) + unit; }
};
struct aggregate_with_view {
  std::string_view v;
  size_t operator()(int64_t) const { return v.size(); }
};

/// True when `bytes` holds the 8 bytes of pointer `p` (its raw address).
bool holds_address(const std::string& bytes, const void* p) {
  auto v = reinterpret_cast<uintptr_t>(p);
  return bytes.find(std::string(reinterpret_cast<const char*>(&v), sizeof v)) != std::string::npos;
}
} // namespace

BOOST_AUTO_TEST_SUITE(serialize)

BOOST_AUTO_TEST_CASE(records_round_trip) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> rows{{"a", {1, 2}}, {"", {}}, {std::string(1000, 'x'), {-5}}};
  BOOST_TEST((decode<decltype(rows)>(encode(rows)) == rows));
  std::pair<int64_t, std::pair<std::string, double>> nested{7, {"y", 2.5}};
  BOOST_TEST((decode<decltype(nested)>(encode(nested)) == nested));
  std::string binary("a\0b\xff", 4);
  BOOST_TEST(decode<std::string>(encode(binary)) == binary);
}

BOOST_AUTO_TEST_CASE(partitions_round_trip_through_their_decoder) {
  rows_of<std::pair<std::string, int64_t>> p({{"k", 1}, {"l", 2}});
  std::string bytes;
  p.encode(bytes);
  auto back = p.decoder()(bytes.data(), bytes.size());
  BOOST_TEST(back->rows() == 2u);
  BOOST_TEST((rows<std::pair<std::string, int64_t>>(*back) == p.get()));
  BOOST_TEST(p.bytes_estimate() >= 2 * sizeof(std::pair<std::string, int64_t>));
}

BOOST_AUTO_TEST_CASE(wrong_type_is_a_decode_error) {
  auto bytes = encode(std::string("not a number"));
  BOOST_CHECK_THROW(decode<int64_t>(bytes), decode_error);
  BOOST_CHECK_THROW(decode<int64_t>(std::string_view{}), decode_error);
  BOOST_CHECK_THROW(decode_task("\xc1garbage"), decode_error);
}

BOOST_AUTO_TEST_CASE(functions_round_trip) {
  std::string out;
  writer w(out);
  int64_t k = 11;
  auto lambda = [k](int64_t x) { return x + k; };
  encode_fn(w, lambda);
  encode_fn(w, &triple);
  reader r(out);
  auto l2 = decode_fn<decltype(lambda)>(r);
  auto f2 = decode_fn<int64_t (*)(int64_t)>(r);
  BOOST_TEST(l2(1) == 12);
  BOOST_TEST(f2(5) == 15);
  BOOST_TEST(f2 == &triple);
  static_assert(is_shippable_v<decltype(lambda)>);
  static_assert(!is_shippable_v<std::function<int(int)>>);
  std::string s = "captured";
  auto bad = [s](int) { return s.size(); };
  static_assert(!is_shippable_v<decltype(bad)>, "a std::string capture must not be shippable");
}

BOOST_AUTO_TEST_CASE(function_pointers_travel_as_offsets_wherever_they_are) {
  std::string out;
  writer w(out);
  encode_fn(w, &triple);
  encode_fn(w, labelled{"x=", &triple});
  encode_fn(w, fns::key_by<int64_t (*)(int64_t)>{function_field<int64_t (*)(int64_t)>(&triple)});
  encode_fn(w, fns::map_values<int64_t (*)(int64_t)>{function_field<int64_t (*)(int64_t)>(&triple)});
  // Under ASLR the address differs in another process: it must not travel.
  BOOST_TEST(!holds_address(out, reinterpret_cast<const void*>(&triple)));
  reader r(out);
  BOOST_TEST(decode_fn<int64_t (*)(int64_t)>(r) == &triple);
  auto l = decode_fn<labelled>(r);
  BOOST_TEST(l.fn == &triple);
  BOOST_TEST(l(2) == "x=6");
  auto k = decode_fn<fns::key_by<int64_t (*)(int64_t)>>(r);
  BOOST_TEST((k(int64_t{5}) == std::pair<int64_t, int64_t>{15, 5}));
  auto m = decode_fn<fns::map_values<int64_t (*)(int64_t)>>(r);
  BOOST_TEST((m(std::pair<std::string, int64_t>{"a", 4}) == std::pair<std::string, int64_t>{"a", 12}));
  BOOST_TEST(r.at_end());
}

BOOST_AUTO_TEST_CASE(aggregate_functors_travel_field_by_field) {
  static_assert(detail::count_fields<scaled>() == 3);
  static_assert(is_shippable_v<scaled>);
  static_assert(!is_shippable_v<aggregate_with_view>, "a string_view field of an aggregate must not travel");
  std::string out;
  writer w(out);
  encode_fn(w, scaled{&triple, 2, "kg"});
  BOOST_TEST(!holds_address(out, reinterpret_cast<const void*>(&triple)));
  reader r(out);
  auto s = decode_fn<scaled>(r);
  BOOST_TEST(s.fn == &triple);
  BOOST_TEST(s(5) == "30kg");
}

BOOST_AUTO_TEST_CASE(function_pointers_inside_operations_travel_as_offsets) {
  // reduce_by_key's map side holds &add; the task must carry no raw address.
  auto dep = std::make_shared<ops::combine_dep<int64_t, int64_t, int64_t (*)(int64_t, int64_t)>>(&add);
  auto node = std::make_shared<ops::map_node<int64_t, std::pair<int64_t, int64_t>, fns::key_by<int64_t (*)(int64_t)>>>(
    fns::key_by<int64_t (*)(int64_t)>{function_field<int64_t (*)(int64_t)>(&triple)});
  std::string out;
  writer w(out);
  dep->encode(w, 0);
  node->encode(w, 0);
  BOOST_TEST(!holds_address(out, reinterpret_cast<const void*>(&add)));
  BOOST_TEST(!holds_address(out, reinterpret_cast<const void*>(&triple)));
  reader r(out);
  auto dep2 = std::dynamic_pointer_cast<shuffle_dep_base>(impl_registry::find(dep->impl())(r, 0));
  auto node2 = std::dynamic_pointer_cast<node_base>(impl_registry::find(node->impl())(r, 1));
  BOOST_TEST(dep2 != nullptr);
  BOOST_TEST(node2 != nullptr);
  BOOST_TEST(std::string(node2->impl()) == node->impl());
  BOOST_TEST(r.at_end());
}

BOOST_AUTO_TEST_CASE(empty_lambdas_travel_as_nothing_and_captures_as_their_bytes) {
  std::string out;
  writer w(out);
  auto empty = [](int64_t x) { return x + 1; };
  encode_fn(w, empty);
  BOOST_TEST(out.empty());
  int32_t k = 4;
  auto one = [k](int64_t x) { return x * k; };
  encode_fn(w, one);
  reader r(out);
  BOOST_TEST(decode_fn<decltype(one)>(r)(3) == 12);
  reader none(std::string_view{});
  BOOST_TEST(decode_fn<decltype(empty)>(none)(1) == 2);
}

BOOST_AUTO_TEST_CASE(fields_holding_addresses_are_refused) {
  static_assert(is_shippable_v<labelled>);
  static_assert(!is_shippable_v<holds_pointer>, "a pointer field must not travel");
  static_assert(!is_shippable_v<holds_view>, "a string_view field must not travel");
  static_assert(!is_shippable_v<holds_span>, "a span inside a vector must not travel");
  static_assert(!is_shippable_v<holds_reference>, "a reference field must not travel");
  static_assert(!is_shippable_v<holds_nested_bad>, "nor a string_view field of a field");
  static_assert(is_shippable_v<fns::key_by<labelled>>);
  static_assert(!is_shippable_v<fns::key_by<holds_view>>, "nor one held by an operation's function");
  BOOST_TEST(true);
}

BOOST_AUTO_TEST_CASE(hash_partition_spreads_patterned_keys) {
  std::map<int32_t, int> counts;
  for (int64_t k = 0; k < 8000; k += 8)
    ++counts[hash_partition(k, 8)];
  BOOST_TEST(counts.size() == 8u);
  for (auto& [p, n] : counts)
    BOOST_TEST((n > 60 && n < 190));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(string_hash)

// The shuffle places a key by its hash on every node: the value must not
// depend on the process (absl::Hash seeds per process; this one must not).
BOOST_AUTO_TEST_CASE(string_hash_is_fixed_and_spreads) {
  BOOST_TEST(hash<std::string>{}("word") == hash<std::string_view>{}(std::string_view("word")));
  BOOST_TEST(hash<std::string>{}("") != hash<std::string>{}(std::string(1, '\0')));
  BOOST_TEST(hash<std::string>{}("abcdefgh") != hash<std::string>{}("abcdefgi"));
  std::map<int32_t, int> counts;
  for (int i = 0; i < 8000; ++i)
    ++counts[hash_partition(std::string("w") + std::to_string(i), 8)];
  BOOST_TEST(counts.size() == 8u);
  for (auto& [p, n] : counts)
    BOOST_TEST((n > 850 && n < 1150));
}

BOOST_AUTO_TEST_SUITE_END()
