// sort INPUT OUTPUT_DIR: the lines of INPUT sorted by their bytes, as
// `LC_ALL=C sort` does, through a range-partitioned sort_by_key.

#include "runtime/app_registry.hpp"
#include "runtime/dataset.hpp"

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace troupe::apps {

/// The lines of `input` sorted bytewise: partition i holds lines before those of partition i+1.
dataset<std::string> sorted_lines(context& ctx, const std::string& input) {
  return ctx.text_file(input)
    .map([](std::string&& line) { return std::pair<std::string, uint8_t>{std::move(line), 0}; })
    .sort_by_key()
    .map([](std::pair<std::string, uint8_t>&& kv) { return std::move(kv.first); });
}

int sort_main(context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) {
    std::cerr << "usage: sort INPUT OUTPUT_DIR\n";
    return 2;
  }
  // An absolute path: executors need not share the driver's working directory.
  auto n = sorted_lines(ctx, args[0]).save_as_text_file(std::filesystem::absolute(args[1]).string());
  std::cout << "sorted " << n << " lines into " << args[1] << std::endl;
  return 0;
}

} // namespace troupe::apps

TROUPE_APP(sort, "sort INPUT OUTPUT_DIR",
           "sorts the lines of INPUT by their bytes (as LC_ALL=C sort) into part files of OUTPUT_DIR",
           troupe::apps::sort_main);
