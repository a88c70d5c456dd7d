#pragma once
// The one way code outside an actor (an HTTP handler thread, a CLI command)
// asks an actor for a reply: a scoped actor that blocks the calling thread,
// never one of CAF's scheduler threads, bounded by a timeout.

#include <caf/error.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>

namespace troupe {

/// Sends `xs...` to `a` and waits up to `timeout` for a `Reply`; nullopt and
/// `error` set on timeout, a dead actor or an error reply.
template <class Reply, class... Ts>
std::optional<Reply> ask(caf::actor_system& sys, const caf::actor& a, std::chrono::milliseconds timeout,
                         std::string& error, Ts&&... xs) {
  std::optional<Reply> out;
  if (!a) {
    error = "no actor to ask";
    return out;
  }
  caf::scoped_actor self{sys};
  self->request(a, timeout, std::forward<Ts>(xs)...)
    .receive([&](Reply& r) { out = std::move(r); }, [&](caf::error& e) { error = sys.render(e); });
  return out;
}

} // namespace troupe
