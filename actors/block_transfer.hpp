#pragma once
// Shuffle blocks between executors of different processes: the serving side
// encodes a block once and answers it in chunks; the fetching side (a task
// thread) keeps a bounded number of chunk requests in flight.

#include "runtime/block_store.hpp"
#include "runtime/task_runner.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace troupe {

struct fetch_block;

/// Where the other executors of an application serve blocks, and handles to
/// those already connected. Thread-safe: task threads share it.
class peer_book {
public:
  /// `connect_timeout` bounds one connection attempt: a frozen (SIGSTOPped)
  /// peer accepts the TCP connection but never answers the handshake.
  explicit peer_book(caf::actor_system& sys, std::chrono::milliseconds connect_timeout = std::chrono::seconds(10))
      : sys_(&sys), connect_timeout_(connect_timeout) {}
  void update(const std::map<std::string, std::string>& addresses);
  /// The executor's handle, connecting on first use; null if unknown or unreachable.
  caf::actor connect(const std::string& exec, std::string& error);
  /// Drops a cached handle that died (its connection was lost or replaced).
  void forget(const std::string& exec, const caf::actor& handle);

private:
  caf::actor_system* sys_;
  std::chrono::milliseconds connect_timeout_;
  std::mutex mtx_;
  std::map<std::string, std::string> addresses_;
  std::map<std::string, caf::actor> handles_;
};

/// Fetches blocks (shuffle, m, reduce) of `maps` from executor `exec`; a peer
/// silent for `silence` (shuffle.fetch-timeout) counts as gone. Every way a
/// fetch can fail — no address, peer unreachable or gone (connection refused
/// or reset: its handle goes down), a bounded connect or the silence timing
/// out — throws fetch_failed naming the shuffle, the first map partition
/// asked for and the executor, which the task reports as a fetch failure.
std::vector<remote_block> fetch_remote(caf::actor_system& sys, peer_book& peers, const std::string& exec,
                                       int32_t shuffle, int32_t reduce, const std::vector<int32_t>& maps,
                                       int32_t chunk_bytes, int32_t max_in_flight, std::chrono::milliseconds silence);

/// Answers fetch_block requests from a store, encoding each block once.
class block_server {
public:
  explicit block_server(block_store& store) : store_(&store) {}
  /// Runs on a serving thread: sends one fetched_block to the requester.
  void serve(const fetch_block& req);

private:
  block_store* store_;
  std::mutex mtx_;
  std::map<block_id, std::shared_ptr<const std::string>> encoded_;  // blocks being sent
};

} // namespace troupe
