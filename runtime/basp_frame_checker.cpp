// basp_frame_checker (declared in frame_guard.hpp): the frame rules, apart
// from the guard's sockets.

#include "runtime/frame_guard.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace troupe {

// -- basp_frame_checker -----------------------------------------------------------

basp_frame_checker::verdict basp_frame_checker::feed(const char* data, size_t n) {
  while (n > 0 && verdict_ == verdict::ok) {
    if (remaining_ > 0) {
      auto k = static_cast<size_t>(std::min<uint64_t>(remaining_, n));
      remaining_ -= k;
      data += k;
      n -= k;
      continue;
    }
    auto k = std::min(basp_header_size - have_, n);
    std::memcpy(hdr_ + have_, data, k);
    have_ += k;
    data += k;
    n -= k;
    if (have_ < basp_header_size)
      break;
    have_ = 0;
    auto op = hdr_[0];
    uint32_t len = (uint32_t{hdr_[4]} << 24) | (uint32_t{hdr_[5]} << 16) | (uint32_t{hdr_[6]} << 8) | hdr_[7];
    // message_type: server_handshake 0 .. heartbeat 6.
    if (op > 6) {
      verdict_ = verdict::bad_operation;
      reason_ = "operation byte " + std::to_string(op) + " is not a BASP message type";
    } else if (frames_ == 0 && (op != 1 || len > basp_first_frame_max)) {
      // The side that connects speaks first with its client handshake.
      verdict_ = verdict::bad_first_frame;
      reason_ = "first frame is not a client handshake of at most " + std::to_string(basp_first_frame_max)
                + " bytes (operation " + std::to_string(op) + ", payload " + std::to_string(len) + " bytes)";
    } else if (len > max_) {
      verdict_ = verdict::oversized;
      reason_ = "frame payload of " + std::to_string(len) + " bytes exceeds network.max-frame-size "
                + std::to_string(max_);
    } else {
      ++frames_;
      remaining_ = len;
    }
  }
  return verdict_;
}

} // namespace troupe
