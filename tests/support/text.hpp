#pragma once
// Text helpers shared by the tests: substring checks and line splitting.

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace troupe::testing {

/// True when `part` occurs in `text`.
inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The lines of `text` (without their '\n'), as text_file and `sort` see
/// them: a last line without a newline counts, a final newline adds no line.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

/// The lines of `text` sorted bytewise, each ending in '\n' (what LC_ALL=C sort prints).
inline std::string sorted_text(const std::string& text) {
  auto lines = lines_of(text);
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (auto& l : lines)
    out += l + "\n";
  return out;
}

} // namespace troupe::testing
