// Unit tests of executor and driver placement (Spark's scheduleExecutorsOnWorkers).

#include "runtime/placement.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

using namespace troupe;

namespace {

std::vector<worker_offer> workers(std::vector<int32_t> cores, int64_t memory_mb = 8192) {
  std::vector<worker_offer> offers;
  for (size_t i = 0; i < cores.size(); ++i)
    offers.push_back({"w" + std::to_string(i), cores[i], memory_mb});
  return offers;
}

/// Cores granted per worker index.
std::map<size_t, int32_t> cores_by_worker(const std::vector<executor_grant>& grants) {
  std::map<size_t, int32_t> result;
  for (const auto& g : grants)
    result[g.worker_index] += g.cores;
  return result;
}

/// Executors granted per worker index.
std::map<size_t, int32_t> executors_by_worker(const std::vector<executor_grant>& grants) {
  std::map<size_t, int32_t> result;
  for (const auto& g : grants)
    ++result[g.worker_index];
  return result;
}

using counts = std::map<size_t, int32_t>;

} // namespace

BOOST_AUTO_TEST_SUITE(placement_suite)

BOOST_AUTO_TEST_CASE(spread_out_hands_out_cores_round_robin_one_executor_per_worker) {
  auto grants = place_executors(workers({4, 4, 4}), {0, 1024, 6, true});
  BOOST_TEST(grants.size() == 3u); // merged: one grant per worker
  BOOST_TEST((cores_by_worker(grants) == counts{{0, 2}, {1, 2}, {2, 2}}));
}

BOOST_AUTO_TEST_CASE(packed_fills_the_first_worker_first) {
  auto grants = place_executors(workers({4, 4, 4}), {0, 1024, 6, false});
  BOOST_TEST(grants.size() == 2u);
  BOOST_TEST((cores_by_worker(grants) == counts{{0, 4}, {1, 2}}));
}

BOOST_AUTO_TEST_CASE(unlimited_takes_every_free_core) {
  auto grants = place_executors(workers({3, 1, 2}), {0, 1024, -1, true});
  BOOST_TEST((cores_by_worker(grants) == counts{{0, 3}, {1, 1}, {2, 2}}));
  BOOST_TEST((executors_by_worker(grants) == counts{{0, 1}, {1, 1}, {2, 1}}));
}

BOOST_AUTO_TEST_CASE(nothing_wanted_or_nothing_fits_gives_no_grant) {
  BOOST_TEST(place_executors(workers({4}), {0, 1024, 0, true}).empty());
  BOOST_TEST(place_executors(workers({4}, 512), {0, 1024, -1, true}).empty());
  BOOST_TEST(place_executors(workers({0, 0}), {0, 1024, -1, true}).empty());
  BOOST_TEST(place_executors({}, {0, 1024, -1, true}).empty());
  // Fewer cores wanted than one executor needs.
  BOOST_TEST(place_executors(workers({8}), {4, 1024, 3, true}).empty());
}

BOOST_AUTO_TEST_CASE(workers_without_enough_memory_are_skipped) {
  auto offers = workers({4, 4, 4});
  offers[1].memory_free_mb = 512;
  auto grants = place_executors(offers, {0, 1024, -1, true});
  BOOST_TEST((cores_by_worker(grants) == counts{{0, 4}, {2, 4}}));
}

BOOST_AUTO_TEST_CASE(fixed_size_executors_round_robin_when_spread) {
  auto grants = place_executors(workers({4, 4}), {2, 1024, 6, true});
  BOOST_TEST(grants.size() == 3u); // one grant per executor
  for (const auto& g : grants)
    BOOST_TEST(g.cores == 2);
  BOOST_TEST((executors_by_worker(grants) == counts{{0, 2}, {1, 1}}));
}

BOOST_AUTO_TEST_CASE(fixed_size_executors_fill_a_worker_when_packed) {
  auto grants = place_executors(workers({4, 4, 4}), {2, 1024, 6, false});
  BOOST_TEST((executors_by_worker(grants) == counts{{0, 2}, {1, 1}}));
}

BOOST_AUTO_TEST_CASE(fixed_size_executors_are_bounded_by_memory) {
  auto offers = workers({8}, 2048);
  auto grants = place_executors(offers, {1, 1024, -1, true});
  BOOST_TEST(grants.size() == 2u); // 8 cores but memory for two 1 GiB executors only
  auto few_cores = place_executors(workers({3}), {2, 1024, -1, true});
  BOOST_TEST(few_cores.size() == 1u); // 3 cores fit one 2-core executor
}

BOOST_AUTO_TEST_CASE(grants_never_exceed_free_resources_or_the_request) {
  // A small grid of clusters and requests: check the invariants every time.
  std::vector<std::vector<int32_t>> clusters{{1}, {4, 2, 7}, {3, 3, 3, 3}, {16, 1}};
  for (const auto& cores : clusters) {
    for (int64_t memory : {1024, 3000, 8192}) {
      auto offers = workers(cores, memory);
      for (int32_t per_exec : {0, 1, 2, 3}) {
        for (int32_t wanted : {-1, 1, 2, 5, 13}) {
          for (bool spread : {true, false}) {
            executor_request req{per_exec, 1024, wanted, spread};
            auto grants = place_executors(offers, req);
            int32_t total = 0;
            for (const auto& [w, c] : cores_by_worker(grants)) {
              BOOST_TEST(c <= offers[w].cores_free);
              total += c;
            }
            for (const auto& [w, n] : executors_by_worker(grants)) {
              BOOST_TEST(int64_t{n} * req.memory_per_executor_mb <= offers[w].memory_free_mb);
              if (per_exec == 0)
                BOOST_TEST(n == 1);
            }
            for (const auto& g : grants)
              BOOST_TEST(g.cores >= std::max(1, per_exec));
            if (wanted >= 0)
              BOOST_TEST(total <= wanted);
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(driver_goes_to_the_worker_with_most_free_cores) {
  auto offers = workers({2, 6, 4});
  BOOST_TEST(place_driver(offers, 1, 1024).value() == 1u);
  offers[1].memory_free_mb = 100; // no room for the driver's memory there
  BOOST_TEST(place_driver(offers, 1, 1024).value() == 2u);
  BOOST_TEST(!place_driver(offers, 8, 1024).has_value());
  BOOST_TEST(!place_driver({}, 1, 1024).has_value());
}

BOOST_AUTO_TEST_CASE(driver_ties_are_broken_by_the_rotating_start) {
  auto offers = workers({4, 4, 4});
  BOOST_TEST(place_driver(offers, 1, 1024, 0).value() == 0u);
  BOOST_TEST(place_driver(offers, 1, 1024, 1).value() == 1u);
  BOOST_TEST(place_driver(offers, 1, 1024, 2).value() == 2u);
  BOOST_TEST(place_driver(offers, 1, 1024, 4).value() == 1u); // start wraps around
}

BOOST_AUTO_TEST_SUITE_END()
