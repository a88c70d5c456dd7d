// The executor actor against a fake driver (fake_peers.hpp): tasks, garbage,
// serving map outputs, and when it quits.
#include "actors/block_transfer.hpp"
#include "actors/executor.hpp"
#include "actors/protocol.hpp"
#include "runtime/dataset.hpp"
#include "runtime/plan.hpp"
#include "runtime/serialize.hpp"
#include "tests/actors/fake_peers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/text.hpp"

#include <caf/all.hpp>

#include <boost/test/unit_test.hpp>

#include <caf/io/all.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using namespace troupe::testing;

BOOST_AUTO_TEST_SUITE(local_cluster)

BOOST_AUTO_TEST_CASE(executor_runs_a_task_and_rejects_garbage) {
  actor_fixture fx;
  temp_dir dir("troupe-executor-test");
  caf::scoped_actor driver{fx.sys};
  auto exec = start_executor(fx, driver, caf::actor{driver}, "app-exec-task", "3", dir.path().string());

  plan_only_runner runner;
  troupe::context ctx(runner, {});
  auto ds = ctx.range(0, 10, 1, 2);
  troupe::task_spec spec;
  spec.stage = 0;
  spec.partition = 1;
  spec.attempt = 0;
  spec.node = ds.plan();
  spec.op = std::make_shared<troupe::ops::count_op<int64_t>>();
  driver->send(exec, troupe::launch_task{42, troupe::encode_task(spec)});
  auto done = expect<troupe::task_finished>(driver, "task_finished");
  BOOST_TEST(done.task == 42);
  BOOST_TEST(done.exec == "3");
  BOOST_TEST(troupe::decode<int64_t>(done.result) == 5);
  BOOST_TEST(done.map_sizes.empty());

  // Bytes that are no task: a failed task with a clear reason, and the
  // executor carries on.
  const std::vector<std::string> garbage{
    std::string("\xc1\xc1\xc1\xc1", 4),   // not msgpack at all
    "this is not a task",                 // msgpack, but not a task's layout
    std::string(),                        // nothing
    troupe::encode_task(spec).substr(0, 7),  // a task cut short
  };
  for (size_t i = 0; i < garbage.size(); ++i) {
    BOOST_TEST_CONTEXT("garbage payload #" << i) {
      auto task = static_cast<troupe::task_id>(100 + i);
      driver->send(exec, troupe::launch_task{task, garbage[i]});
      auto failed = expect<troupe::task_failed>(driver, "task_failed for garbage");
      BOOST_TEST(failed.task == task);
      BOOST_TEST(failed.exec == "3");
      BOOST_TEST(!failed.fetch_failed);
      BOOST_TEST((contains(failed.error, "malformed") || contains(failed.error, "unknown")), failed.error);
    }
  }

  // A well-formed task naming an operation this binary does not have (a
  // driver of another build): the error says so.
  auto foreign = troupe::encode_task(spec);
  std::string name = ds.plan()->impl();
  auto at = foreign.find(name);
  BOOST_REQUIRE(at != std::string::npos);
  foreign.replace(at, name.size(), std::string(name.size(), 'X'));
  driver->send(exec, troupe::launch_task{200, foreign});
  auto unknown = expect<troupe::task_failed>(driver, "task_failed for an unknown operation");
  BOOST_TEST(unknown.task == 200);
  BOOST_TEST(contains(unknown.error, "unknown operation"), unknown.error);
  BOOST_TEST(contains(unknown.error, "different build"), unknown.error);

  // Still alive and working after the garbage.
  driver->send(exec, troupe::launch_task{43, troupe::encode_task(spec)});
  auto again = expect<troupe::task_finished>(driver, "task_finished after garbage");
  BOOST_TEST(again.task == 43);
  BOOST_TEST(troupe::decode<int64_t>(again.result) == 5);

  driver->monitor(exec);
  driver->send(exec, troupe::stop_executor{"test done"});
  auto down = expect<caf::down_msg>(driver, "the executor's down_msg after stop_executor");
  BOOST_TEST((down.source == exec.address()));
  BOOST_TEST((down.reason == caf::exit_reason::normal), driver->system().render(down.reason));
}

