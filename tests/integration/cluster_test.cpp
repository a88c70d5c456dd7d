// Integration tests: real troupe processes on 127.0.0.1 (masters, workers,
// executors, drivers, submitters), driven through the `troupe` command as a
// user drives it.
//
// - modes:     every bundled app gives the same result in local[2], client
//              mode (executors as processes, and as threads of the workers),
//              cluster mode with --wait, and local-cluster[2,1,512].
// - control:   troupe status / kill / logs against a standing cluster.
// - failure:   the master notices a killed and a frozen worker; a thawed
//              worker registers again.
// - ports:     nothing listening, port taken.
// - simulate:  troupe simulate, as processes and as threads.
// - cleanup:   no process started by this suite is left.
//
// Every process is started with TROUPE_ITEST_OWNER=<our pid> in its
// environment (inherited by what it starts) and stopped by its pid at the
// end, also when a check fails. Waits poll a condition with a deadline.
#include "tests/integration/cluster_support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace troupe::itest;
using troupe::testing::read_parts;
using troupe::testing::temp_dir;

namespace {

// -- inputs ---------------------------------------------------------------------

/// splitmix64: deterministic inputs without <random>'s per-platform differences.
struct rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

/// ~300 KB of text: words with a skewed frequency (ties too), several per line.
std::string make_text() {
  rng r{42};
  std::string out;
  while (out.size() < 300 * 1024) {
    auto words = 1 + r.below(12);
    for (uint64_t i = 0; i < words; ++i) {
      // Small ids are much more frequent: min of two draws, then a bucket.
      auto id = std::min(r.below(3000), r.below(3000)) / (1 + r.below(3));
      if (i > 0)
        out += r.below(10) == 0 ? "  " : " ";
      out += (id % 7 == 0 ? "Word" : "w") + std::to_string(id);
    }
    out += '\n';
  }
  return out;
}

/// What word_count INPUT prints: the 20 most frequent words (ties by word), then distinct and total.
std::string expected_word_count(const std::string& text) {
  std::map<std::string, int64_t> counts;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n'))
      ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n')
      ++j;
    if (j > i) {
      ++counts[text.substr(i, j - i)];
      ++total;
    }
    i = j;
  }
  std::vector<std::pair<std::string, int64_t>> rows(counts.begin(), counts.end());
  std::stable_sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::string out;
  for (size_t k = 0; k < std::min<size_t>(20, rows.size()); ++k)
    out += rows[k].first + "\t" + std::to_string(rows[k].second) + "\n";
  return out + "distinct=" + std::to_string(counts.size()) + " total=" + std::to_string(total) + "\n";
}

/// ~250 KB of lines to sort: random lengths and bytes (printable ASCII), duplicates.
std::string make_sort_input() {
  rng r{7};
  std::vector<std::string> pool;
  std::string out;
  while (out.size() < 250 * 1024) {
    std::string line;
    if (!pool.empty() && r.below(8) == 0) {
      line = pool[r.below(pool.size())];  // a duplicate
    } else {
      auto len = 1 + r.below(60);
      for (uint64_t i = 0; i < len; ++i)
        line += static_cast<char>('!' + r.below(94));
      pool.push_back(line);
    }
    out += line + "\n";
  }
  return out;
}

/// The lines of `text` sorted bytewise, each ending in '\n' (what LC_ALL=C sort prints).
std::string sorted_lines(const std::string& text) {
  auto lines = lines_of(text);
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (auto& l : lines)
    out += l + "\n";
  return out;
}

/// A link graph: 400 pages, each with 1..15 outgoing links, some duplicated.
std::string make_edges() {
  rng r{2024};
  std::string out;
  for (int page = 0; page < 400; ++page) {
    auto links = 1 + r.below(15);
    for (uint64_t i = 0; i < links; ++i) {
      auto to = r.below(4) == 0 ? r.below(20) : r.below(450);  // some popular pages; some never link out
      out += "p" + std::to_string(page) + " p" + std::to_string(to) + "\n";
    }
  }
  return out;
}

// -- the modes ---------------------------------------------------------------------

/// Two standing clusters of two workers each: executors as processes (A), as
/// threads of the workers (B). Built once for the `modes` suite.
struct standing_clusters {
  static inline standing_clusters* instance = nullptr;
  temp_dir data{"troupe-itest-data"};
  std::string text, text_path, sort_input, sort_path, edges_path;
  std::unique_ptr<cluster> processes, threads;

  standing_clusters() {
    text = make_text();
    text_path = data.write("words.txt", text);
    sort_input = make_sort_input();
    sort_path = data.write("lines.txt", sort_input);
    edges_path = data.write("edges.txt", make_edges());
    processes = std::make_unique<cluster>(std::vector<std::string>{}, "troupe-itest-modes-processes");
    threads = std::make_unique<cluster>(std::vector<std::string>{}, "troupe-itest-modes-threads");
    for (int i = 0; i < 2; ++i) {
      processes->add_worker(2, "2g");
      threads->add_worker(2, "2g", {"executor.isolation=thread"});
    }
    for (auto* c : {processes.get(), threads.get()}) {
      auto st = c->await_alive(2);
      if (st.alive_workers() != 2)
        throw std::runtime_error("the standing cluster's workers did not register:\n" + st.text);
    }
    instance = this;
  }
  ~standing_clusters() {
    instance = nullptr;
    threads.reset();
    processes.reset();
  }
};

