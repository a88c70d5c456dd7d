#include "runtime/dataset.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace troupe {

int32_t context::default_parallelism() {
  if (opts_.default_parallelism > 0)
    return opts_.default_parallelism;
  return std::max(runner_->total_cores(), 1);
}

dataset<int64_t> context::range(int64_t start, int64_t end, int64_t step, int32_t slices) {
  if (step == 0)
    throw std::invalid_argument("range: step must not be 0");
  if (slices <= 0)
    slices = default_parallelism();
  auto n = std::make_shared<ops::range_node>(start, end, step);
  return {this, add(std::shared_ptr<node<int64_t>>(n), slices)};
}

dataset<std::string> context::text_file(const std::string& path, int32_t min_partitions) {
  auto size = file_size_or_throw(path);
  if (min_partitions <= 0)
    min_partitions = std::min(default_parallelism(), 2);
  auto splits = make_splits(size, opts_.split_size_bytes, min_partitions);
  auto parts = static_cast<int32_t>(splits.size());
  auto n = std::make_shared<ops::text_file_node>(std::filesystem::absolute(path).string(), std::move(splits));
  return {this, add(std::shared_ptr<node<std::string>>(n), parts)};
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_ascii_space(line[i]))
      ++i;
    size_t j = i;
    while (j < line.size() && !is_ascii_space(line[j]))
      ++j;
    if (j > i)
      words.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return words;
}

namespace {

/// True for the names a save writes: `part-NNNNN` and its hidden `.part-*.tmp` temporaries.
bool is_output_file(const std::string& name) {
  return name.rfind("part-", 0) == 0 || (name.rfind(".part-", 0) == 0 && name.size() > 4
                                          && name.compare(name.size() - 4, 4, ".tmp") == 0);
}

/// A directory left by a failed save: only `_FAILED`, temporaries and part files.
bool is_failed_output(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / "_FAILED", ec))
    return false;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (name != "_FAILED" && !is_output_file(name))
      return false;
  }
  return !ec;
}

} // namespace

std::string detail::make_output_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && is_failed_output(dir)) {
    // What a failed run left: it holds no result, so a new run may take it.
    fs::remove_all(dir, ec);
    if (ec)
      throw std::runtime_error("cannot clear the failed output directory '" + dir + "': " + ec.message());
  }
  if (fs::exists(dir, ec))
    throw std::runtime_error("output directory '" + dir + "' already exists");
  if (!fs::create_directories(dir, ec) || ec)
    throw std::runtime_error("cannot create output directory '" + dir + "': " + ec.message());
  return fs::absolute(dir).string();
}

void detail::commit_output(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> stale;
  for (auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(".part-", 0) == 0)
      stale.push_back(e.path());
  for (auto& p : stale)
    fs::remove(p, ec);
  std::ofstream f(dir + "/_SUCCESS");
  if (!f)
    throw std::runtime_error("cannot write '" + dir + "/_SUCCESS'");
}

void detail::abort_output(const std::string& dir, const std::string& reason) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // _FAILED first: an attempt still running sees it and does not commit its part.
  std::ofstream(dir + "/_FAILED") << reason << '\n';
  std::vector<fs::path> written;
  for (auto& e : fs::directory_iterator(dir, ec))
    if (is_output_file(e.path().filename().string()))
      written.push_back(e.path());
  for (auto& p : written)
    fs::remove(p, ec);
}

} // namespace troupe
