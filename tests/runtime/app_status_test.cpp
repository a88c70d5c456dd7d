// The application model the driver UI, the event log and the history server
// share: events in, snapshots out, with Spark's counting.

#include "runtime/app_status.hpp"
#include "runtime/console_progress.hpp"

#include <boost/test/unit_test.hpp>

using namespace troupe::status;

namespace troupe::status {
// For Boost.Test's messages.
inline std::ostream& operator<<(std::ostream& o, job_status s) { return o << to_string(s); }
inline std::ostream& operator<<(std::ostream& o, stage_status s) { return o << to_string(s); }
} // namespace troupe::status

namespace {

event ev(event_kind k, int64_t t) {
  event e;
  e.kind = k;
  e.time_ms = t;
  return e;
}

/// An application with one job of two stages: stage 0 (map, 4 tasks) done,
/// stage 1 (result, 3 tasks) with 1 done, 1 failed, 1 running.
void two_stage_app(app_status& m) {
  auto a = ev(event_kind::app_start, 1000);
  a.app_id = "app-1";
  a.app_name = "word_count";
  a.environment = {{"master", "local[2]"}};
  m.apply(a);
  auto x = ev(event_kind::executor_added, 1001);
  x.executor = "0";
  x.host_port = "127.0.0.1:4000";
  x.cores = 2;
  m.apply(x);
  auto j = ev(event_kind::job_start, 1010);
  j.job = 0;
  j.name = "collect";
  j.stage_ids = {0, 1};
  m.apply(j);
  auto s0 = ev(event_kind::stage_submitted, 1011);
  s0.stage = 0;
  s0.num_tasks = 4;
  m.apply(s0);
  for (int t = 0; t < 4; ++t) {
    auto st = ev(event_kind::task_start, 1020);
    st.task = t;
    st.stage = 0;
    st.partition = t;
    st.executor = "0";
    m.apply(st);
    auto en = ev(event_kind::task_end, 1050);
    en.task = t;
    en.metrics.shuffle_write_bytes = 100;
    en.metrics.run_time_us = 30'500;
    m.apply(en);
  }
  auto c0 = ev(event_kind::stage_completed, 1060);
  c0.stage = 0;
  m.apply(c0);
  auto s1 = ev(event_kind::stage_submitted, 1061);
  s1.stage = 1;
  s1.num_tasks = 3;
  m.apply(s1);
  for (int t = 4; t < 7; ++t) {
    auto st = ev(event_kind::task_start, 1070);
    st.task = t;
    st.stage = 1;
    st.partition = t - 4;
    st.executor = "0";
    m.apply(st);
  }
  auto ok = ev(event_kind::task_end, 1100);
  ok.task = 4;
  m.apply(ok);
  auto bad = ev(event_kind::task_end, 1100);
  bad.task = 5;
  bad.reason = "failed";
  m.apply(bad);
}

} // namespace

BOOST_AUTO_TEST_SUITE(app_status_model)

BOOST_AUTO_TEST_CASE(what_executors_counted_becomes_the_metrics_of_their_tasks) {
  troupe::task_counters c;
  c.run_time_us = 1500;
  c.cpu_time_ns = 1'200'000;
  c.deserialize_us = 40;
  c.input_records = 7;
  c.input_bytes = 70;
  c.output_records = 3;
  c.output_bytes = 30;
  c.result_bytes = 9;
  c.shuffle_read_records = 11;
  c.shuffle_local_bytes = 100;
  c.shuffle_remote_bytes = 25;
  c.shuffle_local_blocks = 2;
  c.shuffle_remote_blocks = 1;
  c.shuffle_fetch_wait_us = 5;
  c.shuffle_write_records = 13;
  c.shuffle_write_bytes = 130;
  auto m = metrics_from(c);
  BOOST_TEST(m.duration_ms == 0);  // the model's to fill in
  BOOST_TEST(m.records_read == 7);
  BOOST_TEST(m.bytes_read == 70);
  BOOST_TEST(m.records_written == 3);
  BOOST_TEST(m.bytes_written == 30);
  BOOST_TEST(m.shuffle_read_bytes == 125);  // local and remote
  BOOST_TEST(m.shuffle_remote_bytes_read == 25);
  BOOST_TEST(m.shuffle_read_records == 11);
  BOOST_TEST(m.shuffle_write_bytes == 130);
  BOOST_TEST(m.shuffle_write_records == 13);
  BOOST_TEST(m.run_time_us == 1500);
  BOOST_TEST(m.cpu_time_ns == 1'200'000);
  BOOST_TEST(m.result_bytes == 9);
  BOOST_TEST(m.shuffle_local_blocks == 2);
  BOOST_TEST(m.shuffle_remote_blocks == 1);
}

