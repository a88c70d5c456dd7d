#pragma once
// The hash map of the shuffle's hot paths (map-side combining, reduce-side
// merging, grouping, joins): Abseil's open-addressing flat_hash_map, with
// troupe's hash so that keys hash the same on every node.

#include "runtime/serialize.hpp"

#include <absl/container/flat_hash_map.h>

namespace troupe {

/// An unordered map from K to V.
template <class K, class V>
using hash_map = absl::flat_hash_map<K, V, hash<K>>;

} // namespace troupe
