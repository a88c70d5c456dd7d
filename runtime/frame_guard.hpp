#pragma once
// A guard in front of CAF's middleman: CAF 0.17 trusts the 32-bit payload
// length of every BASP header it reads (configure_read(exactly(len))), so one
// 32-byte frame claiming 4 GB makes it allocate 4 GB. The guard owns a node's
// public port, relays every connection to the port where CAF is published on
// loopback, and closes a connection whose next frame is larger than allowed or
// is not a BASP message. Plain C++, one thread, epoll.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace troupe {

/// Size of a serialized BASP header in CAF 0.17 (operation, 2 pad bytes,
/// flags, payload_len u32, operation_data u64, source and dest actor u64),
/// big-endian (CAF's binary serializer writes network order).
constexpr size_t basp_header_size = 32;

/// The largest first frame a connecting peer may send: its client handshake
/// (a node id and app identifiers, well under a KiB).
constexpr uint32_t basp_first_frame_max = 64 * 1024;

/// Checks the BASP frames of one byte stream, fed in pieces of any size.
class basp_frame_checker {
public:
  /// What the bytes fed so far are.
  enum class verdict : uint8_t { ok, oversized, bad_operation, bad_first_frame };

  /// A checker refusing frames whose payload exceeds `max_payload` bytes.
  explicit basp_frame_checker(uint64_t max_payload) : max_(max_payload) {}

  /// Consumes `n` bytes; once it returns something other than ok the stream is
  /// refused and later calls return the same verdict.
  verdict feed(const char* data, size_t n);

  /// Why the stream was refused ("" while ok).
  const std::string& reason() const { return reason_; }

  /// Complete headers seen so far.
  uint64_t frames() const { return frames_; }

private:
  uint64_t max_;
  uint64_t remaining_ = 0; // payload bytes of the current frame still to come
  uint64_t frames_ = 0;
  size_t have_ = 0;        // header bytes collected
  unsigned char hdr_[basp_header_size] = {};
  verdict verdict_ = verdict::ok;
  std::string reason_;
};

/// Where a guard listens and where it relays to.
struct frame_guard_options {
  std::string host = "127.0.0.1"; ///< public address to bind ("" or 0.0.0.0 = any)
  uint16_t port = 0;              ///< public port; 0 = any
  uint16_t target_port = 0;       ///< CAF's private port on 127.0.0.1
  uint64_t max_frame_bytes = 64ull << 20; ///< network.max-frame-size
  size_t max_connections = 8192;  ///< connections past this are closed at once
  size_t buffer_bytes = 256 * 1024; ///< largest read; bounds what one direction buffers
  std::string name = "node";      ///< for log lines
  /// The shared secret (auth.secret-file); non-empty: a connection must pass
  /// the server side of auth::server_handshake before the guard even connects
  /// to CAF, and the guard holds at most a reply's worth of bytes for it.
  std::string secret;
  /// Check BASP frames (false under TLS: the bytes are ciphertext, and the
  /// TLS handshake proves the peer before CAF reads a frame).
  bool check_frames = true;
  /// A connection that has not finished the secret handshake by then is closed.
  int auth_timeout_ms = 5000;
};

/// The guard: a listening socket and one relay thread.
class frame_guard {
public:
  /// Counters, readable from any thread.
  struct counters {
    uint64_t accepted = 0; ///< connections accepted
    uint64_t refused = 0;  ///< connections closed for a bad frame or over the limit
    uint64_t open = 0;     ///< connections relayed now
    uint64_t auth_failed = 0; ///< connections refused by the secret handshake (also in refused)
  };

  /// Binds (SO_REUSEADDR) and starts relaying; nullptr and `error` set when
  /// the address cannot be bound or resolved.
  static std::unique_ptr<frame_guard> start(const frame_guard_options& opts, std::string& error);

  ~frame_guard();
  frame_guard(const frame_guard&) = delete;
  frame_guard& operator=(const frame_guard&) = delete;

  /// The bound public port.
  uint16_t port() const { return port_; }

  /// Closes the listener and every relayed connection and joins the thread. Idempotent.
  void stop();

  /// A snapshot of the counters.
  counters stats() const;

private:
  struct impl;
  explicit frame_guard(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
  uint16_t port_ = 0;
  std::thread thread_;
};

} // namespace troupe
