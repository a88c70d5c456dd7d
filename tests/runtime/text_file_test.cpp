// Line-aligned splits: every line read exactly once whatever the split size.
#include "runtime/text_file.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>

using namespace troupe;

namespace {

std::vector<std::string> plain_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    auto nl = s.find('\n', start);
    if (nl == std::string::npos) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::vector<std::string> read_all(const std::string& path, int64_t split_size, int32_t min_splits) {
  std::vector<std::string> out;
  auto sink = make_sink<std::string>([&](std::string&& l) { out.push_back(std::move(l)); });
  for (auto& sp : make_splits(file_size_or_throw(path), split_size, min_splits))
    read_lines(path, sp, sink);
  return out;
}

struct temp_file {
  std::string path;
  explicit temp_file(const std::string& content) {
    static int n = 0;
    path = (std::filesystem::temp_directory_path()
            / ("troupe-text-" + std::to_string(::getpid()) + "-" + std::to_string(++n))).string();
    std::ofstream(path, std::ios::binary) << content;
  }
  ~temp_file() { std::filesystem::remove(path); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(text_file)

BOOST_AUTO_TEST_CASE(splits_cover_the_file) {
  auto s = make_splits(100, 30, 1);
  BOOST_TEST(s.size() == 4u);
  BOOST_TEST(s.front().start == 0);
  BOOST_TEST(s.back().end == 100);
  for (size_t i = 1; i < s.size(); ++i)
    BOOST_TEST(s[i].start == s[i - 1].end);
  BOOST_TEST(make_splits(0, 30, 4).size() == 1u);  // an empty file still has one split
  BOOST_TEST(make_splits(10, 1000, 4).size() == 4u);
  BOOST_TEST(make_splits(3, 1000, 8).size() == 3u);  // never more splits than bytes
}

BOOST_AUTO_TEST_CASE(edge_cases) {
  for (std::string content : {"", "\n", "\n\n\n", "no newline", "one\n", "a\nb", "\nx\n\ny"}) {
    temp_file f(content);
    for (int64_t split : {1, 2, 3, 1000})
      BOOST_TEST(read_all(f.path, split, 1) == plain_lines(content), "content='" << content << "' split=" << split);
  }
}

BOOST_AUTO_TEST_CASE(random_files_any_split_size) {
  std::mt19937 rng(42);
  for (int round = 0; round < 40; ++round) {
    std::string content;
    auto len = rng() % 3000;
    for (size_t i = 0; i < len; ++i) {
      auto r = rng() % 20;
      content += r == 0 ? '\n' : r == 1 ? '\r' : static_cast<char>('a' + r);
    }
    if (round % 3 == 0)
      content += std::string(5000, 'L');  // a line far longer than a split
    temp_file f(content);
    auto want = plain_lines(content);
    for (int64_t split : {1, 7, 64, 999, 1 << 20})
      BOOST_TEST(read_all(f.path, split, 1 + static_cast<int32_t>(rng() % 5)) == want);
  }
}

BOOST_AUTO_TEST_CASE(missing_file_names_the_path) {
  try {
    file_size_or_throw("/nonexistent/troupe-input.txt");
    BOOST_FAIL("expected an error");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("/nonexistent/troupe-input.txt") != std::string::npos);
  }
  BOOST_CHECK_THROW(file_size_or_throw("/tmp"), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text_file_reuse)

// read_lines reuses one line object: a consumer that keeps copies (reads a
// const std::string&) and one that moves the lines away both get every line.
BOOST_AUTO_TEST_CASE(reading_and_moving_consumers_get_the_same_lines) {
  std::string content;
  for (int i = 0; i < 500; ++i)
    content += std::string(static_cast<size_t>(i % 40), static_cast<char>('a' + i % 26)) + "\n";
  content += "last line without newline, longer than the small-string buffer";
  temp_file f(content);
  auto want = plain_lines(content);
  std::vector<std::string> copied, moved;
  auto copier = make_sink<std::string>([&](std::string&& l) {
    const std::string& view = l;
    copied.push_back(view);
  });
  auto mover = make_sink<std::string>([&](std::string&& l) { moved.push_back(std::move(l)); });
  for (auto& sp : make_splits(file_size_or_throw(f.path), 97, 1)) {
    read_lines(f.path, sp, copier);
    read_lines(f.path, sp, mover);
  }
  BOOST_TEST(copied == want);
  BOOST_TEST(moved == want);
}

BOOST_AUTO_TEST_SUITE_END()
