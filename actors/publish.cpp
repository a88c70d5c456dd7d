#include "actors/publish.hpp"

#include "runtime/frame_guard.hpp"
#include "runtime/outbound_relay.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <memory>

namespace troupe {

bool tls_enabled(caf::actor_system& sys) { return caf::get_or(sys.config(), "troupe.tls", false); }

caf::actor connection_manager(caf::actor_system& sys) {
  if (tls_enabled(sys))
    return caf::actor_cast<caf::actor>(sys.openssl_manager().actor_handle());
  return caf::actor_cast<caf::actor>(sys.middleman().actor_handle());
}

caf::expected<uint16_t> publish_guarded(caf::actor_system& sys, const caf::actor& a, uint16_t port,
                                        const std::string& host) {
  // Private: only the guard (and other local processes) can reach it.
  auto tls = tls_enabled(sys);
  auto inner = tls ? caf::openssl::publish(a, 0, "127.0.0.1", true) : sys.middleman().publish(a, 0, "127.0.0.1", true);
  if (!inner)
    return inner.error();
  frame_guard_options opts;
  opts.host = host;
  opts.port = port;
  opts.target_port = *inner;
  opts.max_frame_bytes = static_cast<uint64_t>(
    caf::get_or(sys.config(), "troupe.max-frame-size", int64_t{64} << 20));
  opts.name = host + ":" + std::to_string(port);
  opts.secret = caf::get_or(sys.config(), "troupe.auth-key", std::string{});
  // Under TLS the guard sees ciphertext: it cannot read BASP lengths, and it
  // need not: OpenSSL bounds its records (16 KiB) and refuses a peer without
  // a certificate of tls.cafile before CAF reads one frame.
  opts.check_frames = !tls;
  std::string error;
  std::shared_ptr<frame_guard> guard = frame_guard::start(opts, error);
  if (!guard) {
    caf::anon_send(connection_manager(sys), caf::unpublish_atom::value, a.address(), *inner);
    return caf::make_error(caf::sec::cannot_open_port, error);
  }
  auto public_port = guard->port();
  // The guard lives as long as the actor: its thread is joined when the actor
  // terminates, so ~actor_system has nothing extra to wait for. CAF keeps the
  // private port open after its actor is gone: close it too, or every
  // executor of a worker in thread isolation leaks a listening socket.
  auto mm = connection_manager(sys);
  auto whom = a.address();
  auto private_port = *inner;
  caf::actor_cast<caf::abstract_actor*>(a)->attach_functor([guard, mm, whom, private_port] {
    guard->stop();
    caf::anon_send(mm, caf::unpublish_atom::value, whom, private_port);
  });
  return public_port;
}

std::pair<std::string, uint16_t> dial_address(caf::actor_system& sys, const std::string& host, uint16_t port,
                                              std::string& error) {
  auto key = caf::get_or(sys.config(), "troupe.auth-key", std::string{});
  if (key.empty())
    return {host, port};
  auto local = outbound_relay::instance().port_for(key, host, port, error);
  if (local == 0)
    return {"", 0};
  return {"127.0.0.1", local};
}

void connect_async(caf::event_based_actor* self, const std::string& host, uint16_t port,
                   std::chrono::milliseconds timeout, std::function<void(caf::actor)> reached,
                   std::function<void(caf::error&)> failed) {
  std::string error;
  auto [dial_host, dial_port] = dial_address(self->system(), host, port, error);
  if (dial_host.empty()) {
    auto err = caf::make_error(caf::sec::cannot_connect_to_node, error);
    failed(err);
    return;
  }
  self->request(connection_manager(self->system()), timeout, caf::connect_atom::value, dial_host,
                dial_port)
    .then(
      [reached](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        reached(caf::actor_cast<caf::actor>(ptr));
      },
      [failed](caf::error& err) { failed(err); });
}

} // namespace troupe
