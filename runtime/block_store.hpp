#pragma once
// An executor's store of blocks: shuffle map outputs and cached partitions.
// Blocks stay objects in memory up to a limit; past it the oldest are encoded
// and spilled to files under the executor's directory, and read back on use.

#include "runtime/partition.hpp"

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

namespace troupe {

/// Names a block. Shuffle output: {shuffle, map, reduce}; cached partition:
/// {-1 - node, partition, 0} (see cache_block).
struct block_id {
  int32_t a = 0;
  int32_t b = 0;
  int32_t c = 0;
  friend bool operator<(const block_id& x, const block_id& y) {
    return std::tie(x.a, x.b, x.c) < std::tie(y.a, y.b, y.c);
  }
  friend bool operator==(const block_id& x, const block_id& y) {
    return x.a == y.a && x.b == y.b && x.c == y.c;
  }
};

/// The block a map task wrote for one reducer.
inline block_id shuffle_block(int32_t shuffle, int32_t map, int32_t reduce) { return {shuffle, map, reduce}; }
/// The block of a cached partition of a dataset node.
inline block_id cache_block(int32_t node, int32_t partition) { return {-1 - node, partition, 0}; }

/// Thread-safe: task threads put and get concurrently.
class block_store {
public:
  /// `memory_limit_bytes` of objects before spilling; `spill_dir` is created on
  /// first spill (files are removed by the destructor and by remove_*).
  block_store(size_t memory_limit_bytes, std::string spill_dir);
  ~block_store();
  block_store(const block_store&) = delete;
  block_store& operator=(const block_store&) = delete;

  /// Stores (or replaces) a block; may spill older blocks to stay under the limit.
  void put(const block_id& id, partition_ptr data);
  /// The block, read back from disk if it was spilled; nullptr if unknown.
  /// A spilled block moves back to memory only if it fits under the limit
  /// without spilling another; else it stays spilled and only the caller
  /// holds the decoded copy.
  /// Throws std::runtime_error naming the file if a spill file cannot be read.
  partition_ptr get(const block_id& id);
  /// The block encoded (the wire form), without decoding a spilled one.
  std::optional<std::string> get_encoded(const block_id& id);
  /// True if the block is stored, in memory or spilled.
  bool contains(const block_id& id) const;
  /// Drops every block of a shuffle (a = shuffle).
  void remove_shuffle(int32_t shuffle);
  /// Drops every cached partition of a node.
  void remove_cached(int32_t node);

  /// Spills the oldest in-memory blocks until `want` bytes (estimates) are
  /// let go or none is left; returns the bytes let go. Gives up at once (0)
  /// when another thread holds the store: it is the memory guard's reliever
  /// and must not wait on a task that is inside the store.
  size_t shed(size_t want);

  /// Bytes (estimates) of the blocks held in memory.
  size_t memory_used() const;
  /// Number of blocks that live in spill files.
  size_t spilled_blocks() const;
  /// Number of blocks, in memory or spilled.
  size_t block_count() const;

private:
  struct entry {
    partition_ptr data;            // null when spilled
    partition_decoder decoder = nullptr;
    size_t bytes = 0;
    std::string file;              // non-empty when spilled
    std::list<block_id>::iterator lru;
  };
  void spill_locked();
  size_t spill_oldest_locked();
  void erase_locked(std::map<block_id, entry>::iterator it);

  mutable std::mutex mtx_;
  size_t limit_;
  std::string dir_;
  size_t used_ = 0;
  size_t spilled_ = 0;
  uint64_t file_seq_ = 0;
  bool created_dir_ = false;       // the destructor removes dir_ only if we made it
  std::map<block_id, entry> blocks_;
  std::list<block_id> lru_;        // in-memory blocks, oldest first
};

} // namespace troupe
