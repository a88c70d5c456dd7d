// Round trips of records, partitions, functions and task payloads.
#include "runtime/dataset.hpp"
#include "runtime/fn_ref.hpp"
#include "runtime/serialize.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

using namespace troupe;

namespace {
int64_t triple(int64_t x) { return 3 * x; }
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

BOOST_AUTO_TEST_CASE(hash_partition_spreads_patterned_keys) {
  std::map<int32_t, int> counts;
  for (int64_t k = 0; k < 8000; k += 8)
    ++counts[hash_partition(k, 8)];
  BOOST_TEST(counts.size() == 8u);
  for (auto& [p, n] : counts)
    BOOST_TEST((n > 60 && n < 190));
}

BOOST_AUTO_TEST_SUITE_END()