struct mode {
  std::string name;
  std::vector<std::string> submit;  ///< the flags before APP
  bool cluster_deploy = false;
};

std::vector<mode> all_modes() {
  auto& c = *standing_clusters::instance;
  return {
    {"local[2]", {"--master", "local[2]"}},
    {"client mode, executors as processes", {"--master", c.processes->url()}},
    {"client mode, executors as threads", {"--master", c.threads->url()}},
    {"cluster mode --wait", {"--master", c.processes->url(), "--deploy-mode", "cluster", "--wait"}, true},
    {"cluster mode --wait, executors as threads",
     {"--master", c.threads->url(), "--deploy-mode", "cluster", "--wait"},
     true},
    {"local-cluster[2,1,512]", {"--master", "local-cluster[2,1,512]"}},
  };
}

/// Runs APP ARGS in mode `m` (with `conf` as --conf flags); checks that it
/// succeeded and returns what the application printed on stdout (nothing
/// when it failed: the failure is reported here).
std::optional<std::string> run_app(const mode& m, const std::vector<std::string>& conf,
                                   const std::vector<std::string>& app_args) {
  std::vector<std::string> args{"submit"};
  args.insert(args.end(), m.submit.begin(), m.submit.end());
  for (auto& c : conf) {
    args.push_back("--conf");
    args.push_back(c);
  }
  args.insert(args.end(), app_args.begin(), app_args.end());
  auto start = clock::now();
  auto r = troupe_cmd(args, 60s);
  BOOST_TEST_MESSAGE(m.name << ": " << app_args.front() << " took " << seconds_since(start) << " s");
  BOOST_TEST_INFO("mode: " << m.name);
  BOOST_TEST((r.exit_code == 0 && !r.timed_out), describe(r));
  if (r.exit_code != 0 || r.timed_out)
    return std::nullopt;
  if (!m.cluster_deploy)
    return r.out;
  // The submitter says which driver it submitted, then prints the driver's stdout.
  static const std::regex submitted{R"(^submitted driver (driver-\S+)\n)"};
  std::smatch s;
  BOOST_TEST_INFO("mode: " << m.name);
  BOOST_TEST(std::regex_search(r.out, s, submitted), describe(r));
  if (s.empty())
    return std::nullopt;
  auto driver = s[1].str();
  BOOST_TEST_INFO("mode: " << m.name);
  BOOST_TEST(contains(r.err, "driver " + driver + " finished on worker worker-"), describe(r));
  return r.out.substr(static_cast<size_t>(s[0].length()));
}

/// Runs APP ARGS in every mode; every mode must print what local[2] printed.
/// Returns local[2]'s output.
std::string same_in_every_mode(const std::vector<std::string>& conf, const std::vector<std::string>& app_args) {
  auto ms = all_modes();
  auto reference = run_app(ms[0], conf, app_args);
  BOOST_TEST_REQUIRE(reference.has_value());
  BOOST_TEST(!reference->empty());
  for (size_t i = 1; i < ms.size(); ++i) {
    auto out = run_app(ms[i], conf, app_args);
    if (!out)
      continue;  // reported by run_app
    BOOST_TEST_INFO("mode: " << ms[i].name);
    BOOST_TEST(*out == *reference);
  }
  return *reference;
}

/// Small text-file splits, so that a few hundred KB still make several map tasks.
const std::vector<std::string> small_splits{"text-file.split-size=64k"};

} // namespace

BOOST_AUTO_TEST_SUITE(modes, *boost::unit_test::fixture<standing_clusters>() * boost::unit_test::timeout(200))

BOOST_AUTO_TEST_CASE(word_count_prints_the_same_top_words_in_every_mode) {
  auto& c = *standing_clusters::instance;
  auto ref = same_in_every_mode(small_splits, {"word_count", c.text_path});
  BOOST_TEST(ref == expected_word_count(c.text));
}

BOOST_AUTO_TEST_CASE(sort_writes_the_same_sorted_lines_in_every_mode) {
  auto& c = *standing_clusters::instance;
  auto expected = sorted_lines(c.sort_input);
  auto ms = all_modes();
  for (size_t i = 0; i < ms.size(); ++i) {
    auto out_dir = c.data / ("sorted-" + std::to_string(i));
    auto out = run_app(ms[i], small_splits, {"sort", c.sort_path, out_dir});
    if (!out)
      continue;  // reported by run_app
    BOOST_TEST_INFO("mode: " << ms[i].name);
    BOOST_TEST(contains(*out, "sorted " + std::to_string(lines_of(c.sort_input).size()) + " lines"), *out);
    BOOST_TEST_INFO("mode: " << ms[i].name);
    BOOST_TEST(std::filesystem::is_directory(out_dir));
    if (!std::filesystem::is_directory(out_dir))
      continue;
    auto parts = read_parts(out_dir);
    BOOST_TEST_INFO("mode: " << ms[i].name << ", " << parts.size() << " bytes sorted vs " << expected.size());
    BOOST_TEST((parts == expected));
  }
}

