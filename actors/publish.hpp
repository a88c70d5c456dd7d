#pragma once
// The one way every role publishes an actor: CAF listens privately on
// 127.0.0.1 and a frame_guard (runtime/frame_guard.hpp) owns the public port,
// refusing frames larger than network.max-frame-size before CAF allocates them.

#include <caf/fwd.hpp>

#include <cstdint>
#include <string>

namespace troupe {

/// Publishes `a` on host:port (0 = any) behind a frame guard and returns the
/// public port. The guard stops when `a` terminates. The maximum frame is
/// read from the system's config key "troupe.max-frame-size" (configure_system).
caf::expected<uint16_t> publish_guarded(caf::actor_system& sys, const caf::actor& a, uint16_t port,
                                        const std::string& host);

} // namespace troupe
