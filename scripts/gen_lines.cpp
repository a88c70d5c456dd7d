// Random text lines: the input of scripts/bench's shuffle (sort) benchmark.
//
//   g++ -O2 -std=c++20 -o build/gen_lines scripts/gen_lines.cpp
//   build/gen_lines BYTES FILE [SEED]
//
// Writes exactly BYTES bytes (BYTES >= 4096) to FILE: lines of 20 to 120
// printable ASCII characters ('!' to '~': no spaces, so nothing a reader might
// trim) each ended by '\n'. The content depends only on BYTES and SEED
// (default 42): the generator is splitmix64, not a <random> distribution,
// whose results differ between standard libraries. Prints "lines=N bytes=B".
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int min_len = 20;
constexpr int max_len = 120;

struct splitmix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

bool parse_u64(const char* s, uint64_t& v) {
  auto end = s + std::strlen(s);
  auto [p, ec] = std::from_chars(s, end, v);
  return *s != '\0' && ec == std::errc{} && p == end;
}

} // namespace

int main(int argc, char** argv) {
  uint64_t bytes = 0, seed = 42;
  if ((argc != 3 && argc != 4) || !parse_u64(argv[1], bytes) || bytes < 4096
      || (argc == 4 && !parse_u64(argv[3], seed))) {
    std::fprintf(stderr, "usage: gen_lines BYTES FILE [SEED]   (BYTES >= 4096)\n");
    return 2;
  }
  std::FILE* out = std::fopen(argv[2], "wb");
  if (out == nullptr) {
    std::fprintf(stderr, "gen_lines: cannot open %s: %s\n", argv[2], std::strerror(errno));
    return 1;
  }
  splitmix64 rng{seed};
  std::vector<char> buf;
  buf.reserve(size_t{1} << 20);
  uint64_t lines = 0;

  auto line = [&](int len) {
    // Eight characters per 64-bit draw (the slight modulo bias does not matter here).
    for (int i = 0; i < len;) {
      uint64_t r = rng.next();
      for (int k = 0; k < 8 && i < len; ++k, ++i, r >>= 8)
        buf.push_back(static_cast<char>('!' + (r & 0xff) % 94));
    }
    buf.push_back('\n');
    ++lines;
    if (buf.size() >= (size_t{1} << 20) - 256) {
      std::fwrite(buf.data(), 1, buf.size(), out);
      buf.clear();
    }
  };

  // Random lengths while at least two maximal lines remain; the rest (more
  // than one and at most two maximal lines) becomes two lines of 60 to 120.
  uint64_t remaining = bytes;
  while (remaining > 2 * (max_len + 1)) {
    int len = min_len + static_cast<int>(rng.next() % (max_len - min_len + 1));
    line(len);
    remaining -= static_cast<uint64_t>(len) + 1;
  }
  int first = static_cast<int>(remaining / 2);
  line(first - 1);
  line(static_cast<int>(remaining) - first - 1);

  std::fwrite(buf.data(), 1, buf.size(), out);
  if (std::ferror(out) != 0 || std::fclose(out) != 0) {
    std::fprintf(stderr, "gen_lines: cannot write %s: %s\n", argv[2], std::strerror(errno));
    return 1;
  }
  std::printf("lines=%llu bytes=%llu\n", static_cast<unsigned long long>(lines),
              static_cast<unsigned long long>(bytes));
  return 0;
}
