#pragma once
// The one way every role publishes an actor: CAF listens privately on
// 127.0.0.1 and a frame_guard (runtime/frame_guard.hpp) owns the public port,
// refusing frames larger than network.max-frame-size before CAF allocates them.

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace troupe {

/// Publishes `a` on host:port (0 = any) behind a frame guard and returns the
/// public port. The guard stops when `a` terminates. The maximum frame is
/// read from the system's config key "troupe.max-frame-size" (configure_system).
caf::expected<uint16_t> publish_guarded(caf::actor_system& sys, const caf::actor& a, uint16_t port,
                                        const std::string& host);

/// True when node traffic is TLS ("troupe.tls", set by configure_system from tls.certificate).
bool tls_enabled(caf::actor_system& sys);

/// The actor that publishes and connects: the openssl manager's under TLS, else the middleman's.
caf::actor connection_manager(caf::actor_system& sys);

/// Where CAF must connect to reach host:port: the address itself, or with a
/// shared secret configured ("troupe.auth-key", configure_system) the loopback
/// outbound relay that proves the secret to the peer first. Empty host and
/// `error` set when no relay can be opened.
std::pair<std::string, uint16_t> dial_address(caf::actor_system& sys, const std::string& host, uint16_t port,
                                              std::string& error);

/// The one way an actor reaches a peer published at host:port without
/// blocking: asks the middleman, bounded by `timeout` (its remote_actor would
/// wait forever for a frozen peer's handshake). `reached` gets the peer's
/// handle, a null one when the node publishes no actor there; `failed` the error.
void connect_async(caf::event_based_actor* self, const std::string& host, uint16_t port,
                   std::chrono::milliseconds timeout, std::function<void(caf::actor)> reached,
                   std::function<void(caf::error&)> failed);

} // namespace troupe
