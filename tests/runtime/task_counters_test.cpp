// What executors count per task attempt (runtime/task_counters.hpp): sources'
// rows and bytes, shuffle writes and reads, saved rows and bytes, on fake
// executors fed through the DAG scheduler (tests/support/inline_runner.hpp).
#include "tests/support/inline_runner.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace troupe;
using troupe::testing::inline_runner;

namespace {

std::string temp_path(const std::string& name) {
  static int n = 0;
  return (std::filesystem::temp_directory_path()
          / ("troupe-counters-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + "-" + name))
    .string();
}

/// `lines` lines "line <i> common", each with its '\n' unless `last_newline` is false for the last.
std::string numbered_lines(int lines, bool last_newline = true) {
  std::string out;
  for (int i = 0; i < lines; ++i)
    out += "line" + std::to_string(i) + " common" + (i + 1 < lines || last_newline ? "\n" : "");
  return out;
}

int64_t files_size(const std::string& dir, const std::string& prefix) {
  int64_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0)
      n += static_cast<int64_t>(e.file_size());
  return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(task_counters_of_tasks)

BOOST_AUTO_TEST_CASE(the_splits_of_a_file_read_its_lines_and_bytes_exactly_once) {
  for (bool last_newline : {true, false}) {
    auto path = temp_path("lines.txt");
    auto content = numbered_lines(100, last_newline);
    std::ofstream(path) << content;
    auto size = static_cast<int64_t>(content.size());
    for (int64_t split : {int64_t{7}, int64_t{64}, int64_t{1} << 20}) {
      int64_t lines = 0, bytes = 0;
      for (auto& sp : make_splits(size, split, 1)) {
        auto s = make_sink<std::string>([](std::string&&) {});
        auto r = read_lines(path, sp, s);
        lines += r.lines;
        bytes += r.bytes;
      }
      BOOST_TEST(lines == 100, "split " << split);
      BOOST_TEST(bytes == size, "split " << split);
    }
    std::filesystem::remove(path);
  }
}

BOOST_AUTO_TEST_CASE(a_text_file_job_counts_its_lines_and_the_files_bytes) {
  inline_runner runner(2, 2);
  context ctx(runner, {4, 97});
  auto path = temp_path("lines.txt");
  auto content = numbered_lines(250);
  std::ofstream(path) << content;
  BOOST_TEST(ctx.text_file(path).count() == 250);
  BOOST_TEST(runner.result_counters.input_records == 250);
  BOOST_TEST(runner.result_counters.input_bytes == static_cast<int64_t>(content.size()));
  BOOST_TEST(runner.result_counters.shuffle_read_records == 0);
  BOOST_TEST(runner.result_counters.output_records == 0);  // count saves nothing
  BOOST_TEST(runner.result_counters.result_bytes > 0);     // but returns its counts
  BOOST_TEST(runner.map_counters.input_records == 0);      // and had no map stage
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(a_shuffle_reads_every_record_its_maps_wrote) {
  inline_runner runner(2, 2);
  context ctx(runner, {});
  // 1000 distinct keys in 8 map partitions and 1000 of one shared key: each
  // map partition that holds any of the shared key combines it into one row.
  std::vector<std::pair<int64_t, int64_t>> rows;
  for (int64_t i = 0; i < 1000; ++i)
    rows.push_back({i + 1, 1});
  for (int64_t i = 0; i < 1000; ++i)
    rows.push_back({0, 1});
  auto sums = ctx.parallelize(rows, 8).reduce_by_key([](int64_t a, int64_t b) { return a + b; }, 5).collect();
  BOOST_TEST(sums.size() == 1001u);
  auto& m = runner.map_counters;
  auto& r = runner.result_counters;
  BOOST_TEST(m.input_records == 2000);
  // Partitions 4..7 hold the shared key only: one row each; 0..3 their 250 distinct keys.
  BOOST_TEST(m.shuffle_write_records == 1000 + 4);
  BOOST_TEST(m.shuffle_write_bytes > 0);
  BOOST_TEST(r.shuffle_read_records == m.shuffle_write_records);
  // Every block is in this process: read as large as written.
  BOOST_TEST(r.shuffle_read_bytes() == m.shuffle_write_bytes);
  BOOST_TEST(r.shuffle_remote_bytes == 0);
  BOOST_TEST(r.shuffle_remote_blocks == 0);
  BOOST_TEST(r.shuffle_local_blocks > 0);
  BOOST_TEST(r.shuffle_local_blocks <= 8 * 5);
  BOOST_TEST(r.input_records == 0);  // a reducer reads no source
  BOOST_TEST(r.result_bytes > 0);
}

BOOST_AUTO_TEST_CASE(a_save_counts_the_rows_and_bytes_it_wrote) {
  inline_runner runner(1, 2);
  context ctx(runner, {});
  auto dir = temp_path("out");
  BOOST_TEST(ctx.range(0, 1234, 1, 3).save_as_text_file(dir) == 1234);
  BOOST_TEST(runner.result_counters.input_records == 1234);  // the range's rows
  BOOST_TEST(runner.result_counters.output_records == 1234);
  BOOST_TEST(runner.result_counters.output_bytes == files_size(dir, "part-"));
  BOOST_TEST(runner.result_counters.output_bytes > 1234);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_cached_partition_read_again_is_input_too) {
  inline_runner runner(1, 2);
  context ctx(runner, {});
  auto rows = ctx.range(0, 300, 1, 3).cache();
  BOOST_TEST(rows.count() == 300);
  BOOST_TEST(runner.result_counters.input_records == 300);
  BOOST_TEST(rows.count() == 300);  // from the cache this time
  BOOST_TEST(runner.result_counters.input_records == 600);
  BOOST_TEST(runner.result_counters.input_bytes > 0);  // the cached blocks' size
}

BOOST_AUTO_TEST_SUITE_END()
