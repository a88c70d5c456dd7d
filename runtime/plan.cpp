#include "runtime/plan.hpp"

#include "runtime/app_library.hpp"

#include "runtime/block_store.hpp"

#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <typeinfo>
#include <unordered_map>

namespace troupe {

// -- registry -----------------------------------------------------------------

namespace {
struct registry_state {
  std::mutex mtx;
  std::unordered_map<std::string, shipped_decoder> by_name;
  std::unordered_map<std::string, int> twins;  // type name -> how many distinct decoders
  std::deque<std::string> names;               // stable storage for returned pointers
};
registry_state& registry() {
  static registry_state r;
  return r;
}
} // namespace

const char* impl_registry::add(const char* type_name, shipped_decoder decoder) {
  auto& r = registry();
  std::lock_guard<std::mutex> guard{r.mtx};
  // An operation type of an application library is named inside that
  // library (its content hash first): two libraries never clash.
  std::string name = detail::library_being_loaded().empty() ? std::string{type_name}
                                                            : detail::library_being_loaded() + "/" + type_name;
  for (int n = 1;; ++n) {
    auto candidate = n == 1 ? name : name + "#" + std::to_string(n);
    auto it = r.by_name.find(candidate);
    if (it == r.by_name.end()) {
      r.by_name.emplace(candidate, decoder);
      r.names.push_back(candidate);
      return r.names.back().c_str();
    }
    if (it->second == decoder) {
      for (auto& stored : r.names)
        if (stored == candidate)
          return stored.c_str();
    }
  }
}

shipped_decoder impl_registry::find(std::string_view name) {
  auto& r = registry();
  std::lock_guard<std::mutex> guard{r.mtx};
  auto it = r.by_name.find(std::string{name});
  if (it == r.by_name.end())
    throw decode_error("unknown operation '" + std::string{name}
                       + "': the executor runs a different build than the driver");
  return it->second;
}

// -- nodes ----------------------------------------------------------------------

void block_releaser::shuffle_gone(shuffle_id s) {
  std::lock_guard guard{mtx_};
  try {
    if (runner_ != nullptr)
      runner_->release_blocks({s}, {});
  } catch (...) {
    // Called from destructors: an undropped block only costs memory until the application ends.
  }
}

void block_releaser::cached_gone(node_id n) {
  std::lock_guard guard{mtx_};
  try {
    if (runner_ != nullptr)
      runner_->release_blocks({}, {n});
  } catch (...) {
    // As above.
  }
}

void block_releaser::detach() {
  std::lock_guard guard{mtx_};
  runner_ = nullptr;
}

node_base::~node_base() {
  if (cached && releaser)
    releaser->cached_gone(id);
}

shuffle_dep_base::~shuffle_dep_base() {
  if (releaser)
    releaser->shuffle_gone(id);
}

std::vector<std::pair<size_t, int32_t>> node_base::parent_partitions(int32_t p) const {
  std::vector<std::pair<size_t, int32_t>> out;
  for (size_t i = 0; i < parents.size(); ++i)
    out.emplace_back(i, p);
  return out;
}

std::string node_base::describe() const {
  return "node " + std::to_string(id);
}

partition_ptr detail::cache_get(task_context& ctx, node_id id, int32_t p) {
  return ctx.blocks->get(cache_block(id, p));
}

void detail::cache_put(task_context& ctx, node_id id, int32_t p, partition_ptr data) {
  ctx.blocks->put(cache_block(id, p), std::move(data));
  ctx.cached.emplace_back(id, p);
}

std::vector<node_base*> narrow_closure(node_base& last) {
  std::vector<node_base*> out;
  std::set<node_base*> seen;
  std::function<void(node_base*)> visit = [&](node_base* n) {
    if (n == nullptr || !seen.insert(n).second)
      return;
    for (auto& p : n->parents)
      visit(p.get());
    out.push_back(n);
  };
  visit(&last);
  return out;
}

// -- task payloads ------------------------------------------------------------

namespace {

enum task_kind : uint8_t { map_task = 0, result_task = 1 };

// Collects the (node, partition) pairs a task needs, parents first.
void collect_needed(node_base* n, int32_t p, std::vector<std::pair<node_base*, int32_t>>& out,
                    std::set<node_id>& seen) {
  if (!seen.insert(n->id).second)
    return;
  for (auto [i, pp] : n->parent_partitions(p))
    collect_needed(n->parents.at(i).get(), pp, out, seen);
  out.emplace_back(n, p);
}

} // namespace

std::string encode_task(const task_spec& spec) {
  std::string out;
  out.reserve(256);
  writer w(out);
  w << spec.stage << spec.partition << spec.attempt;
  // A map task computes partition `partition` of the shuffle's parent.
  node_base* last = spec.shuffle ? spec.shuffle->parent.get() : spec.node.get();
  std::vector<std::pair<node_base*, int32_t>> needed;
  std::set<node_id> seen;
  collect_needed(last, spec.partition, needed, seen);
  w << static_cast<uint32_t>(needed.size());
  for (auto [n, p] : needed) {
    std::vector<node_id> parents;
    auto wanted = n->parent_partitions(p);
    for (size_t i = 0; i < n->parents.size(); ++i) {
      bool used = false;
      for (auto& wp : wanted)
        used = used || wp.first == i;
      parents.push_back(used ? n->parents[i]->id : -1);
    }
    std::vector<shuffle_id> sids;
    std::vector<int32_t> maps;
    for (auto& rd : n->reads) {
      sids.push_back(rd.id);
      maps.push_back(rd.maps);
    }
    w << std::string_view{n->impl()} << n->id << n->partitions << n->cached << parents << sids << maps;
    n->encode(w, p);
  }
  w << static_cast<uint8_t>(last->id);  // sanity marker: low byte of the last node id
  if (spec.shuffle) {
    w << static_cast<uint8_t>(map_task) << std::string_view{spec.shuffle->impl()} << spec.shuffle->id
      << spec.shuffle->reducers << spec.shuffle->parent->id;
    spec.shuffle->encode(w, spec.partition);
  } else {
    w << static_cast<uint8_t>(result_task) << std::string_view{spec.op->impl()};
    spec.op->encode(w, spec.partition);
  }
  w << spec.map_locations;
  return out;
}

namespace {

task_spec decode_task_unchecked(std::string_view bytes);

/// The object registered under `name`, which must be a `T`.
template <class T>
std::shared_ptr<T> decode_shipped(reader& r, const std::string& name, int32_t partitions, const char* what) {
  auto made = std::dynamic_pointer_cast<T>(impl_registry::find(name)(r, partitions));
  if (!made)
    throw decode_error("'" + name + "' is not " + what);
  return made;
}

/// Common fields of every encoded node.
struct node_header {
  node_id id = 0;
  int32_t partitions = 0;
  bool cached = false;
  std::vector<node_id> parents;         // narrow parents (absent ones are -1)
  std::vector<shuffle_id> shuffles;     // shuffle dependencies read
  std::vector<int32_t> shuffle_maps;    // number of map partitions per shuffle
};

} // namespace

task_spec decode_task(std::string_view bytes) {
  try {
    return decode_task_unchecked(bytes);
  } catch (const decode_error& e) {
    throw decode_error(std::string("malformed task: ") + e.what());
  } catch (const std::bad_cast&) {  // msgpack::type_error is one
    throw decode_error("malformed task: a field has the wrong type");
  }
}

namespace {

task_spec decode_task_unchecked(std::string_view bytes) {
  reader r(bytes);
  task_spec spec;
  r >> spec.stage >> spec.partition >> spec.attempt;
  auto count = r.read<uint32_t>();
  std::map<node_id, std::shared_ptr<node_base>> nodes;  // rebuilt so far, parents first
  std::shared_ptr<node_base> last;
  for (uint32_t i = 0; i < count; ++i) {
    auto name = r.read<std::string>();
    node_header h;
    r >> h.id >> h.partitions >> h.cached >> h.parents >> h.shuffles >> h.shuffle_maps;
    if (h.shuffles.size() != h.shuffle_maps.size())
      throw decode_error("shuffle lists differ in length");
    if (h.partitions < 0)
      throw decode_error("negative partition count");
    auto n = decode_shipped<node_base>(r, name, h.partitions, "a dataset node");
    n->id = h.id;
    n->partitions = h.partitions;
    n->cached = h.cached;
    for (auto pid : h.parents) {
      if (pid < 0) {
        n->parents.push_back(nullptr);
        continue;
      }
      auto it = nodes.find(pid);
      if (it == nodes.end())
        throw decode_error("node " + std::to_string(h.id) + " names unknown parent "
                           + std::to_string(pid));
      n->parents.push_back(it->second);
    }
    for (size_t k = 0; k < h.shuffles.size(); ++k)
      n->reads.push_back({h.shuffles[k], h.shuffle_maps[k]});
    nodes[h.id] = n;
    last = n;
  }
  if (!last)
    throw decode_error("no nodes");
  if (r.read<uint8_t>() != static_cast<uint8_t>(last->id))
    throw decode_error("node list does not end where expected");
  auto kind = r.read<uint8_t>();
  auto name = r.read<std::string>();
  if (kind == map_task) {
    auto id = r.read<shuffle_id>();
    auto reducers = r.read<int32_t>();
    auto parent = r.read<node_id>();
    auto dep = decode_shipped<shuffle_dep_base>(r, name, 0, "a shuffle's map side");
    dep->id = id;
    dep->reducers = reducers;
    auto it = nodes.find(parent);
    if (it == nodes.end())
      throw decode_error("shuffle parent missing");
    dep->parent = it->second;
    spec.shuffle = dep;
  } else if (kind == result_task) {
    spec.op = decode_shipped<result_op_base>(r, name, 0, "an action");
  } else {
    throw decode_error("unknown kind");
  }
  spec.node = last;
  r >> spec.map_locations;
  return spec;
}

} // namespace

} // namespace troupe