BOOST_AUTO_TEST_CASE(executor_serves_map_outputs_it_has_and_only_those) {
  actor_fixture fx;
  temp_dir dir("troupe-executor-test");
  caf::scoped_actor driver{fx.sys};
  auto exec = start_executor(fx, driver, caf::actor{driver}, "app-exec-fetch", "0", dir.path().string());
  int64_t next_request = 1;
  // Asks for bytes [offset, offset + max_bytes) of block (shuffle, map, reduce).
  auto fetch = [&](troupe::shuffle_id s, int32_t map, int32_t reduce, int64_t offset, int32_t max_bytes) {
    auto request = next_request++;
    driver->send(exec, troupe::fetch_block{request, s, map, reduce, offset, max_bytes, caf::actor{driver}});
    auto got = expect<troupe::fetched_block>(driver, "fetched_block for request " + std::to_string(request));
    BOOST_TEST(got.request == request);
    return got;
  };

  // No such shuffle: every map is reported missing.
  for (int32_t m = 0; m < 3; ++m) {
    BOOST_TEST_CONTEXT("unknown shuffle, map " << m) {
      auto got = fetch(7, m, 0, 0, 1 << 20);
      BOOST_TEST(!got.found);
      BOOST_TEST(got.bytes.empty());
    }
  }

  // Run map 0 of a shuffle on it, then ask for maps 0 and 1 of each reducer.
  plan_only_runner runner;
  troupe::context ctx(runner, {});
  auto summed = ctx.range(0, 100, 1, 2)
                  .map([](int64_t x) { return std::pair<int64_t, int64_t>{x % 3, x}; })
                  .reduce_by_key([](int64_t a, int64_t b) { return a + b; }, 3);
  BOOST_REQUIRE(summed.plan()->shuffles.size() == 1u);
  auto dep = summed.plan()->shuffles[0];
  troupe::task_spec spec;
  spec.stage = 0;
  spec.partition = 0;
  spec.node = dep->parent;
  spec.shuffle = dep;
  driver->send(exec, troupe::launch_task{1, troupe::encode_task(spec)});
  auto done = expect<troupe::task_finished>(driver, "task_finished for the map task");
  BOOST_TEST(done.map_sizes.size() == 3u);

  int64_t total = 0;
  for (int32_t r = 0; r < 3; ++r) {
    BOOST_TEST_CONTEXT("reducer " << r) {
      auto whole = fetch(dep->id, 0, r, 0, 1 << 20);
      BOOST_TEST(whole.found);
      BOOST_TEST(whole.total == static_cast<int64_t>(whole.bytes.size()));
      total += whole.total;
      // The same block in chunks of 5 bytes reassembles to the same bytes.
      std::string pieces;
      for (int64_t off = 0; off < whole.total; off += 5) {
        auto chunk = fetch(dep->id, 0, r, off, 5);
        BOOST_TEST(chunk.found);
        BOOST_TEST(chunk.total == whole.total);
        BOOST_TEST(chunk.bytes.size() <= 5u);
        pieces += chunk.bytes;
      }
      BOOST_TEST(pieces == whole.bytes);
      auto missing = fetch(dep->id, 1, r, 0, 1 << 20);
      BOOST_TEST(!missing.found);
    }
  }
  BOOST_TEST(total > 0);

  // Odd requests (a stranger's, or a buggy peer's) are clamped, never fatal.
  auto whole = fetch(dep->id, 0, 0, 0, 1 << 20);
  BOOST_REQUIRE(whole.total > 2);
  auto negative = fetch(dep->id, 0, 0, -5, 0);  // offset < 0, max_bytes 0
  BOOST_TEST(negative.found);
  BOOST_TEST(negative.bytes.size() <= 1u);
  BOOST_TEST(whole.bytes.compare(0, negative.bytes.size(), negative.bytes) == 0);
  auto beyond = fetch(dep->id, 0, 0, whole.total + 100, 10);
  BOOST_TEST(beyond.found);
  BOOST_TEST(beyond.bytes.empty());
  BOOST_TEST(beyond.total == whole.total);
  driver->send(exec, troupe::fetch_block{999, dep->id, 0, 0, 0, 16, caf::actor{}});  // nobody to answer to
  auto still = fetch(dep->id, -1, -1, 0, 16);  // no such map
  BOOST_TEST(!still.found);
}

