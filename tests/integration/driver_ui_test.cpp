// Integration, the driver's UI and the event log: a real `troupe submit`
// serves /api/v1 and its pages while a job runs; its event log is read back
// by `troupe history`, and `troupe history-server` serves the finished app.
// Real processes on 127.0.0.1, stopped by their pid (tests/support).
#include "tests/integration/cluster.hpp"

#include <boost/test/unit_test.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <string>

using namespace troupe::itest;
using nlohmann::json;

namespace {

/// The URL after `prefix` in `text` ("" if none yet).
std::string url_after(const std::string& text, const std::string& prefix) {
  std::regex re{prefix + R"( (https?://127\.0\.0\.1:(\d+)))"};
  std::smatch m;
  return std::regex_search(text, m, re) ? m[1].str() : std::string{};
}

/// GET path from 127.0.0.1:port; nullopt when it did not answer 200 with JSON.
std::optional<json> get_json(uint16_t port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(5);
  auto r = c.Get(path);
  if (!r || r->status != 200)
    return std::nullopt;
  try {
    return json::parse(r->body);
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

int get_status(uint16_t port, const std::string& path, std::string* body = nullptr) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(5);
  auto r = c.Get(path);
  if (!r)
    return -1;
  if (body != nullptr)
    *body = r->body;
  return r->status;
}

} // namespace

BOOST_AUTO_TEST_SUITE(driver_ui)

BOOST_AUTO_TEST_CASE(the_api_during_a_job_then_history_and_the_history_server_after_it) {
  temp_dir dir("troupe-itest-driver-ui");
  auto events = dir / "events";
  auto ui_port = unused_port();
  // 24 map and 6 reduce tasks of 250 ms on 2 cores: about 4 s of job.
  background_process submit({troupe_binary(), "submit", "--master", "local[2]", "--conf",
                             "driver.ui-port=" + std::to_string(ui_port), "--conf", "eventlog.dir=" + events,
                             "fault_demo", "shuffle", "2", "250"},
                            dir.path(), "submit");
  std::string url;
  BOOST_REQUIRE_MESSAGE(wait_until([&] { return !(url = url_after(submit.err(), "driver UI at")).empty() || submit.poll(); }, 30s),
                        submit.describe());
  BOOST_REQUIRE_MESSAGE(!url.empty(), submit.describe());
  auto port = port_of(url);
  BOOST_TEST(port >= ui_port);  // the port asked for, or the next free one

  // -- while it runs ---------------------------------------------------------------
  std::string app;
  BOOST_REQUIRE_MESSAGE(wait_until(
                          [&] {
                            auto apps = get_json(port, "/api/v1/applications");
                            if (apps && apps->is_array() && !apps->empty())
                              app = apps->at(0).value("id", "");
                            return !app.empty();
                          },
                          20s),
                        submit.describe());
  auto base = "/api/v1/applications/" + app;
  json running_job;
  bool saw_running = wait_until(
    [&] {
      auto jobs = get_json(port, base + "/jobs");
      if (!jobs || jobs->empty())
        return false;
      running_job = jobs->at(0);
      return running_job["status"] == "RUNNING" && running_job["numActiveTasks"].get<int>() > 0;
    },
    20s, 20ms);
  BOOST_REQUIRE_MESSAGE(saw_running, "no running job seen: " << running_job.dump() << "\n" << submit.describe());
  BOOST_TEST(running_job["numTasks"].get<int>() >= 24, running_job.dump());
  BOOST_TEST(!running_job["stageIds"].empty());
  auto id = running_job["jobId"].get<int>();
  auto one = get_json(port, base + "/jobs/" + std::to_string(id));
  BOOST_REQUIRE(one);
  BOOST_TEST((*one)["jobId"] == id);
  auto stages = get_json(port, base + "/stages");
  BOOST_REQUIRE(stages);
  BOOST_REQUIRE(!stages->empty());
  auto sid = stages->at(0)["stageId"].get<int>();
  BOOST_TEST(stages->at(0).contains("numCompleteTasks"));
  BOOST_TEST(get_json(port, base + "/stages/" + std::to_string(sid)).has_value());
  auto execs = get_json(port, base + "/executors");
  BOOST_REQUIRE(execs);
  BOOST_REQUIRE(!execs->empty());
  BOOST_TEST(execs->at(0)["totalCores"].get<int>() == 2, execs->dump());
  BOOST_TEST(execs->at(0)["hostPort"].get<std::string>().rfind("127.0.0.1:", 0) == 0, execs->dump());
  std::string page;
  BOOST_TEST(get_status(port, "/jobs/", &page) == 200);
  BOOST_TEST(page.find("class=\"progress\"") != std::string::npos);
  BOOST_TEST(get_status(port, "/stages/") == 200);
  BOOST_TEST(get_status(port, "/executors/") == 200);
  BOOST_TEST(get_status(port, "/environment/", &page) == 200);
  BOOST_TEST(page.find("eventlog.dir") != std::string::npos);

  // -- after it: the UI goes with the driver, the event log stays --------------------
  BOOST_REQUIRE_MESSAGE(submit.wait_exit(60s).value_or(-1) == 0, submit.describe());
  BOOST_TEST(submit.out().find("groups=") != std::string::npos, submit.describe());
  BOOST_TEST(get_status(port, "/api/v1/applications") == -1);
  BOOST_TEST(std::filesystem::is_regular_file(events + "/" + app));
  BOOST_TEST(!std::filesystem::exists(events + "/" + app + ".inprogress"));

  auto list = troupe_cmd({"history", events});
  BOOST_TEST(list.exit_code == 0, list.out << list.err);
  BOOST_TEST(list.out.find(app) != std::string::npos, list.out);
  BOOST_TEST(list.out.find("fault_demo") != std::string::npos, list.out);
  BOOST_TEST(list.out.find("FINISHED") != std::string::npos, list.out);
  auto detail = troupe_cmd({"history", events, app});
  BOOST_TEST(detail.exit_code == 0, detail.out << detail.err);
  BOOST_TEST(detail.out.find("SUCCEEDED") != std::string::npos, detail.out);
  BOOST_TEST(detail.out.find("shuffle map stage") != std::string::npos, detail.out);
  BOOST_TEST(detail.out.find("24/24") != std::string::npos, detail.out);  // the map stage's tasks
  auto missing = troupe_cmd({"history", events, "app-nope"});
  BOOST_TEST(missing.exit_code == 1);
  BOOST_TEST(missing.err.find("app-nope") != std::string::npos, missing.err);

  // -- the history server --------------------------------------------------------------
  background_process history({troupe_binary(), "history-server", "--dir", events, "--port",
                              std::to_string(unused_port())},
                             dir.path(), "history");
  std::string hurl;
  BOOST_REQUIRE_MESSAGE(
    wait_until([&] { return !(hurl = url_after(history.out(), "history server at")).empty() || history.poll(); }, 20s),
    history.describe());
  BOOST_REQUIRE_MESSAGE(!hurl.empty(), history.describe());
  auto hport = port_of(hurl);
  auto apps = get_json(hport, "/api/v1/applications");
  BOOST_REQUIRE(apps);
  BOOST_REQUIRE_EQUAL(apps->size(), 1u);
  BOOST_TEST(apps->at(0)["id"] == app);
  BOOST_TEST(apps->at(0)["attempts"].at(0)["completed"] == true);
  auto hjobs = get_json(hport, base + "/jobs");
  BOOST_REQUIRE(hjobs);
  BOOST_TEST(hjobs->at(0)["status"] == "SUCCEEDED", hjobs->dump());
  BOOST_TEST(hjobs->at(0)["numCompletedTasks"] == hjobs->at(0)["numTasks"], hjobs->dump());
  BOOST_TEST(get_status(hport, "/", &page) == 200);
  BOOST_TEST(page.find(app) != std::string::npos);
  BOOST_TEST(get_status(hport, "/history/" + app + "/stages/") == 200);
  BOOST_TEST(get_status(hport, "/api/v1/applications/app-nope/jobs") == 404);

  // A damaged log is named with its line; the good one is still listed and served.
  {
    std::ofstream bad(events + "/app-damaged");
    bad << "{\"Event\":\"SparkListenerApplicationStart\",\"App ID\":\"app-damaged\"}\n{oops\n";
  }
  auto damaged = troupe_cmd({"history", events});
  BOOST_TEST(damaged.exit_code == 1);
  BOOST_TEST(damaged.err.find("app-damaged:2:") != std::string::npos, damaged.err);
  BOOST_TEST(damaged.out.find(app) != std::string::npos, damaged.out);
  BOOST_TEST(get_json(hport, "/api/v1/applications").value_or(json::array()).size() == 1u);
  BOOST_TEST(!history.poll().has_value(), history.describe());  // still up
  history.stop();
}

namespace {

/// The sum of `key` over the stages of `stages` (an /api/v1 stages array).
int64_t stages_sum(const json& stages, const char* key) {
  int64_t n = 0;
  for (auto& st : stages)
    n += st.at(key).get<int64_t>();
  return n;
}

/// The stage of `stages` whose name starts with `prefix`.
json stage_named(const json& stages, const std::string& prefix) {
  for (auto& st : stages)
    if (st.at("name").get<std::string>().rfind(prefix, 0) == 0)
      return st;
  return json::object();
}

/// Bytes of the files under `dir` whose names start with `prefix`.
int64_t bytes_of(const std::string& dir, const std::string& prefix) {
  int64_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0)
      n += static_cast<int64_t>(e.file_size());
  return n;
}

/// Runs word_count INPUT OUT on `master` with an event log in `events`,
/// then serves it with the history server and returns the app's /api/v1
/// stages and executors.
std::pair<json, json> word_count_metrics(const temp_dir& dir, const std::string& master, const std::string& input,
                                         const std::string& out, const std::string& events) {
  auto r = troupe_cmd({"submit", "--master", master, "--conf", "driver.ui-port=0", "--conf", "master.webui-port=0",
                       "--conf", "eventlog.dir=" + events, "--conf", "text-file.split-size=16k", "word_count", input,
                       out},
                      120s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  background_process history({troupe_binary(), "history-server", "--dir", events, "--port",
                              std::to_string(unused_port())},
                             dir.path(), "history");
  std::string hurl;
  BOOST_REQUIRE_MESSAGE(
    wait_until([&] { return !(hurl = url_after(history.out(), "history server at")).empty() || history.poll(); }, 20s),
    history.describe());
  BOOST_REQUIRE_MESSAGE(!hurl.empty(), history.describe());
  auto hport = port_of(hurl);
  auto apps = get_json(hport, "/api/v1/applications");
  BOOST_REQUIRE(apps);
  BOOST_REQUIRE_EQUAL(apps->size(), 1u);
  auto base = "/api/v1/applications/" + apps->at(0).at("id").get<std::string>();
  auto stages = get_json(hport, base + "/stages");
  auto execs = get_json(hport, base + "/executors");
  history.stop();
  BOOST_REQUIRE(stages);
  BOOST_REQUIRE(execs);
  return {*stages, *execs};
}

} // namespace

// Every line has a word of its own and one word all share: a map task writes
// one row per line of its split plus one for the shared word, so the shuffle's
// records are the lines plus the map tasks, and the saved words the lines plus one.
BOOST_AUTO_TEST_CASE(stage_metrics_count_what_a_word_count_read_shuffled_and_saved) {
  temp_dir dir("troupe-itest-metrics");
  const int lines = 5000;
  std::string text;
  for (int i = 0; i < lines; ++i)
    text += "word" + std::to_string(i) + " common\n";
  auto input = dir.write("in.txt", text);
  auto size = static_cast<int64_t>(text.size());
  for (std::string master : {"local[2]", "local-cluster[2,1,512]"}) {
    BOOST_TEST_CONTEXT(master) {
      auto out = dir / ("out-" + std::to_string(master.size()));
      auto events = dir / ("events-" + std::to_string(master.size()));
      auto [stages, execs] = word_count_metrics(dir, master, input, out, events);
      BOOST_REQUIRE_EQUAL(stages.size(), 2u);
      auto map = stage_named(stages, "shuffle map stage");
      auto result = stage_named(stages, "result stage");
      BOOST_REQUIRE_MESSAGE(!map.empty() && !result.empty(), stages.dump());
      auto map_tasks = map.at("numTasks").get<int64_t>();
      BOOST_TEST(map_tasks >= 4, map.dump());  // 16 KiB splits of a 78 KiB file
      BOOST_TEST(map.at("inputRecords") == lines, map.dump());
      BOOST_TEST(map.at("inputBytes") == size, map.dump());
      BOOST_TEST(map.at("shuffleWriteRecords") == lines + map_tasks, map.dump());
      BOOST_TEST(map.at("shuffleWriteBytes").get<int64_t>() > 0, map.dump());
      BOOST_TEST(map.at("shuffleReadRecords") == 0, map.dump());
      BOOST_TEST(map.at("outputRecords") == 0, map.dump());
      BOOST_TEST(result.at("inputRecords") == 0, result.dump());
      BOOST_TEST(result.at("shuffleReadRecords") == map.at("shuffleWriteRecords"), result.dump());
      BOOST_TEST(result.at("shuffleReadBytes").get<int64_t>()
                   == result.at("shuffleLocalBytesRead").get<int64_t>()
                        + result.at("shuffleRemoteBytesRead").get<int64_t>(),
                 result.dump());
      BOOST_TEST(result.at("outputRecords") == lines + 1, result.dump());
      BOOST_TEST(result.at("outputBytes") == bytes_of(out, "part-"), result.dump());
      BOOST_TEST(result.at("resultSize").get<int64_t>() > 0, result.dump());
      BOOST_TEST(stages_sum(stages, "executorRunTime") >= 0);
      BOOST_TEST(stages_sum(stages, "executorCpuTime") > 0, stages.dump());
      // Every executor's input and shuffle totals add up to the stages'.
      int64_t in = 0, read = 0, written = 0;
      for (auto& x : execs) {
        in += x.at("totalInputBytes").get<int64_t>();
        read += x.at("totalShuffleRead").get<int64_t>();
        written += x.at("totalShuffleWrite").get<int64_t>();
      }
      BOOST_TEST(in == size, execs.dump());
      BOOST_TEST(read == result.at("shuffleReadBytes").get<int64_t>(), execs.dump());
      BOOST_TEST(written == map.at("shuffleWriteBytes").get<int64_t>(), execs.dump());
      if (result.at("shuffleRemoteBlocksFetched") == 0) {
        // Every block read in the process that wrote it: read as large as written.
        BOOST_TEST(result.at("shuffleRemoteBytesRead") == 0, result.dump());
        BOOST_TEST(result.at("shuffleReadBytes") == map.at("shuffleWriteBytes"), result.dump());
      } else {
        // Blocks of the other executor process came encoded; the local ones as written.
        BOOST_TEST(master != "local[2]", result.dump());  // one executor process there
        BOOST_TEST(result.at("shuffleRemoteBytesRead").get<int64_t>() > 0, result.dump());
        BOOST_TEST(result.at("shuffleLocalBytesRead").get<int64_t>() < map.at("shuffleWriteBytes").get<int64_t>(),
                   result.dump());
      }
      // `troupe history` prints the same counts.
      auto app = std::filesystem::directory_iterator(events)->path().filename().string();
      auto detail = troupe_cmd({"history", events, app});
      BOOST_TEST(detail.exit_code == 0, detail.err);
      BOOST_TEST(detail.out.find(" " + std::to_string(lines) + " ") != std::string::npos, detail.out);
      BOOST_TEST(detail.out.find("/" + std::to_string(lines + map_tasks)) != std::string::npos, detail.out);
    }
  }
}

BOOST_AUTO_TEST_CASE(driver_ui_port_zero_serves_nothing) {
  temp_dir dir("troupe-itest-driver-ui");
  auto r = troupe_cmd({"submit", "--master", "local[1]", "--conf", "driver.ui-port=0", "pi", "2"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("driver UI at") == std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE_END()
