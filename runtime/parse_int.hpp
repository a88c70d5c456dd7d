#pragma once
// Strict integer parsing shared by the settings and the command line.

#include <charconv>
#include <string_view>

namespace troupe {

/// The whole of `text` as an integer: no sign prefix '+', no spaces, no overflow.
template <class Int>
bool parse_int(std::string_view text, Int& out) {
  if (text.empty())
    return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

} // namespace troupe