BOOST_AUTO_TEST_CASE(executor_quits_with_its_driver_or_its_owner) {
  actor_fixture fx;
  temp_dir dir("troupe-executor-test");
  caf::scoped_actor watcher{fx.sys};
  caf::actor exec;
  {
    caf::scoped_actor driver{fx.sys};
    exec = start_executor(fx, driver, caf::actor{}, "app-exec-orphan", "0", dir.path().string());
    watcher->monitor(exec);
  }  // the driver is gone
  auto down = expect<caf::down_msg>(watcher, "the down_msg of the executor whose driver went");
  BOOST_TEST((down.source == exec.address()));

  caf::scoped_actor driver{fx.sys};
  {
    caf::scoped_actor owner{fx.sys};
    exec = start_executor(fx, driver, caf::actor{owner}, "app-exec-orphan", "1", dir.path().string());
    watcher->monitor(exec);
  }  // the owning worker is gone
  down = expect<caf::down_msg>(watcher, "the down_msg of the executor whose owner went");
  BOOST_TEST((down.source == exec.address()));
}

BOOST_AUTO_TEST_CASE(executor_without_a_reachable_driver_quits_with_an_error) {
  actor_fixture fx;
  temp_dir dir("troupe-executor-test");
  // A port nobody listens on: take a free one and close it again.
  uint16_t port = 0;
  {
    caf::scoped_actor gone{fx.sys};
    port = publish(fx, gone);
    BOOST_REQUIRE(fx.sys.middleman().unpublish(caf::actor{gone}, port));
  }
  caf::scoped_actor watcher{fx.sys};
  troupe::executor_options eo;
  eo.app = "app-exec-lonely";
  eo.id = "0";
  eo.dir = dir.path().string();
  eo.driver_host = "127.0.0.1";
  eo.driver_port = port;
  auto exec = fx.keep(troupe::spawn_executor(fx.sys, eo));
  watcher->monitor(exec);
  auto down = expect<caf::down_msg>(watcher, "the down_msg of an executor that cannot reach its driver", 10s);
  BOOST_TEST((down.reason != caf::exit_reason::normal), fx.sys.render(down.reason));
  BOOST_TEST(static_cast<bool>(down.reason));
}

BOOST_AUTO_TEST_CASE(a_gone_a_dying_and_a_silent_peer_each_give_a_fetch_failure_naming_shuffle_map_and_executor) {
  actor_fixture fx;
  troupe::peer_book peers(fx.sys, 1000ms);
  // What a reducer's task reports: fetch_failed with the shuffle, the first
  // map it asked for and the executor, within a bounded time.
  auto fails = [&](const std::string& exec, std::chrono::milliseconds silence) {
    auto start = std::chrono::steady_clock::now();
    std::string what;
    try {
      troupe::fetch_remote(fx.sys, peers, exec, 7, 0, {3, 4}, 1024, 2, silence);
    } catch (const troupe::fetch_failed& e) {
      BOOST_TEST(e.shuffle == 7);
      BOOST_TEST(e.map_partition == 3);
      BOOST_TEST(e.executor == exec);
      what = e.what();
    }
    BOOST_TEST(!what.empty(), "no fetch_failed from " << exec);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 10s), exec);
    return what;
  };
  // Gone: never known, or nothing listens at its address (connection refused).
  BOOST_TEST(contains(fails("unknown", 1s), "no address known"));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  peers.update({{"gone", "127.0.0.1:" + std::to_string(ntohs(a.sin_port))}});
  BOOST_TEST(contains(fails("gone", 1s), "cannot connect"));
  // Silent: answers nothing (a frozen peer whose connection is still up).
  auto silent = fx.keep(fx.sys.spawn([]() -> caf::behavior { return {[](const troupe::fetch_block&) {}}; }));
  auto silent_port = fx.sys.middleman().publish(silent, 0, "127.0.0.1");
  BOOST_REQUIRE(static_cast<bool>(silent_port));
  peers.update({{"silent", "127.0.0.1:" + std::to_string(*silent_port)}});
  fails("silent", 200ms);
  // Dying: goes down at the first request (its connection reset mid-fetch).
  auto dying = fx.keep(fx.sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
    return {[=](const troupe::fetch_block&) { self->quit(); }};
  }));
  auto dying_port = fx.sys.middleman().publish(dying, 0, "127.0.0.1");
  BOOST_REQUIRE(static_cast<bool>(dying_port));
  peers.update({{"dying", "127.0.0.1:" + std::to_string(*dying_port)}});
  fails("dying", 5s);
}

BOOST_AUTO_TEST_SUITE_END()
