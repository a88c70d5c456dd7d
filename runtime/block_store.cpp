#include "runtime/block_store.hpp"

#include "runtime/memory_guard.hpp"

#include <climits>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace fs = std::filesystem;

namespace troupe {

namespace {

/// Reads a whole spill file; throws std::runtime_error naming it on failure.
std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    throw std::runtime_error("block store: cannot open spill file " + path);
  std::string bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  if (in.bad())
    throw std::runtime_error("block store: cannot read spill file " + path);
  return bytes;
}

/// Writes a spill file; throws std::runtime_error naming it on failure.
void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  if (out)
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (out)
    out.close();
  if (!out) {
    std::error_code ec;
    fs::remove(path, ec);
    throw std::runtime_error("block store: cannot write spill file " + path);
  }
}

/// Decodes spilled bytes; a decoder's own exception is rethrown naming the file.
partition_ptr decode_file(partition_decoder decoder, const std::string& bytes,
                          const std::string& path) {
  try {
    auto data = decoder(bytes.data(), bytes.size());
    if (!data)
      throw std::runtime_error("decoder returned nothing");
    return data;
  } catch (const std::exception& e) {
    throw std::runtime_error("block store: cannot decode spill file " + path + ": " + e.what());
  }
}

} // namespace

block_store::block_store(size_t memory_limit_bytes, std::string spill_dir)
  : limit_(memory_limit_bytes), dir_(std::move(spill_dir)) {
  // nop
}

block_store::~block_store() {
  std::error_code ec;
  for (const auto& [_, e] : blocks_)
    if (!e.file.empty())
      fs::remove(e.file, ec);
  // remove() only takes an empty directory: files someone else put there survive.
  if (created_dir_)
    fs::remove(dir_, ec);
}

void block_store::put(const block_id& id, partition_ptr data) {
  if (!data)
    throw std::invalid_argument("block store: put of a null partition");
  std::lock_guard guard{mtx_};
  if (auto i = blocks_.find(id); i != blocks_.end())
    erase_locked(i);
  entry e;
  e.bytes = data->bytes_estimate();
  e.decoder = data->decoder();
  e.data = std::move(data);
  e.lru = lru_.insert(lru_.end(), id);
  used_ += e.bytes;
  blocks_.emplace(id, std::move(e));
  spill_locked();
}

partition_ptr block_store::get(const block_id& id) {
  std::lock_guard guard{mtx_};
  auto i = blocks_.find(id);
  if (i == blocks_.end())
    return nullptr;
  auto& e = i->second;
  if (e.data) {
    lru_.splice(lru_.end(), lru_, e.lru); // most recently used now
    return e.data;
  }
  auto data = decode_file(e.decoder, read_file(e.file), e.file);
  // Re-admit a spilled block only when it fits without pushing another block
  // out: a cached partition read in a loop then stays in memory, and reading
  // never turns into a spill storm. Otherwise it stays on disk and the caller
  // holds the only decoded copy.
  // Nor while the process nears its memory bound: the copy is the caller's.
  auto bytes = data->bytes_estimate();
  if (used_ + bytes <= limit_ && !memory_guard::under_pressure()) {
    std::error_code ec;
    fs::remove(e.file, ec);
    e.file.clear();
    e.data = data;
    e.bytes = bytes;
    e.lru = lru_.insert(lru_.end(), id);
    used_ += bytes;
    --spilled_;
  }
  return data;
}

std::optional<std::string> block_store::get_encoded(const block_id& id) {
  std::lock_guard guard{mtx_};
  auto i = blocks_.find(id);
  if (i == blocks_.end())
    return std::nullopt;
  const auto& e = i->second;
  if (!e.data)
    return read_file(e.file);
  std::string out;
  e.data->encode(out);
  return out;
}

bool block_store::contains(const block_id& id) const {
  std::lock_guard guard{mtx_};
  return blocks_.count(id) != 0;
}

void block_store::remove_shuffle(int32_t shuffle) {
  std::lock_guard guard{mtx_};
  auto i = blocks_.lower_bound(block_id{shuffle, INT32_MIN, INT32_MIN});
  while (i != blocks_.end() && i->first.a == shuffle)
    erase_locked(i++);
}

void block_store::remove_cached(int32_t node) {
  remove_shuffle(cache_block(node, 0).a); // same key layout: every block with a = -1 - node
}

size_t block_store::memory_used() const {
  std::lock_guard guard{mtx_};
  return used_;
}

size_t block_store::spilled_blocks() const {
  std::lock_guard guard{mtx_};
  return spilled_;
}

size_t block_store::block_count() const {
  std::lock_guard guard{mtx_};
  return blocks_.size();
}

size_t block_store::shed(size_t want) {
  std::unique_lock guard{mtx_, std::try_to_lock};
  if (!guard.owns_lock())
    return 0;
  size_t freed = 0;
  while (freed < want && !lru_.empty())
    freed += spill_oldest_locked();
  return freed;
}

void block_store::spill_locked() {
  // File I/O happens under the lock: simple and correct; spilling is the slow
  // path already, and a concurrent get of the block being spilled must wait.
  while (used_ > limit_ && !lru_.empty())
    spill_oldest_locked();
}

size_t block_store::spill_oldest_locked() {
  auto& e = blocks_.at(lru_.front());
  if (!created_dir_ && !fs::exists(dir_)) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
      throw std::runtime_error("block store: cannot create spill directory " + dir_ + ": " + ec.message());
    created_dir_ = true;
  }
  std::string bytes;
  e.data->encode(bytes);
  auto path = (fs::path{dir_} / ("block-" + std::to_string(file_seq_++) + ".bin")).string();
  write_file(path, bytes); // throws, leaving the block in memory
  e.file = std::move(path);
  e.data.reset();
  used_ -= e.bytes;
  ++spilled_;
  lru_.pop_front();
  return e.bytes;
}

void block_store::erase_locked(std::map<block_id, entry>::iterator it) {
  auto& e = it->second;
  if (e.data) {
    used_ -= e.bytes;
    lru_.erase(e.lru);
  } else {
    std::error_code ec;
    fs::remove(e.file, ec);
    --spilled_;
  }
  blocks_.erase(it);
}

} // namespace troupe
