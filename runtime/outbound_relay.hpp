#pragma once
// The client side of the shared-secret handshake for every connection a
// troupe process makes: CAF connects to a relay on 127.0.0.1 (one ephemeral
// port per remote target, kept in a map), and the relay dials the target,
// runs auth::client_handshake (the target must prove the secret too) and then
// relays bytes both ways. A target that fails the handshake is not dialled
// again before an exponential, capped backoff has passed; the failure is
// logged once per target. Plain C++: a listener thread per target, a thread
// per relayed connection (a process has tens of outbound connections).

#include <cstdint>
#include <string>

namespace troupe {

/// Process-wide relays toward peers that hold the shared secret.
class outbound_relay {
public:
  /// The one instance (never destroyed: relay threads may outlive main's statics).
  static outbound_relay& instance();

  /// The loopback port whose connections reach host:port through the secret
  /// handshake under `secret`; 0 and `error` set when no relay can listen.
  uint16_t port_for(const std::string& secret, const std::string& host, uint16_t port, std::string& error);

  /// Handshakes that failed since start (for tests and logs).
  uint64_t failures() const;

  struct impl;

private:
  outbound_relay();
  impl* impl_;
};

} // namespace troupe
