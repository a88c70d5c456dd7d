// Single-threaded word count: the old baseline scripts/bench compares troupe to
// (read(2) blocks, std::unordered_map of strings; scripts/wc_strong.cpp is the
// strong one).
//
//   g++ -O2 -std=c++20 -o build/wc_baseline scripts/wc_baseline.cpp
//   build/wc_baseline FILE
//
// A word is a maximal run of bytes other than ASCII whitespace (space \t \n \v
// \f \r). Prints the 20 most frequent words as "word<TAB>count" (most frequent
// first, ties by word in byte order), then "distinct=D total=T".
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace {

constexpr size_t block_size = size_t{1} << 20;

struct string_hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

using counts_map = std::unordered_map<std::string, uint64_t, string_hash, std::equal_to<>>;

constexpr bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

void add(counts_map& counts, std::string_view word) {
  if (auto it = counts.find(word); it != counts.end())
    ++it->second;  // a hit allocates nothing
  else
    counts.emplace(std::string{word}, 1);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: wc_baseline FILE\n";
    return 2;
  }
  int fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::cerr << "wc_baseline: " << argv[1] << ": " << std::strerror(errno) << '\n';
    return 1;
  }

  counts_map counts;
  uint64_t total = 0;
  // buf[0, carry) holds the start of a word cut by the previous block's end;
  // each read(2) appends one block after it.
  std::vector<char> buf(block_size);
  size_t carry = 0;
  for (;;) {
    if (buf.size() < carry + block_size)
      buf.resize(carry + block_size);
    ssize_t n = ::read(fd, buf.data() + carry, block_size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      std::cerr << "wc_baseline: " << argv[1] << ": " << std::strerror(errno) << '\n';
      return 1;
    }
    const bool eof = n == 0;
    const char* p = buf.data();
    const char* end = p + carry + static_cast<size_t>(n);
    const char* word = nullptr;
    for (; p != end; ++p) {
      if (is_space(static_cast<unsigned char>(*p))) {
        if (word) {
          add(counts, std::string_view(word, static_cast<size_t>(p - word)));
          ++total;
          word = nullptr;
        }
      } else if (!word) {
        word = p;
      }
    }
    if (word) {
      size_t len = static_cast<size_t>(end - word);
      if (eof) {
        add(counts, std::string_view(word, len));
        ++total;
        carry = 0;
      } else {
        std::memmove(buf.data(), word, len);
        carry = len;
      }
    } else {
      carry = 0;
    }
    if (eof)
      break;
  }
  ::close(fd);

  std::vector<const counts_map::value_type*> entries;
  entries.reserve(counts.size());
  for (const auto& kv : counts)
    entries.push_back(&kv);
  auto top = std::min<size_t>(20, entries.size());
  std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(top), entries.end(),
                    [](const auto* a, const auto* b) {
                      if (a->second != b->second)
                        return a->second > b->second;
                      return a->first < b->first;
                    });
  std::string out;
  for (size_t i = 0; i < top; ++i) {
    out += entries[i]->first;
    out += '\t';
    out += std::to_string(entries[i]->second);
    out += '\n';
  }
  out += "distinct=" + std::to_string(counts.size()) + " total=" + std::to_string(total) + '\n';
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
