// Unit tests of block_store: memory accounting, LRU spilling, reading back.

#include "runtime/block_store.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace troupe;
namespace fs = std::filesystem;

namespace {

/// Rows of int64 encoded as raw bytes: just enough partition for the store.
class int_rows : public partition_data {
public:
  explicit int_rows(std::vector<int64_t> rows) : rows_(std::move(rows)) {}
  size_t rows() const override { return rows_.size(); }
  size_t bytes_estimate() const override { return rows_.size() * sizeof(int64_t); }
  void encode(std::string& out) const override {
    out.append(reinterpret_cast<const char*>(rows_.data()), bytes_estimate());
  }
  partition_decoder decoder() const override { return &decode; }
  const std::vector<int64_t>& values() const { return rows_; }

  static partition_ptr decode(const char* data, size_t size) {
    if (size % sizeof(int64_t) != 0)
      throw std::runtime_error("truncated rows");
    std::vector<int64_t> rows(size / sizeof(int64_t));
    std::memcpy(rows.data(), data, size);
    return std::make_shared<int_rows>(std::move(rows));
  }

private:
  std::vector<int64_t> rows_;
};

/// `n` rows starting at `first`: n * 8 bytes.
partition_ptr rows(int64_t first, size_t n) {
  std::vector<int64_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = first + static_cast<int64_t>(i);
  return std::make_shared<int_rows>(std::move(v));
}

const std::vector<int64_t>& values(const partition_ptr& p) {
  return dynamic_cast<const int_rows&>(*p).values();
}

/// A fresh, not yet existing directory path per test.
fs::path fresh_dir() {
  static std::atomic<int> counter{0};
  auto dir = fs::temp_directory_path()
             / ("troupe-block-store-test-" + std::to_string(::getpid()) + "-"
                + std::to_string(counter++));
  fs::remove_all(dir);
  return dir;
}

size_t files_in(const fs::path& dir) {
  if (!fs::exists(dir))
    return 0;
  return static_cast<size_t>(std::distance(fs::directory_iterator{dir}, fs::directory_iterator{}));
}

} // namespace

BOOST_AUTO_TEST_SUITE(block_store_suite)

BOOST_AUTO_TEST_CASE(blocks_under_the_limit_stay_in_memory) {
  auto dir = fresh_dir();
  block_store store{1024, dir.string()};
  auto p = rows(0, 10);
  store.put(shuffle_block(1, 0, 0), p);
  store.put(cache_block(3, 0), rows(100, 5));
  BOOST_TEST(store.block_count() == 2u);
  BOOST_TEST(store.memory_used() == 15 * sizeof(int64_t));
  BOOST_TEST(store.spilled_blocks() == 0u);
  BOOST_TEST(store.get(shuffle_block(1, 0, 0)) == p); // the very object, not a copy
  BOOST_TEST(store.contains(cache_block(3, 0)));
  BOOST_TEST(!store.contains(cache_block(3, 1)));
  BOOST_TEST(store.get(shuffle_block(9, 9, 9)) == nullptr);
  BOOST_TEST(!store.get_encoded(shuffle_block(9, 9, 9)).has_value());
  BOOST_TEST(!fs::exists(dir)); // created on first spill only
}

BOOST_AUTO_TEST_CASE(replacing_a_block_does_not_count_it_twice) {
  block_store store{1024, fresh_dir().string()};
  store.put(shuffle_block(0, 0, 0), rows(0, 10));
  store.put(shuffle_block(0, 0, 0), rows(0, 4));
  BOOST_TEST(store.block_count() == 1u);
  BOOST_TEST(store.memory_used() == 4 * sizeof(int64_t));
}

BOOST_AUTO_TEST_CASE(oldest_blocks_spill_past_the_limit_and_read_back) {
  auto dir = fresh_dir();
  const size_t block_bytes = 6 * sizeof(int64_t);
  block_store store{2 * block_bytes + 1, dir.string()}; // room for two blocks
  store.put(shuffle_block(0, 0, 0), rows(0, 6));
  store.put(shuffle_block(0, 1, 0), rows(10, 6));
  BOOST_TEST(store.spilled_blocks() == 0u);
  store.put(shuffle_block(0, 2, 0), rows(20, 6));
  BOOST_TEST(store.spilled_blocks() == 1u);
  BOOST_TEST(store.memory_used() == 2 * block_bytes);
  BOOST_TEST(files_in(dir) == 1u);
  BOOST_TEST(fs::exists(dir / "block-0.bin"));
  // The oldest block was the one spilled; it still reads back intact.
  auto back = store.get(shuffle_block(0, 0, 0));
  BOOST_REQUIRE(back != nullptr);
  BOOST_TEST(values(back) == values(rows(0, 6)));
  BOOST_TEST(store.block_count() == 3u);
}

