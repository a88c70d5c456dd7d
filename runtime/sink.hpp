#pragma once
// The push interface that fuses a stage's narrow operations into one pass.

#include <utility>

namespace troupe {

/// Receives rows one at a time; narrow operations wrap the next sink.
template <class T>
class sink {
public:
  virtual ~sink() = default;
  virtual void push(T&& row) = 0;
};

/// A sink that calls a function object.
template <class T, class F>
class fn_sink final : public sink<T> {
public:
  explicit fn_sink(F f) : f_(std::move(f)) {}
  void push(T&& row) override { f_(std::move(row)); }

private:
  F f_;
};

template <class T, class F>
fn_sink<T, F> make_sink(F f) {
  return fn_sink<T, F>(std::move(f));
}

} // namespace troupe