BOOST_AUTO_TEST_CASE(page_rank_prints_the_same_ranks_in_every_mode) {
  auto& c = *standing_clusters::instance;
  auto ref = same_in_every_mode(small_splits, {"page_rank", c.edges_path, "5"});
  BOOST_TEST(lines_of(ref).size() > 300u);
}

BOOST_AUTO_TEST_CASE(join_demo_prints_the_same_totals_in_every_mode) {
  auto ref = same_in_every_mode({}, {"join_demo", "3000"});
  BOOST_TEST(contains(ref, "joined="));
}

BOOST_AUTO_TEST_CASE(pi_prints_the_same_estimate_in_every_mode) {
  auto ref = same_in_every_mode({}, {"pi", "2000000"});
  BOOST_TEST(contains(ref, "pi is roughly 3.14"), ref);
}

BOOST_AUTO_TEST_CASE(group_by_test_prints_the_same_counts_in_every_mode) {
  auto ref = same_in_every_mode({}, {"group_by_test", "4", "500", "200", "3"});
  BOOST_TEST(contains(ref, "pairs=2000"), ref);
}

BOOST_AUTO_TEST_SUITE_END()

// == status, kill, logs ================================================================

namespace {

/// A cluster of two workers (2 cores, 2g each), executors as processes.
struct control_cluster {
  cluster c{{}, "troupe-itest-control"};
  temp_dir data{"troupe-itest-control-data"};
  std::string text_path = data.write("words.txt", make_text());
  control_cluster() {
    c.add_worker(2, "2g");
    c.add_worker(2, "2g");
    auto st = c.await_alive(2);
    BOOST_TEST_REQUIRE(st.alive_workers() == 2, st.text);
  }
};

/// "submitted driver D" -> D, or "".
std::string submitted_driver(const std::string& out) {
  static const std::regex re{R"(submitted driver (driver-\S+))"};
  std::smatch m;
  return std::regex_search(out, m, re) ? m[1].str() : std::string{};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(control, control_cluster, *boost::unit_test::timeout(90))

BOOST_AUTO_TEST_CASE(status_lists_workers_applications_and_drivers) {
  auto client = troupe_cmd({"submit", "--master", c.url(), "word_count", text_path});
  BOOST_TEST_REQUIRE(client.exit_code == 0, describe(client));
  auto cl = troupe_cmd({"submit", "--master", c.url(), "--deploy-mode", "cluster", "--wait", "word_count", text_path});
  BOOST_TEST_REQUIRE(cl.exit_code == 0, describe(cl));
  auto driver = submitted_driver(cl.out);
  BOOST_TEST_REQUIRE(!driver.empty(), describe(cl));

  auto st = cluster_status(c.url());
  BOOST_TEST_REQUIRE(st.ok, st.text);
  BOOST_TEST(contains(st.text, "master " + c.url()), st.text);
  BOOST_TEST(contains(st.text, "WORKERS (2)"), st.text);
  BOOST_TEST(st.alive_workers() == 2, st.text);
  BOOST_TEST(contains(st.text, "APPLICATIONS (2)"), st.text);
  BOOST_TEST(contains(st.text, "DRIVERS (1)"), st.text);
  BOOST_TEST_REQUIRE(st.apps.size() == 2u, st.text);
  int client_apps = 0, cluster_apps = 0;
  for (auto& a : st.apps) {
    BOOST_TEST(a.name == "word_count", st.text);
    BOOST_TEST(a.state == "FINISHED", st.text);
    if (a.driver_line.rfind("client mode", 0) == 0)
      ++client_apps;
    static const std::regex cluster_line{R"(^cluster mode, driver (driver-\S+) on worker (worker-\S+))"};
    std::smatch m;
    if (std::regex_search(a.driver_line, m, cluster_line)) {
      ++cluster_apps;
      BOOST_TEST(m[1].str() == driver, st.text);
      BOOST_TEST(st.worker_state(m[2]) == "ALIVE", "the driver's worker " << m[2] << " is not listed:\n" << st.text);
    }
  }
  BOOST_TEST(client_apps == 1, st.text);
  BOOST_TEST(cluster_apps == 1, st.text);
  BOOST_TEST_REQUIRE(st.drivers.size() == 1u, st.text);
  BOOST_TEST(st.drivers[0].id == driver, st.text);
  BOOST_TEST(st.drivers[0].app == "word_count", st.text);
  BOOST_TEST(st.drivers[0].state == "FINISHED", st.text);
  BOOST_TEST(st.worker_state(st.drivers[0].worker) == "ALIVE", st.text);
}

BOOST_AUTO_TEST_CASE(logs_print_the_output_of_a_finished_cluster_mode_driver) {
  auto local = troupe_cmd({"submit", "--master", "local[2]", "word_count", text_path});
  BOOST_TEST_REQUIRE(local.exit_code == 0, describe(local));
  auto sub = troupe_cmd({"submit", "--master", c.url(), "--deploy-mode", "cluster", "word_count", text_path}, 20s);
  BOOST_TEST_REQUIRE(sub.exit_code == 0, describe(sub));
  auto driver = submitted_driver(sub.out);
  BOOST_TEST_REQUIRE(!driver.empty(), describe(sub));
  BOOST_TEST(lines_of(sub.out).size() == 1u, "without --wait only the driver id is printed:\n" << describe(sub));
  driver_report d;
  bool finished = wait_until(
    [&] {
      d = driver_status(c.url(), driver);
      return d.state == "FINISHED" || d.state == "FAILED" || d.state == "KILLED";
    },
    30s, 200ms);
  BOOST_TEST_REQUIRE(finished, describe(d.run));
  BOOST_TEST_REQUIRE(d.state == "FINISHED", describe(d.run));
  auto logs = troupe_cmd({"logs", "--master", c.url(), driver}, 20s);
  BOOST_TEST(logs.exit_code == 0, describe(logs));
  BOOST_TEST(logs.out == local.out, describe(logs));
}

BOOST_AUTO_TEST_CASE(kill_stops_a_running_cluster_mode_driver_and_its_executors) {
  // pi over 3e9 samples runs for minutes on this machine: killed long before.
  auto sub = troupe_cmd({"submit", "--master", c.url(), "--deploy-mode", "cluster", "pi", "3000000000"}, 20s);
  BOOST_TEST_REQUIRE(sub.exit_code == 0, describe(sub));
  auto driver = submitted_driver(sub.out);
  BOOST_TEST_REQUIRE(!driver.empty(), describe(sub));

  driver_report d;
  bool running = wait_until(
    [&] {
      d = driver_status(c.url(), driver);
      return d.state == "RUNNING";
    },
    15s, 100ms);
  BOOST_TEST_REQUIRE(running, describe(d.run));
  BOOST_TEST(contains(d.run.out, "app:     pi"), d.run.out);
  auto st = cluster_status(c.url());
  BOOST_TEST_REQUIRE(!d.worker.empty(), d.run.out);
  BOOST_TEST(st.worker_state(d.worker) == "ALIVE", "status of " << driver << " names worker " << d.worker
                                                               << ", not in the cluster's status:\n" << st.text);

  // Its process, and the executors of its application once they run.
  auto driver_arg = "--driver-id " + driver;
  BOOST_TEST_REQUIRE(wait_until([&] { return !suite_processes_matching(driver_arg).empty(); }, 10s),
                     "no process with " << driver_arg << ":\n" << describe(suite_processes()));
  std::string app;
  bool executors = wait_until(
    [&] {
      st = cluster_status(c.url());
      auto* a = st.find_app_of_driver(driver);
      if (a == nullptr)
        return false;
      app = a->id;
      return a->state == "RUNNING" && !suite_processes_matching("--app-id " + app + " ").empty();
    },
    15s, 100ms);
  BOOST_TEST_REQUIRE(executors, "the application of " << driver << " got no running executor process:\n"
                                                      << st.text << describe(suite_processes()));
  // Still running after a while: this is a long driver, not one that ended on its own.
  d = driver_status(c.url(), driver);
  BOOST_TEST_REQUIRE(d.state == "RUNNING", describe(d.run));

  auto start = clock::now();
  auto k = troupe_cmd({"kill", "--master", c.url(), driver}, 20s);
  BOOST_TEST(k.exit_code == 0, describe(k));
  BOOST_TEST(contains(k.out, "driver " + driver + ": KILLED"), describe(k));
  bool killed = wait_until(
    [&] {
      d = driver_status(c.url(), driver);
      return d.state == "KILLED";
    },
    5s, 100ms);
  BOOST_TEST(killed, describe(d.run));
  bool driver_gone = wait_until([&] { return suite_processes_matching(driver_arg).empty(); }, 5s);
  BOOST_TEST(driver_gone, "the driver's process is still there " << seconds_since(start) << " s after kill:\n"
                                                                  << describe(suite_processes_matching(driver_arg)));
  bool executors_gone = wait_until([&] { return suite_processes_matching("--app-id " + app + " ").empty(); }, 10s);
  BOOST_TEST(executors_gone, "executors of " << app << " still run " << seconds_since(start) << " s after kill:\n"
                                             << describe(suite_processes_matching("--app-id " + app + " ")));
  // The application is over too, and its cores are free again.
  bool app_over = wait_until(
    [&] {
      st = cluster_status(c.url());
      auto* a = st.find_app_of_driver(driver);
      return a != nullptr && a->state != "RUNNING" && a->state != "WAITING" && !contains(st.text, "cores 1/2")
             && !contains(st.text, "cores 2/2");
    },
    10s, 100ms);
  BOOST_TEST(app_over, st.text);
  BOOST_TEST_MESSAGE("kill: driver and executors gone " << seconds_since(start) << " s after troupe kill");
}

BOOST_AUTO_TEST_CASE(a_waiting_cluster_mode_submitter_stops_on_sigterm) {
  background_process sub({troupe_binary(), "submit", "--master", c.url(), "--deploy-mode", "cluster", "--wait", "pi",
                          "3000000000"},
                         data.path(), "submit-wait");
  std::string driver;
  BOOST_TEST_REQUIRE(wait_until(
                       [&] {
                         driver = submitted_driver(sub.out());
                         return !driver.empty() || sub.poll();
                       },
                       10s),
                     sub.describe());
  BOOST_TEST_REQUIRE(!driver.empty(), sub.describe());
  driver_report d;
  BOOST_TEST_REQUIRE(wait_until(
                       [&] {
                         d = driver_status(c.url(), driver);
                         return d.state == "RUNNING";
                       },
                       15s, 100ms),
                     describe(d.run));
  // Like Ctrl-C: the submitter stops following (the driver is the cluster's business now).
  auto start = clock::now();
  sub.signal(SIGTERM);
  auto code = sub.wait_exit(5s);
  BOOST_TEST(code.has_value(), "troupe submit --wait still runs " << seconds_since(start) << " s after SIGTERM:\n"
                                                                 << sub.describe());
  if (!code)
    sub.stop(500ms);  // SIGKILL then
  auto k = troupe_cmd({"kill", "--master", c.url(), driver}, 20s);
  BOOST_TEST(k.exit_code == 0, describe(k));
}

BOOST_AUTO_TEST_CASE(a_client_mode_submitter_stops_its_application_on_sigterm) {
  background_process sub({troupe_binary(), "submit", "--master", c.url(), "pi", "3000000000"}, data.path(),
                         "submit-client");
  status_report st;
  const status_report::app* app = nullptr;
  bool running = wait_until(
    [&] {
      st = cluster_status(c.url());
      app = st.apps.size() == 1 ? &st.apps[0] : nullptr;
      return app != nullptr && app->state == "RUNNING"
             && !suite_processes_matching("--app-id " + app->id + " ").empty();
    },
    15s, 100ms);
  BOOST_TEST_REQUIRE(running, st.text << sub.describe());
  auto app_id = app->id;
  BOOST_TEST(app->driver_line.rfind("client mode", 0) == 0, st.text);
  auto start = clock::now();
  sub.signal(SIGTERM);
  auto code = sub.wait_exit(5s);
  BOOST_TEST_REQUIRE(code.has_value(), "client-mode submit still runs 5 s after SIGTERM:\n" << sub.describe());
  BOOST_TEST(*code != 0, sub.describe());
  BOOST_TEST(sub.term_signal() == 0, "killed by the signal instead of stopping:\n" << sub.describe());
  bool executors_gone = wait_until([&] { return suite_processes_matching("--app-id " + app_id + " ").empty(); }, 10s);
  BOOST_TEST(executors_gone, "executors of " << app_id << " still run " << seconds_since(start)
                                             << " s after their driver stopped:\n"
                                             << describe(suite_processes_matching("--app-id " + app_id + " ")));
  bool over = wait_until(
    [&] {
      st = cluster_status(c.url());
      return st.apps.size() == 1 && st.apps[0].state != "RUNNING" && st.apps[0].state != "WAITING";
    },
    10s, 100ms);
  BOOST_TEST(over, st.text);
}

BOOST_AUTO_TEST_CASE(a_driver_in_a_worker_thread_writes_to_the_worker_and_logs_say_so) {
  // A worker that runs drivers as threads of its own (driver.isolation=thread):
  // one thread's stdout cannot be captured apart from its process's, so the
  // output lands in the worker's stdout and `troupe logs` says so.
  cluster t{{}, "troupe-itest-thread-driver"};
  auto& worker = t.add_worker(2, "2g", {"driver.isolation=thread", "executor.isolation=thread"});
  BOOST_TEST_REQUIRE(t.await_alive(1).alive_workers() == 1);
  auto local = troupe_cmd({"submit", "--master", "local[2]", "word_count", text_path});
  BOOST_TEST_REQUIRE(local.exit_code == 0, describe(local));
  auto r = troupe_cmd({"submit", "--master", t.url(), "--deploy-mode", "cluster", "--wait", "word_count", text_path},
                      30s);
  BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
  auto driver = submitted_driver(r.out);
  BOOST_TEST(contains(r.err, "ran inside worker"), describe(r));
  BOOST_TEST(contains(worker.out(), local.out), "the driver's output is not in the worker's stdout:\n" << worker.describe());
  auto logs = troupe_cmd({"logs", "--master", t.url(), driver}, 20s);
  BOOST_TEST(logs.exit_code == 1, describe(logs));
  BOOST_TEST(contains(logs.err, "driver.isolation=thread"), describe(logs));
}

BOOST_AUTO_TEST_CASE(a_driver_in_a_worker_thread_applies_the_submitters_settings) {
  // 1 GiB worker: a 256m driver leaves room only if the driver also asks for
  // 256m executors, as the submitter said (a driver process gets that through
  // its --conf; a colocated one must apply the same settings).
  cluster t{{}, "troupe-itest-thread-driver-conf"};
  t.add_worker(2, "1g", {"driver.isolation=thread", "executor.isolation=thread"});
  BOOST_TEST_REQUIRE(t.await_alive(1).alive_workers() == 1);
  auto r = troupe_cmd({"submit", "--master", t.url(), "--deploy-mode", "cluster", "--wait", "--driver-memory", "256m",
                       "--executor-memory", "256m", "pi", "10000"},
                      30s);
  BOOST_TEST(r.exit_code == 0, describe(r));
  BOOST_TEST(!r.timed_out, describe(r));
  auto st = cluster_status(t.url());
  BOOST_TEST(contains(st.text, "FINISHED"), st.text);
}

BOOST_AUTO_TEST_CASE(an_unknown_driver_id_is_exit_1) {
  const std::string unknown = "driver-19700101000000-9999";
  for (const std::string cmd : {"status", "kill", "logs"}) {
    auto r = troupe_cmd({cmd, "--master", c.url(), unknown}, 20s);
    BOOST_TEST_INFO("troupe " << cmd);
    BOOST_TEST(r.exit_code == 1, describe(r));
    BOOST_TEST_INFO("troupe " << cmd);
    BOOST_TEST(contains(r.err, unknown), describe(r));
  }
  // The cluster does not mind.
  BOOST_TEST(cluster_status(c.url()).alive_workers() == 2);
}

BOOST_AUTO_TEST_SUITE_END()

// == failure detection ==================================================================

BOOST_AUTO_TEST_SUITE(failure, *boost::unit_test::timeout(90))

BOOST_AUTO_TEST_CASE(a_killed_worker_and_a_frozen_worker_turn_dead_and_a_thawed_one_comes_back) {
  const std::vector<std::string> conf{"worker.timeout=1500", "heartbeat.interval=200", "network.timeout=1000"};
  cluster c{conf, "troupe-itest-failure"};
  // One worker at a time, to know which id is whose.
  c.add_worker(1, "1g", conf);
  auto st = c.await_alive(1);
  BOOST_TEST_REQUIRE(st.workers.size() == 1u, st.text);
  auto first = st.workers.begin()->first;
  c.add_worker(1, "1g", conf);
  st = c.await_alive(2);
  BOOST_TEST_REQUIRE(st.workers.size() == 2u, st.text);
  std::string second;
  for (auto& [id, s] : st.workers)
    if (id != first)
      second = id;

  // SIGKILL: DEAD within 3 s.
  auto start = clock::now();
  ::kill(c.worker(0).pid(), SIGKILL);
  bool dead = wait_until(
    [&] {
      st = cluster_status(c.url());
      return st.worker_state(first) == "DEAD";
    },
    3s, 100ms);
  BOOST_TEST(dead, "not DEAD " << seconds_since(start) << " s after SIGKILL:\n" << st.text);
  BOOST_TEST_MESSAGE("SIGKILLed worker DEAD after " << seconds_since(start) << " s");
  BOOST_TEST(st.worker_state(second) == "ALIVE", st.text);
  BOOST_TEST(c.worker(0).wait_exit(2s).value_or(-1) == 128 + SIGKILL);

  // SIGSTOP: no heartbeats, DEAD within ~3 s (worker.timeout is 1.5 s).
  start = clock::now();
  c.worker(1).signal(SIGSTOP);
  dead = wait_until(
    [&] {
      st = cluster_status(c.url());
      return st.worker_state(second) == "DEAD";
    },
    3s, 100ms);
  BOOST_TEST(dead, "not DEAD " << seconds_since(start) << " s after SIGSTOP:\n" << st.text);
  BOOST_TEST_MESSAGE("SIGSTOPped worker DEAD after " << seconds_since(start) << " s");

  // SIGCONT: it registers again (under its id or a new one) within ~5 s.
  start = clock::now();
  c.worker(1).signal(SIGCONT);
  bool back = wait_until(
    [&] {
      st = cluster_status(c.url());
      return st.alive_workers() == 1;
    },
    5s, 100ms);
  BOOST_TEST(back, "the thawed worker did not register again within " << seconds_since(start) << " s:\n"
                                                                        << st.text << c.worker(1).describe());
  BOOST_TEST_MESSAGE("thawed worker ALIVE again after " << seconds_since(start) << " s");
  BOOST_TEST(st.worker_state(first) == "DEAD", st.text);
  BOOST_TEST(!c.worker(1).poll().has_value(), "the thawed worker exited:\n" << c.worker(1).describe());
  // And it is usable: a job runs on it.
  if (back) {
    auto r = troupe_cmd({"submit", "--master", c.url(), "pi", "100000"}, 30s);
    BOOST_TEST(r.exit_code == 0, describe(r));
    BOOST_TEST(contains(r.out, "pi is roughly"), describe(r));
  }
}

BOOST_AUTO_TEST_SUITE_END()

// == wrong ports ==========================================================================

BOOST_AUTO_TEST_SUITE(ports, *boost::unit_test::timeout(60))

BOOST_AUTO_TEST_CASE(a_worker_without_a_master_exits_non_zero) {
  temp_dir dir{"troupe-itest-ports"};
  auto port = unused_port();
  background_process w({troupe_binary(), "node", "--role", "worker", "--master",
                        "troupe://127.0.0.1:" + std::to_string(port), "--host", "127.0.0.1", "--cores", "1", "--memory",
                        "1g", "--work-dir", dir / "work", "--conf", "register.timeout=1000"},
                       dir.path(), "worker");
  auto code = w.wait_exit(5s);
  BOOST_TEST_REQUIRE(code.has_value(), "the worker still runs after 5 s:\n" << w.describe());
  BOOST_TEST(*code != 0, w.describe());
  BOOST_TEST(w.term_signal() == 0, "died of a signal:\n" << w.describe());
  BOOST_TEST(contains(w.err(), "no master answers"), w.describe());
  BOOST_TEST_MESSAGE("worker gave up after " << w.lifetime() << " s");
}

BOOST_AUTO_TEST_CASE(a_client_mode_submit_without_a_master_is_exit_1) {
  temp_dir dir{"troupe-itest-ports"};
  auto port = unused_port();
  auto start = clock::now();
  auto r = troupe_cmd({"submit", "--master", "troupe://127.0.0.1:" + std::to_string(port), "--conf",
                       "register.timeout=1000", "pi", "1000"},
                      10s);
  auto took = seconds_since(start);
  BOOST_TEST(r.exit_code == 1, describe(r));
  BOOST_TEST(took < 5.0, took << " s");
  BOOST_TEST(contains(r.err, "no master answers"), describe(r));
  // Same for cluster mode.
  r = troupe_cmd({"submit", "--master", "troupe://127.0.0.1:" + std::to_string(port), "--deploy-mode", "cluster",
                  "--conf", "register.timeout=1000", "pi", "1000"},
                 10s);
  BOOST_TEST(r.exit_code == 1, describe(r));
  BOOST_TEST(contains(r.err, "no master answers"), describe(r));
}

BOOST_AUTO_TEST_CASE(a_second_master_on_a_taken_port_is_exit_1) {
  cluster c{{}, "troupe-itest-ports"};
  temp_dir dir{"troupe-itest-ports"};
  background_process second({troupe_binary(), "node", "--role", "master", "--host", "127.0.0.1", "--port",
                             std::to_string(port_of(c.url()))},
                            dir.path(), "second-master");
  auto code = second.wait_exit(5s);
  BOOST_TEST_REQUIRE(code.has_value(), "the second master still runs after 5 s:\n" << second.describe());
  BOOST_TEST(*code == 1, second.describe());
  BOOST_TEST(contains(second.err(), "cannot listen"), second.describe());
  // The first one is unharmed.
  BOOST_TEST(!c.master().poll().has_value(), c.master().describe());
  BOOST_TEST(cluster_status(c.url()).ok);
}

BOOST_AUTO_TEST_CASE(status_without_a_master_is_exit_1) {
  auto port = unused_port();
  auto start = clock::now();
  auto r = troupe_cmd({"status", "--master", "troupe://127.0.0.1:" + std::to_string(port)}, 20s);
  auto took = seconds_since(start);
  BOOST_TEST_MESSAGE("status against a dead port gave up after " << took << " s");
  BOOST_TEST(!r.timed_out, describe(r));
  BOOST_TEST(r.exit_code == 1, describe(r));
  BOOST_TEST(took < 15.0);
  BOOST_TEST(contains(r.err, "no master answers"), describe(r));
}

BOOST_AUTO_TEST_SUITE_END()

// == simulate ============================================================================

namespace {

void check_simulate(bool threads) {
  temp_dir dir{"troupe-itest-simulate"};
  auto input = dir.write("words.txt", make_text());
  std::vector<std::string> argv{troupe_binary(), "simulate", "--workers", "3", "--cores", "1", "--memory", "512m",
                                "--port", "0"};
  if (threads)
    argv.push_back("--threads");
  background_process sim(argv, dir.path(), "simulate");
  BOOST_TEST_REQUIRE(wait_until([&] { return !printed_url(sim.out()).empty() || sim.poll(); }, 20s),
                     "no URL within 20 s:\n" << sim.describe());
  auto url = printed_url(sim.out());
  BOOST_TEST_REQUIRE(!url.empty(), sim.describe());
  BOOST_TEST(port_of(url) != 0);

  auto st = cluster_status(url);
  BOOST_TEST(st.ok, st.text);
  BOOST_TEST(st.alive_workers() == 3, st.text);

  auto local = troupe_cmd({"submit", "--master", "local[2]", "word_count", input});
  BOOST_TEST(local.exit_code == 0, describe(local));
  {
    // The submitter in the background, to follow its driver meanwhile.
    // 512 MiB workers: the driver (driver.memory, 512m by default) fills one,
    // the executors must be small enough for the others.
    background_process sub({troupe_binary(), "submit", "--master", url, "--deploy-mode", "cluster", "--wait",
                            "--executor-memory", "256m", "word_count", input},
                           dir.path(), "submit");
    std::string driver;
    BOOST_TEST_REQUIRE(wait_until(
                         [&] {
                           driver = submitted_driver(sub.out());
                           return !driver.empty() || sub.poll();
                         },
                         10s),
                       sub.describe());
    BOOST_TEST_REQUIRE(!driver.empty(), sub.describe());
    driver_report d;
    bool placed = wait_until(
      [&] {
        d = driver_status(url, driver);
        return !d.state.empty() && d.state != "SUBMITTED";
      },
      10s, 100ms);
    BOOST_TEST(placed, "driver " << driver << " is still " << d.state << " after 10 s on a cluster of 3 idle workers:\n"
                                 << cluster_status(url).text);
    if (placed) {
      auto code = sub.wait_exit(30s);
      BOOST_TEST(code.has_value(), "the submitter still waits:\n" << sub.describe());
      BOOST_TEST(code.value_or(-1) == 0, sub.describe());
      BOOST_TEST(contains(sub.out(), local.out), "the driver's output is missing:\n" << sub.describe());
      BOOST_TEST(contains(sub.err(), "driver " + driver + " finished on worker"), sub.describe());
    } else {
      sub.stop(1s);  // SIGTERM, then SIGKILL: it waits for a driver that never starts
    }
  }

  // As processes: a master and three workers (plus what they run).
  auto children = descendants(sim.pid());
  if (threads)
    BOOST_TEST(children.empty(), describe(children));
  else
    BOOST_TEST(children.size() >= 4u, describe(children));

  auto start = clock::now();
  sim.signal(SIGTERM);
  auto code = sim.wait_exit(10s);
  BOOST_TEST_REQUIRE(code.has_value(), "simulate still runs 10 s after SIGTERM:\n" << sim.describe());
  BOOST_TEST(*code == 0, sim.describe());
  BOOST_TEST(sim.term_signal() == 0, sim.describe());
  BOOST_TEST_MESSAGE("simulate" << (threads ? " --threads" : "") << " stopped " << seconds_since(start)
                                << " s after SIGTERM");
  std::vector<proc_info> left;
  wait_until(
    [&] {
      left.clear();
      for (auto& p : children)
        if (is_running(p.pid) && has_marker(p.pid))
          left.push_back(p);
      return left.empty();
    },
    2s);
  BOOST_TEST(left.empty(), "left behind by simulate:\n" << describe(left));
}

} // namespace

BOOST_AUTO_TEST_SUITE(simulate, *boost::unit_test::timeout(90))

BOOST_AUTO_TEST_CASE(simulate_as_processes_runs_a_job_and_stops_on_sigterm) { check_simulate(false); }

BOOST_AUTO_TEST_CASE(simulate_as_threads_runs_a_job_and_stops_on_sigterm) { check_simulate(true); }

BOOST_AUTO_TEST_SUITE_END()

// == nothing left ==========================================================================

namespace {

/// After everything: SIGKILL (by pid, our marker checked) for anything of ours still there.
struct last_resort_cleanup {
  ~last_resort_cleanup() {
    auto left = kill_suite_processes();
    if (!left.empty())
      BOOST_TEST_MESSAGE("killed processes left by the integration tests:\n" << describe(left));
  }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(last_resort_cleanup);

BOOST_AUTO_TEST_SUITE(cleanup)

// Declared last, so it runs after every other case of this file.
BOOST_AUTO_TEST_CASE(no_process_started_by_the_suite_is_left) {
  {
    // The tracking sees what this suite starts, and stops it.
    temp_dir dir{"troupe-itest-cleanup"};
    background_process probe({troupe_binary(), "node", "--role", "master", "--host", "127.0.0.1", "--port", "0"},
                             dir.path(), "probe");
    BOOST_TEST_REQUIRE(wait_until([&] { return !printed_url(probe.out()).empty(); }, 10s), probe.describe());
    auto ours = suite_processes();
    BOOST_TEST(std::any_of(ours.begin(), ours.end(), [&](auto& p) { return p.pid == probe.pid(); }),
               "the probe " << probe.pid() << " is not among the suite's processes:\n" << describe(ours));
    BOOST_TEST(probe.stop() == 0, probe.describe());
  }
  std::vector<proc_info> left;
  wait_until(
    [&] {
      left = suite_processes();
      return left.empty();
    },
    3s);
  BOOST_TEST(left.empty(), "still running:\n" << describe(left));
}

BOOST_AUTO_TEST_SUITE_END()