BOOST_AUTO_TEST_CASE(get_refreshes_a_block_so_the_least_recent_spills) {
  const size_t block_bytes = 4 * sizeof(int64_t);
  block_store store{2 * block_bytes, fresh_dir().string()};
  auto first = rows(0, 4);
  store.put(shuffle_block(0, 0, 0), first);
  store.put(shuffle_block(0, 1, 0), rows(10, 4));
  store.get(shuffle_block(0, 0, 0)); // now the second block is the oldest
  store.put(shuffle_block(0, 2, 0), rows(20, 4));
  BOOST_TEST(store.spilled_blocks() == 1u);
  // An in-memory block comes back as the same object; the spilled one as a copy.
  BOOST_TEST(store.get(shuffle_block(0, 0, 0)) == first);
  auto second = store.get(shuffle_block(0, 1, 0));
  BOOST_REQUIRE(second != nullptr);
  BOOST_TEST(values(second) == values(rows(10, 4)));
}

BOOST_AUTO_TEST_CASE(get_encoded_matches_encode_in_memory_and_spilled) {
  const size_t block_bytes = 3 * sizeof(int64_t);
  block_store store{block_bytes, fresh_dir().string()};
  store.put(shuffle_block(2, 0, 1), rows(5, 3));
  store.put(shuffle_block(2, 1, 1), rows(50, 3)); // spills the first
  BOOST_TEST(store.spilled_blocks() == 1u);
  std::vector<std::pair<block_id, int64_t>> blocks{{shuffle_block(2, 0, 1), 5},
                                                   {shuffle_block(2, 1, 1), 50}};
  for (const auto& [id, first] : blocks) {
    std::string expected;
    rows(first, 3)->encode(expected);
    auto encoded = store.get_encoded(id);
    BOOST_REQUIRE(encoded.has_value());
    BOOST_TEST(*encoded == expected);
  }
}

BOOST_AUTO_TEST_CASE(a_spilled_block_that_fits_again_returns_to_memory) {
  const size_t block_bytes = 4 * sizeof(int64_t);
  block_store store{block_bytes, fresh_dir().string()};
  store.put(shuffle_block(0, 0, 0), rows(0, 4));
  store.put(shuffle_block(1, 0, 0), rows(10, 4)); // spills shuffle 0
  BOOST_TEST(store.spilled_blocks() == 1u);
  // No room: reading the spilled block keeps it spilled.
  store.get(shuffle_block(0, 0, 0));
  BOOST_TEST(store.spilled_blocks() == 1u);
  BOOST_TEST(store.memory_used() == block_bytes);
  store.remove_shuffle(1);
  // Now it fits: it is re-admitted and later gets return the same object.
  auto back = store.get(shuffle_block(0, 0, 0));
  BOOST_TEST(store.spilled_blocks() == 0u);
  BOOST_TEST(store.memory_used() == block_bytes);
  BOOST_TEST(store.get(shuffle_block(0, 0, 0)) == back);
}

BOOST_AUTO_TEST_CASE(remove_drops_blocks_and_their_files) {
  auto dir = fresh_dir();
  block_store store{0, dir.string()}; // everything spills
  store.put(shuffle_block(4, 0, 0), rows(0, 2));
  store.put(shuffle_block(4, 1, 3), rows(0, 2));
  store.put(shuffle_block(5, 0, 0), rows(0, 2));
  store.put(cache_block(7, 0), rows(0, 2));
  store.put(cache_block(7, 1), rows(0, 2));
  store.put(cache_block(8, 0), rows(0, 2));
  BOOST_TEST(store.spilled_blocks() == 6u);
  BOOST_TEST(files_in(dir) == 6u);
  store.remove_shuffle(4);
  BOOST_TEST(!store.contains(shuffle_block(4, 0, 0)));
  BOOST_TEST(!store.contains(shuffle_block(4, 1, 3)));
  BOOST_TEST(store.contains(shuffle_block(5, 0, 0)));
  store.remove_cached(7);
  BOOST_TEST(!store.contains(cache_block(7, 0)));
  BOOST_TEST(!store.contains(cache_block(7, 1)));
  BOOST_TEST(store.contains(cache_block(8, 0)));
  BOOST_TEST(store.block_count() == 2u);
  BOOST_TEST(store.spilled_blocks() == 2u);
  BOOST_TEST(files_in(dir) == 2u);
}