BOOST_AUTO_TEST_CASE(stages_and_executors_sum_what_their_tasks_read_and_wrote) {
  app_status m;
  auto x = ev(event_kind::executor_added, 1);
  x.executor = "a";
  x.cores = 2;
  m.apply(x);
  x.executor = "b";
  m.apply(x);
  auto sub = ev(event_kind::stage_submitted, 2);
  sub.stage = 0;
  sub.num_tasks = 3;
  m.apply(sub);
  sub.stage = 1;
  sub.num_tasks = 2;
  m.apply(sub);
  // Stage 0 maps 3 text splits; stage 1 reduces what they wrote and saves it.
  struct task {
    int64_t id, stage;
    const char* exec;
    troupe::task_counters c;
  };
  auto map_task = [](int64_t lines, int64_t bytes, int64_t out_rows, int64_t out_bytes, int64_t us) {
    troupe::task_counters c;
    c.input_records = lines;
    c.input_bytes = bytes;
    c.shuffle_write_records = out_rows;
    c.shuffle_write_bytes = out_bytes;
    c.run_time_us = us;
    return c;
  };
  auto reduce_task = [](int64_t rows, int64_t local, int64_t remote, int64_t saved, int64_t us) {
    troupe::task_counters c;
    c.shuffle_read_records = rows;
    c.shuffle_local_bytes = local;
    c.shuffle_remote_bytes = remote;
    c.shuffle_local_blocks = 1;
    c.shuffle_remote_blocks = 2;
    c.output_records = rows;
    c.output_bytes = saved;
    c.run_time_us = us;
    return c;
  };
  std::vector<task> tasks = {{0, 0, "a", map_task(10, 400, 6, 600, 700)},
                             {1, 0, "b", map_task(12, 500, 7, 700, 800)},
                             {2, 0, "a", map_task(0, 0, 0, 0, 50)},
                             {3, 1, "a", reduce_task(8, 300, 500, 90, 1200)},
                             {4, 1, "b", reduce_task(5, 100, 400, 60, 999)}};
  for (auto& t : tasks) {
    auto st = ev(event_kind::task_start, 10);
    st.task = t.id;
    st.stage = t.stage;
    st.executor = t.exec;
    m.apply(st);
    auto en = ev(event_kind::task_end, 20);
    en.task = t.id;
    en.metrics = metrics_from(t.c);
    m.apply(en);
  }
  auto s = m.snap();
  auto* s0 = s.find_stage(0);
  auto* s1 = s.find_stage(1);
  BOOST_REQUIRE(s0 != nullptr);
  BOOST_REQUIRE(s1 != nullptr);
  BOOST_TEST(s0->input_records == 22);
  BOOST_TEST(s0->input_bytes == 900);
  BOOST_TEST(s0->shuffle_write_records == 13);
  BOOST_TEST(s0->shuffle_write_bytes == 1300);
  BOOST_TEST(s0->shuffle_read_records == 0);
  BOOST_TEST(s0->executor_run_time_us == 1550);
  BOOST_TEST(s0->executor_run_time_ms == 1);
  BOOST_TEST(s1->shuffle_read_records == 13);
  BOOST_TEST(s1->shuffle_read_bytes == 1300);
  BOOST_TEST(s1->shuffle_local_bytes_read == 400);
  BOOST_TEST(s1->shuffle_remote_bytes_read == 900);
  BOOST_TEST(s1->shuffle_local_blocks == 2);
  BOOST_TEST(s1->shuffle_remote_blocks == 4);
  BOOST_TEST(s1->output_records == 13);
  BOOST_TEST(s1->output_bytes == 150);
  BOOST_TEST(s1->input_records == 0);
  BOOST_TEST(s1->executor_run_time_ms == 2);  // 2199 us
  BOOST_REQUIRE_EQUAL(s.executors.size(), 2u);
  auto& a = s.executors[0].id == "a" ? s.executors[0] : s.executors[1];
  auto& b = s.executors[0].id == "a" ? s.executors[1] : s.executors[0];
  BOOST_TEST(a.input_bytes == 400);
  BOOST_TEST(a.shuffle_write_bytes == 600);
  BOOST_TEST(a.shuffle_read_bytes == 800);
  BOOST_TEST(b.input_bytes == 500);
  BOOST_TEST(b.shuffle_write_bytes == 700);
  BOOST_TEST(b.shuffle_read_bytes == 500);
  BOOST_TEST(a.completed_tasks == 3);
  BOOST_TEST(b.completed_tasks == 2);
}

