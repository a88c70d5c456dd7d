#include "actors/publish.hpp"

#include "runtime/frame_guard.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <memory>

namespace troupe {

caf::expected<uint16_t> publish_guarded(caf::actor_system& sys, const caf::actor& a, uint16_t port,
                                        const std::string& host) {
  // Private: only the guard (and other local processes) can reach it.
  auto inner = sys.middleman().publish(a, 0, "127.0.0.1", true);
  if (!inner)
    return inner.error();
  frame_guard_options opts;
  opts.host = host;
  opts.port = port;
  opts.target_port = *inner;
  opts.max_frame_bytes = static_cast<uint64_t>(
    caf::get_or(sys.config(), "troupe.max-frame-size", int64_t{64} << 20));
  opts.name = host + ":" + std::to_string(port);
  std::string error;
  std::shared_ptr<frame_guard> guard = frame_guard::start(opts, error);
  if (!guard) {
    sys.middleman().unpublish(a, *inner);
    return caf::make_error(caf::sec::cannot_open_port, error);
  }
  auto public_port = guard->port();
  // The guard lives as long as the actor: its thread is joined when the actor
  // terminates, so ~actor_system has nothing extra to wait for. CAF keeps the
  // private port open after its actor is gone: close it too, or every
  // executor of a worker in thread isolation leaks a listening socket.
  auto mm = sys.middleman().actor_handle();
  auto whom = a.address();
  auto private_port = *inner;
  caf::actor_cast<caf::abstract_actor*>(a)->attach_functor([guard, mm, whom, private_port] {
    guard->stop();
    caf::anon_send(mm, caf::unpublish_atom::value, whom, private_port);
  });
  return public_port;
}

void connect_async(caf::event_based_actor* self, const std::string& host, uint16_t port,
                   std::chrono::milliseconds timeout, std::function<void(caf::actor)> reached,
                   std::function<void(caf::error&)> failed) {
  self->request(self->system().middleman().actor_handle(), timeout, caf::connect_atom::value, host, port)
    .then(
      [reached](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        reached(caf::actor_cast<caf::actor>(ptr));
      },
      [failed](caf::error& err) { failed(err); });
}

} // namespace troupe
