#pragma once
// The shared secret (auth.secret-file, Spark's spark.authenticate): reading
// the secret file, the HTTP token derived from it, and the connection-time
// challenge-response both ends of a node connection run before one byte of
// the protocol is relayed. Plain C++ over byte buffers (OpenSSL's libcrypto
// for HMAC-SHA256 and nonces); the sockets live in frame_guard and
// outbound_relay.
//
// The handshake (never the secret on the wire; mutual):
//   client -> server  hello  "TRPA" | client nonce (32)                   36 bytes
//   server -> client  reply  "TRPA" | server nonce (32) | HMAC(s, "troupe-server" | cn | sn)   68 bytes
//   client -> server  proof  HMAC(s, "troupe-client" | cn | sn)          32 bytes
// The server reads at most 68 bytes before the proof is checked.

#include <cstddef>
#include <cstdint>
#include <string>

namespace troupe::auth {

/// Bytes of a nonce and of an HMAC-SHA256.
constexpr size_t nonce_size = 32;
constexpr size_t mac_size = 32;
/// The four bytes that open a hello and a reply.
constexpr char magic[4] = {'T', 'R', 'P', 'A'};
constexpr size_t hello_size = sizeof magic + nonce_size;
constexpr size_t reply_size = sizeof magic + nonce_size + mac_size;
constexpr size_t proof_size = mac_size;

/// Reads the secret in `path`: it must exist, be a readable regular file and
/// not be empty (a trailing newline is dropped). False and `error` otherwise;
/// `warning` is set when group or others may read it.
bool read_secret_file(const std::string& path, std::string& secret, std::string& error, std::string& warning);

/// Checks the TLS files: tls.certificate, tls.key and tls.cafile come
/// together, and each is a readable PEM file OpenSSL can load (a certificate,
/// a private key, a CA certificate). True when none is set; false and `error`
/// naming the key otherwise.
bool check_tls_files(const std::string& certificate, const std::string& key, const std::string& cafile,
                     std::string& error);

/// HMAC-SHA256 of `data` under `key` (32 raw bytes).
std::string hmac_sha256(const std::string& key, const std::string& data);

/// Lower-case hex of `bytes`.
std::string to_hex(const std::string& bytes);

/// The HTTP bearer token: hex HMAC-SHA256(secret, "troupe-http").
std::string http_token(const std::string& secret);

/// `n` random bytes from OpenSSL's generator.
std::string random_bytes(size_t n);

/// The server's side of the handshake, fed the peer's bytes as they come.
class server_handshake {
public:
  enum class state : uint8_t { want_hello, want_proof, done, failed };

  explicit server_handshake(std::string secret);

  /// Consumes up to `n` bytes and returns how many it took; bytes past the
  /// proof are not taken (they are the protocol's and go to the node).
  size_t feed(const char* data, size_t n);

  /// Bytes to send to the peer now (the reply, once the hello is in); clears them.
  std::string take_output();

  state current() const { return state_; }
  /// Why the handshake failed ("" otherwise).
  const std::string& reason() const { return reason_; }

private:
  std::string secret_;
  std::string buf_;
  std::string client_nonce_, server_nonce_, output_, reason_;
  state state_ = state::want_hello;
};

/// The client's side: says hello, checks the server's reply, proves itself.
class client_handshake {
public:
  enum class state : uint8_t { want_reply, done, failed };

  explicit client_handshake(std::string secret);

  /// Consumes up to `n` bytes of the server's; bytes past its reply are not taken.
  size_t feed(const char* data, size_t n);

  /// Bytes to send now (the hello at first, the proof once the reply checked out); clears them.
  std::string take_output();

  state current() const { return state_; }
  const std::string& reason() const { return reason_; }

private:
  std::string secret_;
  std::string buf_;
  std::string client_nonce_, output_, reason_;
  state state_ = state::want_reply;
};

} // namespace troupe::auth
