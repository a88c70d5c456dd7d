// The driver UI's renderers and routes: Spark's monitoring API field names
// from a snapshot, the HTML pages, and the routes over a snapshot source.

#include "runtime/driver_view.hpp"
#include "runtime/http_server.hpp"

#include <boost/test/unit_test.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

using namespace troupe;
using namespace troupe::status;
using nlohmann::json;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

snapshot sample() {
  snapshot s;
  s.app.id = "app-20261203-0001";
  s.app.name = "word<count>";
  s.app.start_ms = 1'700'000'000'000;
  s.app.environment = {{"master", "local[2]"}};
  job_view j;
  j.id = 3;
  j.name = "collect";
  j.stage_ids = {4, 5};
  j.submission_ms = s.app.start_ms + 10;
  j.num_tasks = 40;
  j.active_tasks = 2;
  j.completed_tasks = 12;
  j.failed_tasks = 1;
  s.jobs.push_back(j);
  stage_view st;
  st.id = 5;
  st.name = "result stage 5";
  st.num_tasks = 20;
  st.active_tasks = 2;
  st.complete_tasks = 7;
  st.failed_tasks = 1;
  st.shuffle_read_bytes = 2048;
  st.shuffle_read_records = 64;
  st.shuffle_remote_bytes_read = 1500;
  st.shuffle_local_bytes_read = 548;
  st.shuffle_write_bytes = 0;
  st.input_bytes = 3 << 20;
  st.input_records = 1000;
  st.output_bytes = 512;
  st.output_records = 17;
  st.executor_run_time_ms = 900;
  st.executor_run_time_us = 900'400;
  st.submission_ms = j.submission_ms;
  st.job_ids = {3};
  s.stages.push_back(st);
  executor_view x;
  x.id = "1";
  x.host_port = "127.0.0.1:40001";
  x.total_cores = 2;
  x.active_tasks = 2;
  x.completed_tasks = 19;
  x.failed_tasks = 1;
  x.input_bytes = 3 << 20;
  x.shuffle_read_bytes = 2048;
  x.shuffle_write_bytes = 4096;
  s.executors.push_back(x);
  return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(driver_view)

BOOST_AUTO_TEST_CASE(spark_time_is_sparks_date_form) {
  BOOST_TEST(spark_time(1'700'000'000'123) == "2023-11-14T22:13:20.123GMT");
  BOOST_TEST(spark_time(0).empty());
}

BOOST_AUTO_TEST_CASE(jobs_stages_and_executors_have_sparks_field_names) {
  auto s = sample();
  auto jobs = json::parse(jobs_json(s));
  BOOST_REQUIRE(jobs.is_array());
  auto& j = jobs.at(0);
  for (auto key : {"jobId", "name", "status", "numTasks", "numActiveTasks", "numCompletedTasks", "numFailedTasks",
                   "stageIds", "submissionTime"})
    BOOST_TEST(j.contains(key), key);
  BOOST_TEST(!j.contains("completionTime"));  // still running
  BOOST_TEST(j["jobId"] == 3);
  BOOST_TEST(j["status"] == "RUNNING");
  BOOST_TEST(j["numCompletedTasks"] == 12);
  BOOST_TEST(j["stageIds"] == json::array({4, 5}));
  auto st = json::parse(stages_json(s)).at(0);
  for (auto key : {"stageId", "attemptId", "status", "numTasks", "numActiveTasks", "numCompleteTasks",
                   "numFailedTasks", "shuffleReadBytes", "shuffleWriteBytes", "inputBytes", "outputBytes",
                   "submissionTime", "executorRunTime"})
    BOOST_TEST(st.contains(key), key);
  BOOST_TEST(st["shuffleReadBytes"] == 2048);
  BOOST_TEST(st["shuffleReadRecords"] == 64);
  BOOST_TEST(st["shuffleRemoteBytesRead"] == 1500);
  BOOST_TEST(st["shuffleLocalBytesRead"] == 548);
  BOOST_TEST(st["shuffleWriteBytes"] == 0);
  BOOST_TEST(st["shuffleWriteRecords"] == 0);
  BOOST_TEST(st["inputBytes"] == 3 << 20);
  BOOST_TEST(st["inputRecords"] == 1000);
  BOOST_TEST(st["outputBytes"] == 512);
  BOOST_TEST(st["outputRecords"] == 17);
  BOOST_TEST(st["executorRunTime"] == 900);
  BOOST_TEST(st["status"] == "ACTIVE");
  BOOST_TEST(json::parse(stage_json(s, 5)).size() == 1u);
  BOOST_TEST(json::parse(stage_json(s, 6)).empty());
  auto x = json::parse(executors_json(s)).at(0);
  for (auto key : {"id", "hostPort", "totalCores", "activeTasks", "completedTasks", "failedTasks", "isActive"})
    BOOST_TEST(x.contains(key), key);
  BOOST_TEST(x["hostPort"] == "127.0.0.1:40001");
  BOOST_TEST(x["totalInputBytes"] == 3 << 20);
  BOOST_TEST(x["totalShuffleRead"] == 2048);
  BOOST_TEST(x["totalShuffleWrite"] == 4096);
  auto apps = json::parse(applications_json({s}));
  BOOST_TEST(apps.at(0)["id"] == "app-20261203-0001");
  BOOST_TEST(apps.at(0)["attempts"].at(0)["completed"] == false);
}

BOOST_AUTO_TEST_CASE(pages_show_progress_counts_and_escape_names) {
  auto s = sample();
  auto jobs = jobs_html(s, "");
  BOOST_TEST(contains(jobs, "class=\"progress\""));
  BOOST_TEST(contains(jobs, "12/40 (2 running) (1 failed)"), jobs);
  BOOST_TEST(contains(jobs, "width:30%"), jobs);
  BOOST_TEST(contains(jobs, "word&lt;count&gt;"));
  BOOST_TEST(!contains(jobs, "word<count>"));
  BOOST_TEST(contains(jobs, "http-equiv=\"refresh\""));  // a running app refreshes itself
  auto plain = stages_html(s, "");
  BOOST_TEST(contains(plain, "<td class=\"input\">3.0 MiB / 1000 records</td>"), plain);
  BOOST_TEST(contains(plain, "<td class=\"output\">512 B / 17 records</td>"), plain);
  BOOST_TEST(contains(plain, "<td class=\"shuffle-read\">2.0 KiB / 64 records</td>"), plain);
  BOOST_TEST(contains(plain, "<td class=\"shuffle-write\"></td>"), plain);  // nothing written
  BOOST_TEST(contains(plain, "<td>900 ms</td>"), plain);  // run time
  auto stages = stages_html(s, "/history/app-1");
  BOOST_TEST(contains(stages, "2.0 KiB"), stages);
  BOOST_TEST(contains(stages, "href=\"/history/app-1/jobs/\""));
  auto execs = executors_html(s, "");
  BOOST_TEST(contains(execs, "127.0.0.1:40001"));
  BOOST_TEST(contains(environment_html(s, ""), "local[2]"));
  s.app.completed = true;
  s.app.end_ms = s.app.start_ms + 1;
  BOOST_TEST(!contains(jobs_html(s, ""), "http-equiv=\"refresh\""));
  auto history = history_html({s}, {"x:3: not JSON"});
  BOOST_TEST(contains(history, "href=\"/history/app-20261203-0001/jobs/\""));
  BOOST_TEST(contains(history, "x:3: not JSON"));
}

BOOST_AUTO_TEST_CASE(routes_answer_the_api_and_pages_and_404_unknown_ids) {
  snapshot_source src;
  src.all = [] { return std::vector<snapshot>{sample()}; };
  src.one = [](const std::string& id, snapshot& out) {
    if (id != sample().app.id)
      return false;
    out = sample();
    return true;
  };
  http::server srv;
  add_status_routes(srv, src, false);
  http::server_options o;
  o.port = 0;
  std::string error;
  BOOST_REQUIRE_MESSAGE(srv.start(o, error), error);
  httplib::Client c("127.0.0.1", srv.port());
  auto base = "/api/v1/applications/" + sample().app.id;
  auto apps = c.Get("/api/v1/applications");
  BOOST_REQUIRE(apps);
  BOOST_TEST(json::parse(apps->body).at(0)["name"] == "word<count>");
  auto job = c.Get(base + "/jobs/3");
  BOOST_REQUIRE(job);
  BOOST_TEST(job->status == 200);
  BOOST_TEST(json::parse(job->body)["numTasks"] == 40);
  BOOST_TEST(c.Get(base + "/jobs/4")->status == 404);
  BOOST_TEST(c.Get(base + "/jobs/x")->status == 400);
  BOOST_TEST(c.Get(base + "/stages/5")->status == 200);
  BOOST_TEST(c.Get(base + "/executors")->status == 200);
  BOOST_TEST(c.Get("/api/v1/applications/app-nope/jobs")->status == 404);
  auto root = c.Get("/");
  BOOST_TEST(root->status == 302);
  BOOST_TEST(root->get_header_value("Location") == "/jobs/");
  for (auto page : {"/jobs/", "/stages/", "/executors/", "/environment/"}) {
    auto r = c.Get(page);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 200, page);
    BOOST_TEST(contains(r->get_header_value("Content-Type"), "text/html"), page);
  }
  srv.stop();
}

BOOST_AUTO_TEST_SUITE_END()
