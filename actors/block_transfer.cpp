#include "actors/block_transfer.hpp"

#include "actors/protocol.hpp"
#include "actors/publish.hpp"
#include "runtime/log.hpp"
#include "runtime/ops/shuffle.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/spdlog.h>

#include <deque>

namespace troupe {

void peer_book::update(const std::map<std::string, std::string>& addresses) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& [id, addr] : addresses) {
    auto old = addresses_.find(id);
    if (old != addresses_.end() && old->second != addr)
      handles_.erase(id);
    addresses_[id] = addr;
  }
}

caf::actor peer_book::connect(const std::string& exec, std::string& error) {
  std::string addr;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto h = handles_.find(exec);
    if (h != handles_.end())
      return h->second;
    auto a = addresses_.find(exec);
    if (a == addresses_.end()) {
      error = "no address known for executor " + exec;
      return {};
    }
    addr = a->second;
  }
  auto colon = addr.rfind(':');
  auto host = addr.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(addr.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (colon == std::string::npos || port <= 0 || port > 65535) {
    error = "bad address '" + addr + "' for executor " + exec;
    return {};
  }
  // middleman().remote_actor would wait forever for a frozen peer's handshake.
  auto [dial_host, dial_port] = dial_address(*sys_, host, static_cast<uint16_t>(port), error);
  if (dial_host.empty())
    return {};
  caf::actor h;
  caf::scoped_actor self{*sys_};
  self->request(connection_manager(*sys_), connect_timeout_, caf::connect_atom::value, dial_host,
                dial_port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        h = caf::actor_cast<caf::actor>(ptr);
        if (!h)
          error = "no actor published for executor " + exec + " at " + addr;
      },
      [&](caf::error& err) {
        error = "cannot connect to executor " + exec + " at " + addr + ": " + sys_->render(err);
      });
  if (!h)
    return {};
  std::lock_guard<std::mutex> guard{mtx_};
  handles_[exec] = h;
  return h;
}

void peer_book::forget(const std::string& exec, const caf::actor& handle) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = handles_.find(exec);
  if (it != handles_.end() && it->second == handle)
    handles_.erase(it);
}

namespace {

/// One attempt: false when the peer's handle died during it.
bool fetch_once(caf::actor_system& sys, const caf::actor& peer, int32_t shuffle, int32_t reduce,
                const std::vector<int32_t>& maps, int32_t chunk_bytes, int32_t max_in_flight,
                std::chrono::milliseconds silence, std::vector<remote_block>& out) {
  out.assign(maps.size(), remote_block{});
  caf::scoped_actor self{sys};
  self->monitor(peer);
  std::map<int64_t, size_t> in_flight;  // request id -> index into maps
  int64_t next_request = 0;
  size_t next_map = 0;
  auto ask = [&](size_t idx, int64_t offset) {
    auto id = next_request++;
    in_flight[id] = idx;
    self->send(peer, fetch_block{id, shuffle, maps[idx], reduce, offset, chunk_bytes, self});
  };
  auto start_next = [&] {
    if (next_map < maps.size())
      ask(next_map++, 0);
  };
  for (int32_t i = 0; i < std::max(max_in_flight, 1); ++i)
    start_next();
  bool lost = false;
  while (!in_flight.empty() && !lost) {
    self->receive(
      [&](fetched_block& fb) {
        auto it = in_flight.find(fb.request);
        if (it == in_flight.end())
          return;
        auto idx = it->second;
        in_flight.erase(it);
        auto& block = out[idx];
        block.found = fb.found;
        if (fb.found) {
          if (block.bytes.empty())
            block.bytes.reserve(static_cast<size_t>(fb.total));  // one allocation per block, not per chunk
          block.bytes += fb.bytes;
          if (static_cast<int64_t>(block.bytes.size()) < fb.total) {
            ask(idx, static_cast<int64_t>(block.bytes.size()));
            return;
          }
        }
        start_next();
      },
      [&](caf::down_msg&) { lost = true; },
      caf::after(silence) >> [&] { lost = true; });
  }
  self->demonitor(peer);
  return !lost;
}

} // namespace

std::vector<remote_block> fetch_remote(caf::actor_system& sys, peer_book& peers, const std::string& exec,
                                       int32_t shuffle, int32_t reduce, const std::vector<int32_t>& maps,
                                       int32_t chunk_bytes, int32_t max_in_flight,
                                       std::chrono::milliseconds silence) {
  std::vector<remote_block> out;
  // Two executors connecting to each other at once can see one of the two
  // connections (and the proxies on it) closed: reconnect before giving up.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string error;
    auto peer = peers.connect(exec, error);
    if (!peer)
      throw fetch_failed(shuffle, maps.empty() ? 0 : maps.front(), exec, error);
    if (fetch_once(sys, peer, shuffle, reduce, maps, chunk_bytes, max_in_flight, silence, out))
      return out;
    peers.forget(exec, peer);
    log::executor()->info("fetch from exec={} interrupted (attempt {}); reconnecting", exec, attempt + 1);
  }
  throw fetch_failed(shuffle, maps.empty() ? 0 : maps.front(), exec, "the executor went away during a fetch");
}

void block_server::serve(const fetch_block& req) {
  fetched_block reply;
  reply.request = req.request;
  reply.found = store_->contains(ops::map_done_block(req.shuffle, req.map));
  if (reply.found) {
    auto id = shuffle_block(req.shuffle, req.map, req.reduce);
    std::shared_ptr<const std::string> bytes;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      auto it = encoded_.find(id);
      if (it != encoded_.end())
        bytes = it->second;
    }
    if (!bytes) {
      auto enc = store_->get_encoded(id);
      bytes = std::make_shared<const std::string>(enc ? std::move(*enc) : std::string{});
    }
    reply.total = static_cast<int64_t>(bytes->size());
    auto offset = static_cast<size_t>(std::clamp<int64_t>(req.offset, 0, reply.total));
    auto len = std::min(bytes->size() - offset, static_cast<size_t>(std::max(req.max_bytes, 1)));
    reply.bytes.assign(*bytes, offset, len);
    std::lock_guard<std::mutex> guard{mtx_};
    if (offset + len < bytes->size()) {
      encoded_[id] = bytes;  // more chunks to come
      if (encoded_.size() > 64)
        encoded_.erase(encoded_.begin());
    } else {
      encoded_.erase(id);
    }
  }
  caf::anon_send(req.reply_to, std::move(reply));
}

} // namespace troupe
