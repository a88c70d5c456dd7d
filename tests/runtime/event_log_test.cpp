// Event logs: every event survives a write and a read, a finished log is
// renamed from .inprogress, a replay gives the live model's snapshot, and a
// malformed line is an error naming the file and the line.

#include "runtime/event_log.hpp"

#include "tests/support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>

using namespace troupe::status;

namespace troupe::status {
// For Boost.Test's messages.
inline std::ostream& operator<<(std::ostream& o, job_status s) { return o << to_string(s); }
inline std::ostream& operator<<(std::ostream& o, stage_status s) { return o << to_string(s); }
} // namespace troupe::status
using troupe::testing::temp_dir;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::vector<event> sample_events() {
  std::vector<event> out;
  auto add = [&](event_kind k, int64_t t) -> event& {
    out.emplace_back();
    out.back().kind = k;
    out.back().time_ms = t;
    return out.back();
  };
  auto& a = add(event_kind::app_start, 1000);
  a.app_id = "app-7";
  a.app_name = "sort";
  a.environment = {{"k", "v"}};
  auto& x = add(event_kind::executor_added, 1001);
  x.executor = "0";
  x.host_port = "h:1";
  x.cores = 3;
  auto& j = add(event_kind::job_start, 1002);
  j.job = 0;
  j.name = "count";
  j.stage_ids = {0};
  auto& s = add(event_kind::stage_submitted, 1003);
  s.stage = 0;
  s.num_tasks = 1;
  s.name = "result stage 0";
  auto& ts = add(event_kind::task_start, 1004);
  ts.task = 0;
  ts.stage = 0;
  ts.partition = 0;
  ts.executor = "0";
  auto& te = add(event_kind::task_end, 1010);
  te.task = 0;
  te.stage = 0;
  te.partition = 0;
  te.executor = "0";
  te.reason = "success";
  te.metrics = {6, 1, 2, 3, 4, 5, 77};
  te.metrics.run_time_us = 4321;
  te.metrics.cpu_time_ns = 3'000'000;
  te.metrics.result_bytes = 12;
  te.metrics.shuffle_read_records = 9;
  te.metrics.shuffle_remote_bytes_read = 3;
  te.metrics.shuffle_remote_blocks = 1;
  te.metrics.shuffle_write_records = 8;
  auto& sc = add(event_kind::stage_completed, 1011);
  sc.stage = 0;
  auto& je = add(event_kind::job_end, 1012);
  je.job = 0;
  auto& xr = add(event_kind::executor_removed, 1013);
  xr.executor = "0";
  xr.reason = "exited";
  auto& ae = add(event_kind::app_end, 1020);
  ae.ok = true;
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(event_log)

BOOST_AUTO_TEST_CASE(every_event_kind_round_trips_through_a_line) {
  for (auto& e : sample_events()) {
    auto line = to_json_line(e);
    BOOST_TEST(line.find('\n') == std::string::npos);
    BOOST_TEST(contains(line, std::string("\"Event\":\"") + to_string(e.kind) + "\""), line);
    event back;
    std::string error;
    BOOST_REQUIRE_MESSAGE(parse_line(line, back, error), error);
    BOOST_TEST(to_json_line(back) == line);
  }
}

BOOST_AUTO_TEST_CASE(the_writer_renames_on_close_and_a_replay_rebuilds_the_model) {
  temp_dir dir("troupe-eventlog");
  auto logdir = dir / "logs";  // created by the writer
  event_log_writer w;
  std::string error;
  BOOST_REQUIRE_MESSAGE(w.open(logdir, "app-7", error), error);
  BOOST_TEST(w.path() == logdir + "/app-7.inprogress");
  app_status live;
  for (auto e : sample_events()) {
    live.apply(e);
    w.write(e);
    if (e.kind == event_kind::job_end) {
      // Half-way, the in-progress file is listed as running.
      std::vector<std::string> errors;
      auto logs = scan_logs(logdir, errors);
      BOOST_REQUIRE_EQUAL(logs.size(), 1u);
      BOOST_TEST(logs[0].in_progress);
      BOOST_TEST(!logs[0].snap.app.completed);
      BOOST_TEST(find_log(logdir, "app-7") == logdir + "/app-7.inprogress");
    }
  }
  w.close();
  BOOST_TEST(std::filesystem::exists(logdir + "/app-7"));
  BOOST_TEST(!std::filesystem::exists(logdir + "/app-7.inprogress"));
  app_status replayed;
  BOOST_REQUIRE_MESSAGE(replay_file(logdir + "/app-7", replayed, error), error);
  auto a = live.snap(), b = replayed.snap();
  BOOST_TEST(b.app.id == "app-7");
  BOOST_TEST(b.app.completed);
  BOOST_TEST(b.app.duration_ms() == a.app.duration_ms());
  BOOST_REQUIRE_EQUAL(b.jobs.size(), 1u);
  BOOST_TEST(b.jobs[0].status == job_status::succeeded);
  BOOST_TEST(b.jobs[0].completed_tasks == 1);
  BOOST_REQUIRE_EQUAL(b.stages.size(), 1u);
  BOOST_TEST(b.stages[0].shuffle_write_bytes == 77);
  BOOST_TEST(b.stages[0].input_bytes == 2);
  BOOST_TEST(b.stages[0].input_records == 1);
  BOOST_TEST(b.stages[0].output_records == 3);
  BOOST_TEST(b.stages[0].output_bytes == 4);
  BOOST_TEST(b.stages[0].shuffle_read_bytes == 5);
  BOOST_TEST(b.stages[0].shuffle_read_records == 9);
  BOOST_TEST(b.stages[0].shuffle_remote_bytes_read == 3);
  BOOST_TEST(b.stages[0].shuffle_local_bytes_read == 2);
  BOOST_TEST(b.stages[0].shuffle_write_records == 8);
  BOOST_TEST(b.stages[0].executor_run_time_us == 4321);
  BOOST_TEST(b.stages[0].executor_cpu_time_ns == 3'000'000);
  BOOST_TEST(b.stages[0].result_size == 12);
  BOOST_TEST(b.executors.at(0).completed_tasks == 1);
  BOOST_TEST(find_log(logdir, "../etc").empty());
  BOOST_TEST(find_log(logdir, "app-8").empty());
}

BOOST_AUTO_TEST_CASE(a_task_end_logged_before_executors_measured_run_time_counts_its_duration) {
  event e;
  std::string error;
  BOOST_REQUIRE_MESSAGE(parse_line(R"({"Event":"SparkListenerTaskEnd","Task ID":3,"Task Metrics":{"Duration":25,)"
                                   R"("Records Read":4}})",
                                   e, error),
                        error);
  BOOST_TEST(e.metrics.run_time_us == 25'000);
  BOOST_TEST(e.metrics.records_read == 4);
  BOOST_TEST(e.metrics.shuffle_read_records == 0);
}

BOOST_AUTO_TEST_CASE(a_malformed_line_names_the_file_and_the_line) {
  temp_dir dir("troupe-eventlog");
  auto good = to_json_line(sample_events()[0]);
  struct bad_case {
    std::string line, says;
  };
  for (auto& c : std::vector<bad_case>{{"{not json", "not JSON"},
                                       {"[1,2]", "not a JSON object"},
                                       {"{\"Timestamp\":1}", "no \"Event\""},
                                       {"{\"Event\":\"SparkListenerNope\"}", "unknown event"},
                                       {"{\"Event\":\"SparkListenerJobStart\",\"Job ID\":\"x\"}", "wrong type"},
                                       {"{\"Event\":\"SparkListenerTaskEnd\"}", "without its id"},
                                       {std::string("\xff\xfe\x01", 3), "not JSON"}}) {
    auto path = dir.write("app-bad", good + "\n\n" + c.line + "\n" + good + "\n");
    app_status m;
    std::string error;
    BOOST_TEST(!replay_file(path, m, error), c.line);
    BOOST_TEST(contains(error, path + ":3: "), error);
    BOOST_TEST(contains(error, c.says), error);
  }
  std::vector<std::string> errors;
  auto logs = scan_logs(dir.path().string(), errors);
  BOOST_TEST(logs.empty());
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(contains(errors[0], "app-bad:3"), errors[0]);
  scan_logs(dir / "missing", errors);
  BOOST_TEST(contains(errors.back(), "cannot list"), errors.back());
}

BOOST_AUTO_TEST_CASE(a_cut_last_line_of_a_log_in_progress_is_its_writer_mid_write) {
  temp_dir dir("troupe-eventlog");
  auto good = to_json_line(sample_events()[0]);
  auto cut = to_json_line(sample_events()[1]).substr(0, 10);
  app_status m;
  std::string error;
  BOOST_TEST(replay_file(dir.write("app-7.inprogress", good + "\n" + cut), m, error), error);
  BOOST_TEST(m.snap().app.id == "app-7");
  // The same cut in a finished log is damage.
  BOOST_TEST(!replay_file(dir.write("app-7", good + "\n" + cut), m, error));
  BOOST_TEST(contains(error, ":2: "), error);
}

BOOST_AUTO_TEST_SUITE_END()