BOOST_AUTO_TEST_CASE(a_job_counts_the_tasks_of_its_stages) {
  app_status m;
  two_stage_app(m);
  auto s = m.snap();
  BOOST_REQUIRE_EQUAL(s.jobs.size(), 1u);
  auto& j = s.jobs[0];
  BOOST_TEST(j.status == job_status::running);
  BOOST_TEST(j.num_tasks == 7);
  BOOST_TEST(j.completed_tasks == 5);
  BOOST_TEST(j.failed_tasks == 1);
  BOOST_TEST(j.active_tasks == 1);
  BOOST_TEST(j.completed_stages == 1);
  BOOST_TEST(j.active_stages == 1);
}

BOOST_AUTO_TEST_CASE(a_stage_sums_its_task_metrics_and_a_task_end_is_completed_from_its_start) {
  app_status m;
  two_stage_app(m);
  auto s = m.snap();
  auto* s0 = s.find_stage(0);
  BOOST_REQUIRE(s0 != nullptr);
  BOOST_TEST(s0->status == stage_status::complete);
  BOOST_TEST(s0->complete_tasks == 4);
  BOOST_TEST(s0->shuffle_write_bytes == 400);
  BOOST_TEST(s0->executor_run_time_ms == 4 * 30'500 / 1000);  // what the executors measured, summed in us
  BOOST_TEST(s0->job_ids == std::vector<int64_t>{0});
  auto* s1 = s.find_stage(1);
  BOOST_REQUIRE(s1 != nullptr);
  BOOST_TEST(s1->status == stage_status::active);
  BOOST_TEST(s1->active_tasks == 1);
  BOOST_TEST(s1->failed_tasks == 1);
  // The task_end filled in what its task_start knew.
  event late = ev(event_kind::task_end, 1200);
  late.task = 6;
  BOOST_TEST(m.apply(late));
  BOOST_TEST(late.stage == 1);
  BOOST_TEST(late.partition == 2);
  BOOST_TEST(late.executor == "0");
  BOOST_TEST(late.metrics.duration_ms == 130);
  // A second end of the same task is a late duplicate: nothing to apply.
  BOOST_TEST(!m.apply(late));
}

BOOST_AUTO_TEST_CASE(executors_count_their_tasks_and_keep_their_end) {
  app_status m;
  two_stage_app(m);
  auto r = ev(event_kind::executor_removed, 1300);
  r.executor = "0";
  r.reason = "worker lost";
  m.apply(r);
  auto s = m.snap();
  BOOST_REQUIRE_EQUAL(s.executors.size(), 1u);
  auto& x = s.executors[0];
  BOOST_TEST(x.host_port == "127.0.0.1:4000");
  BOOST_TEST(x.total_cores == 2);
  BOOST_TEST(x.completed_tasks == 5);
  BOOST_TEST(x.failed_tasks == 1);
  BOOST_TEST(x.active_tasks == 1);
  BOOST_TEST(!x.active);
  BOOST_TEST(x.remove_reason == "worker lost");
}

BOOST_AUTO_TEST_CASE(a_job_end_ends_its_stages_and_the_app_end_its_duration) {
  app_status m;
  two_stage_app(m);
  auto je = ev(event_kind::job_end, 1400);
  je.job = 0;
  je.ok = false;
  je.reason = "task failed 4 times";
  m.apply(je);
  auto ae = ev(event_kind::app_end, 1500);
  ae.ok = false;
  m.apply(ae);
  auto s = m.snap();
  BOOST_TEST(s.jobs[0].status == job_status::failed);
  BOOST_TEST(s.jobs[0].completion_ms == 1400);
  BOOST_TEST(s.find_stage(1)->status == stage_status::failed);
  BOOST_TEST(s.find_stage(1)->failure_reason == "task failed 4 times");
  BOOST_TEST(s.app.completed);
  BOOST_TEST(s.app.duration_ms() == 500);
  BOOST_TEST(s.app.environment.at("master") == "local[2]");
}

BOOST_AUTO_TEST_CASE(a_resubmitted_stage_attempt_is_a_stage_of_its_own) {
  app_status m;
  auto s0 = ev(event_kind::stage_submitted, 1);
  s0.stage = 3;
  s0.num_tasks = 2;
  m.apply(s0);
  s0.attempt = 1;
  s0.num_tasks = 1;
  m.apply(s0);
  auto t = ev(event_kind::task_start, 2);
  t.task = 9;
  t.stage = 3;
  m.apply(t);
  BOOST_TEST(t.attempt == 1);  // tasks run under the latest attempt
  auto s = m.snap();
  BOOST_TEST(s.stages.size() == 2u);
  BOOST_TEST(s.find_stage(3)->attempt == 1);
  BOOST_TEST(s.find_stage(3)->active_tasks == 1);
}

BOOST_AUTO_TEST_CASE(a_listener_hears_each_applied_event_and_not_a_duplicate) {
  app_status m;
  std::vector<event_kind> heard;
  m.on_applied([&](const event& e) { heard.push_back(e.kind); });
  auto j = ev(event_kind::job_end, 5);
  j.job = 1;
  m.apply(j);
  auto dup = ev(event_kind::task_end, 6);
  dup.task = 42;  // never started
  BOOST_TEST(!m.apply(dup));
  BOOST_REQUIRE_EQUAL(heard.size(), 1u);
  BOOST_TEST((heard[0] == event_kind::job_end));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(console_progress_bar)

BOOST_AUTO_TEST_CASE(renders_sparks_bar_for_one_stage) {
  stage_view s;
  s.id = 1;
  s.num_tasks = 40;
  BOOST_TEST(render_progress({s}, 80).empty());  // waiting on its parents: not shown yet
  s.complete_tasks = 12;
  s.active_tasks = 2;
  auto line = render_progress({s}, 80);
  BOOST_TEST(line.size() == 80u, line);
  BOOST_TEST(line.rfind("[Stage 1:", 0) == 0, line);
  BOOST_TEST(line.find("(12 + 2) / 40]") == line.size() - 14, line);
  // 80 - 9 - 14 = 57 bar columns, 12/40 of them done: 17 '=' then '>'.
  BOOST_TEST(line.substr(9, 18) == std::string(17, '=') + ">", line);
  BOOST_TEST(line[27] == ' ');
}

BOOST_AUTO_TEST_CASE(nothing_when_no_stage_runs_and_side_by_side_for_several) {
  BOOST_TEST(render_progress({}, 80).empty());
  stage_view done;
  done.id = 0;
  done.num_tasks = 4;
  done.status = stage_status::complete;
  BOOST_TEST(render_progress({done}, 80).empty());
  stage_view a, b;
  a.id = 2;
  a.num_tasks = 10;
  a.active_tasks = 1;
  b.id = 3;
  b.num_tasks = 5;
  b.complete_tasks = 5;
  auto line = render_progress({b, a}, 80);
  BOOST_TEST(line.size() == 80u, line);
  BOOST_TEST(line.find("[Stage 2:") == 0u, line);  // oldest first
  BOOST_TEST(line.find("[Stage 3:") == 40u, line);
  BOOST_TEST(line.find("(5 + 0) / 5]") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(a_narrow_terminal_still_gets_the_counts) {
  stage_view s;
  s.id = 12345;
  s.num_tasks = 100000;
  s.active_tasks = 1;
  auto line = render_progress({s}, 20);
  BOOST_TEST(line.find("(0 + 1) / 100000]") != std::string::npos, line);
}

BOOST_AUTO_TEST_SUITE_END()