BOOST_AUTO_TEST_CASE(destructor_removes_spill_files_and_the_directory_it_made) {
  auto made = fresh_dir();
  auto existing = fresh_dir();
  fs::create_directories(existing);
  {
    block_store a{0, made.string()};
    block_store b{0, existing.string()};
    a.put(shuffle_block(0, 0, 0), rows(0, 2));
    b.put(shuffle_block(0, 0, 0), rows(0, 2));
    BOOST_TEST(files_in(made) == 1u);
    BOOST_TEST(files_in(existing) == 1u);
  }
  BOOST_TEST(!fs::exists(made));
  BOOST_TEST(fs::exists(existing)); // not ours to remove
  BOOST_TEST(files_in(existing) == 0u);
  fs::remove_all(existing);
}

BOOST_AUTO_TEST_CASE(unreadable_spill_file_throws_naming_the_file) {
  auto dir = fresh_dir();
  block_store store{0, dir.string()};
  store.put(shuffle_block(0, 0, 0), rows(0, 2));
  auto file = (dir / "block-0.bin").string();
  BOOST_REQUIRE(fs::exists(file));
  fs::remove(file);
  auto names_file = [&](const std::runtime_error& e) {
    return std::string{e.what()}.find(file) != std::string::npos;
  };
  BOOST_CHECK_EXCEPTION(store.get(shuffle_block(0, 0, 0)), std::runtime_error, names_file);
  BOOST_CHECK_EXCEPTION(store.get_encoded(shuffle_block(0, 0, 0)), std::runtime_error, names_file);
}

BOOST_AUTO_TEST_CASE(concurrent_puts_and_gets_keep_the_books_straight) {
  const size_t threads = 4, per_thread = 50, n = 3;
  block_store store{10 * n * sizeof(int64_t), fresh_dir().string()}; // forces spills
  std::vector<std::thread> pool;
  std::atomic<size_t> mismatches{0};
  for (size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = 0; i < per_thread; ++i) {
        auto id = shuffle_block(static_cast<int32_t>(t), static_cast<int32_t>(i), 0);
        auto first = static_cast<int64_t>(t * 1000 + i);
        store.put(id, rows(first, n));
        auto back = store.get(id);
        if (!back || values(back) != values(rows(first, n)))
          ++mismatches;
      }
    });
  }
  for (auto& th : pool)
    th.join();
  BOOST_TEST(mismatches.load() == 0u);
  BOOST_TEST(store.block_count() == threads * per_thread);
  BOOST_TEST(store.memory_used() <= 10 * n * sizeof(int64_t));
  BOOST_TEST(store.block_count() - store.spilled_blocks()
             == store.memory_used() / (n * sizeof(int64_t)));
}

BOOST_AUTO_TEST_CASE(shedding_spills_the_oldest_blocks_until_enough_is_let_go) {
  auto dir = fresh_dir();
  const size_t block_bytes = 6 * sizeof(int64_t);
  block_store store{1 << 20, dir.string()};  // the store's own limit is far away
  store.put(cache_block(0, 0), rows(0, 6));
  store.put(cache_block(0, 1), rows(10, 6));
  store.put(cache_block(0, 2), rows(20, 6));
  BOOST_TEST(store.shed(1) == block_bytes);  // one block is enough: the oldest
  BOOST_TEST(store.spilled_blocks() == 1u);
  BOOST_TEST(store.memory_used() == 2 * block_bytes);
  BOOST_TEST(values(store.get(cache_block(0, 0))).front() == 0);  // read back from its file, and re-admitted
  BOOST_TEST(store.memory_used() == 3 * block_bytes);
  BOOST_TEST(store.shed(100 * block_bytes) == 3 * block_bytes);   // all there is, no more
  BOOST_TEST(store.memory_used() == 0u);
  BOOST_TEST(store.shed(1) == 0u);
  BOOST_TEST(values(store.get(cache_block(0, 2))).back() == 25);
  BOOST_TEST(store.block_count() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
