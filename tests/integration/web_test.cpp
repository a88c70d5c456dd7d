// Integration, web: the master's /json after workers register and a
// cluster-mode driver ran, Spark's REST submission round trip and its 400s,
// and the master page rendered by a real headless Chromium.
#include "tests/integration/cluster.hpp"
#include "tests/integration/inputs.hpp"

#include <boost/test/unit_test.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>
#include <set>
#include <string>

using namespace troupe::itest;
using json = nlohmann::json;

namespace {

/// The "troupe master web UI at URL" / "REST submissions at URL" a master printed.
std::string printed(const std::string& out, const std::string& what) {
  std::regex re{"troupe master " + what + " at (http://127\\.0\\.0\\.1:[0-9]+)"};
  std::smatch m;
  return std::regex_search(out, m, re) ? m[1].str() : std::string{};
}

/// A cluster of two workers whose master serves its UI and the REST protocol.
struct web_cluster {
  cluster c{{"master.webui-port=" + std::to_string(unused_port()), "master.rest-port=" + std::to_string(unused_port())},
            "troupe-itest-web"};
  temp_dir data{"troupe-itest-web-data"};
  std::string text_path = data.write("words.txt", make_text());
  std::string ui, rest;
  std::set<std::string> workers;
  web_cluster() {
    BOOST_TEST_REQUIRE(wait_until([&] { return !printed(c.master().out(), "REST submissions").empty(); }, 10s),
                       c.master().describe());
    ui = printed(c.master().out(), "web UI");
    rest = printed(c.master().out(), "REST submissions");
    BOOST_TEST_REQUIRE(!ui.empty(), c.master().describe());
    c.add_worker(2, "2g");
    c.add_worker(2, "2g");
    auto st = c.await_alive(2);
    BOOST_TEST_REQUIRE(st.alive_workers() == 2, st.text);
    for (auto& [id, state] : st.workers)
      workers.insert(id);
  }

  httplib::Client client(const std::string& url) {
    httplib::Client cl(url);
    cl.set_connection_timeout(5, 0);
    cl.set_read_timeout(20, 0);
    return cl;
  }
  json get_json(const std::string& url, const std::string& path, int expect = 200) {
    auto cl = client(url);
    auto r = cl.Get(path.c_str());
    BOOST_TEST_REQUIRE(static_cast<bool>(r), "GET " << url << path << " failed: " << httplib::to_string(r.error()));
    BOOST_TEST(r->status == expect, "GET " << path << ": " << r->status << " " << r->body);
    return json::parse(r->body, nullptr, false);
  }
  std::pair<int, json> post(const std::string& path, const std::string& body) {
    auto cl = client(rest);
    auto r = cl.Post(path.c_str(), body, "application/json;charset=UTF-8");
    BOOST_TEST_REQUIRE(static_cast<bool>(r), "POST " << path << " failed: " << httplib::to_string(r.error()));
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  /// Runs word_count in cluster mode to its end; its driver id.
  std::string run_cluster_driver() {
    auto sub = troupe_cmd({"submit", "--master", c.url(), "--deploy-mode", "cluster", "--wait", "word_count",
                           text_path}, 60s);
    BOOST_TEST_REQUIRE(sub.exit_code == 0, describe(sub));
    auto driver = submitted_driver(sub.out);
    BOOST_TEST_REQUIRE(!driver.empty(), describe(sub));
    return driver;
  }
};

json create_request(const std::string& app, const std::vector<std::string>& args, json props = json::object()) {
  return {{"action", "CreateSubmissionRequest"}, {"appResource", app}, {"mainClass", app}, {"appArgs", args},
          {"sparkProperties", props}, {"environmentVariables", json::object()}, {"clientSparkVersion", "3.5.0"}};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(web, web_cluster, *boost::unit_test::timeout(150))

BOOST_AUTO_TEST_CASE(json_shows_workers_and_where_a_cluster_mode_driver_ran) {
  auto driver = run_cluster_driver();
  auto j = get_json(ui, "/json");
  BOOST_TEST_REQUIRE(j.is_object());
  BOOST_TEST(j["url"] == c.url());
  BOOST_TEST(j["status"] == "ALIVE");
  BOOST_TEST(j["cores"] == 4);
  BOOST_TEST_REQUIRE(j["workers"].size() == 2u, j.dump(2));
  for (auto& w : j["workers"]) {
    BOOST_TEST(workers.count(w["id"].get<std::string>()) == 1u, w.dump());
    BOOST_TEST(w["state"] == "ALIVE");
    BOOST_TEST(w["cores"] == 2);
    BOOST_TEST(w["memory"] == 2048);
    BOOST_TEST(w["host"] == "127.0.0.1");
    BOOST_TEST(w["lastheartbeat"].get<int64_t>() > 1'600'000'000'000);
    for (auto* key : {"port", "webuiaddress", "coresused", "coresfree", "memoryused", "memoryfree"})
      BOOST_TEST(w.contains(key), key);
  }
  std::string worker_of_driver;
  for (auto& d : j["completeddrivers"])
    if (d["id"] == driver) {
      BOOST_TEST(d["state"] == "FINISHED");
      BOOST_TEST(d["mainclass"] == "word_count");
      worker_of_driver = d["worker"];
    }
  BOOST_TEST_REQUIRE(workers.count(worker_of_driver) == 1u, "driver " << driver << " not on a worker: " << j.dump(2));
  bool found = false;
  for (auto& a : j["completedapps"]) {
    if (a["driver"]["deployMode"] != "cluster")
      continue;
    found = true;
    BOOST_TEST(a["name"] == "word_count");
    BOOST_TEST(a["state"] == "FINISHED");
    BOOST_TEST(a["driver"]["workerId"] == worker_of_driver, a.dump());
    BOOST_TEST(a["driver"]["host"] == "127.0.0.1");
    BOOST_TEST(a["duration"].get<int64_t>() > 0);
    BOOST_TEST(a["memoryperexecutor"].get<int64_t>() > 0);
    for (auto* key : {"id", "starttime", "cores", "submitdate"})
      BOOST_TEST(a.contains(key), key);
  }
  BOOST_TEST(found, j.dump(2));
  // The pages per application and driver answer, the unknown ones 404.
  auto cl = client(ui);
  auto page = cl.Get(("/driver/" + driver + "?logs=1").c_str());
  BOOST_TEST_REQUIRE(static_cast<bool>(page));
  BOOST_TEST(page->status == 200);
  BOOST_TEST(contains(page->body, "<pre id=\"stdout\">"), page->body);
  auto app_id = j["completedapps"][0]["id"].get<std::string>();
  auto app_page = cl.Get(("/app/" + app_id).c_str());
  BOOST_TEST_REQUIRE(static_cast<bool>(app_page));
  BOOST_TEST(app_page->status == 200);
  BOOST_TEST(contains(app_page->body, "Driver runs"), app_page->body);
  auto missing = cl.Get("/app/app-none");
  BOOST_TEST_REQUIRE(static_cast<bool>(missing));
  BOOST_TEST(missing->status == 404);
}

BOOST_AUTO_TEST_CASE(rest_create_status_and_kill_round_trip) {
  // word_count to its end: status follows it to FINISHED on a worker.
  auto [code, created] = post("/v1/submissions/create", create_request("word_count", {text_path},
                                                                      {{"spark.driver.memory", "512m"}}).dump());
  BOOST_TEST_REQUIRE(code == 200, created.dump());
  BOOST_TEST(created["action"] == "CreateSubmissionResponse");
  BOOST_TEST(created["success"] == true);
  auto id = created["submissionId"].get<std::string>();
  BOOST_TEST_REQUIRE(id.rfind("driver-", 0) == 0, created.dump());
  json st;
  BOOST_TEST_REQUIRE(wait_until(
                       [&] {
                         st = get_json(rest, "/v1/submissions/status/" + id);
                         return st["driverState"] == "FINISHED" || st["driverState"] == "FAILED";
                       },
                       60s, 200ms),
                     st.dump());
  BOOST_TEST(st["action"] == "SubmissionStatusResponse");
  BOOST_TEST(st["driverState"] == "FINISHED", st.dump());
  BOOST_TEST(st["success"] == true);
  BOOST_TEST(workers.count(st["workerId"].get<std::string>()) == 1u, st.dump());
  BOOST_TEST(contains(st["workerHostPort"].get<std::string>(), "127.0.0.1:"), st.dump());

  // A long pi: killed while it runs.
  auto [c2, long_run] = post("/v1/submissions/create", create_request("pi", {"3000000000"}).dump());
  BOOST_TEST_REQUIRE(c2 == 200, long_run.dump());
  auto long_id = long_run["submissionId"].get<std::string>();
  BOOST_TEST_REQUIRE(wait_until([&] { return get_json(rest, "/v1/submissions/status/" + long_id)["driverState"] == "RUNNING"; },
                                20s, 100ms));
  auto [kc, killed] = post("/v1/submissions/kill/" + long_id, "");
  BOOST_TEST(kc == 200, killed.dump());
  BOOST_TEST(killed["action"] == "KillSubmissionResponse");
  BOOST_TEST(killed["success"] == true, killed.dump());
  BOOST_TEST(wait_until([&] { return get_json(rest, "/v1/submissions/status/" + long_id)["driverState"] == "KILLED"; },
                        20s, 100ms));
  auto unknown = get_json(rest, "/v1/submissions/status/driver-19700101000000-9999");
  BOOST_TEST(unknown["success"] == false);
  BOOST_TEST(unknown["driverState"] == "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(rest_bad_requests_get_an_error_response_and_400) {
  auto expect_400 = [&](const std::string& body, const std::string& reason) {
    auto [code, r] = post("/v1/submissions/create", body);
    BOOST_TEST(code == 400, body << " -> " << code << " " << r.dump());
    BOOST_TEST(r["action"] == "ErrorResponse", r.dump());
    BOOST_TEST(contains(r.value("message", ""), reason), r.dump());
  };
  expect_400("{\"action\": \"CreateSubmissionRequest\", ", "malformed JSON");
  auto extra = create_request("word_count", {text_path});
  extra["appJar"] = "x.jar";
  expect_400(extra.dump(), "unknown field 'appJar'");
  expect_400(create_request("no_such_app", {}).dump(), "unknown application 'no_such_app'");
  expect_400(create_request("word_count", {}, {{"spark.driver.memory", "much"}}).dump(), "driver.memory");
  expect_400(std::string(4096, '\x01'), "malformed");
  auto [kc, k] = post("/v1/submissions/kill/not-a-driver", "");
  BOOST_TEST(kc == 400, k.dump());
  // The master is still up and answering.
  BOOST_TEST(get_json(ui, "/json")["workers"].size() == 2u);
  BOOST_TEST(!c.master().poll().has_value(), "the master exited");
}

BOOST_AUTO_TEST_CASE(headless_chromium_shows_every_worker_and_the_drivers_worker) {
  std::string chromium = "/usr/bin/chromium";
  BOOST_TEST_REQUIRE(std::filesystem::exists(chromium),
                     "chromium is not installed: run scripts/setup (Debian package chromium)");
  auto driver = run_cluster_driver();
  auto d = driver_status(c.url(), driver);
  BOOST_TEST_REQUIRE(workers.count(d.worker) == 1u, describe(d.run));
  temp_dir profile{"troupe-itest-web-chromium"};
  std::vector<std::string> base{chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--disable-dev-shm-usage", "--user-data-dir=" + profile.path().string()};
  auto dump_args = base;
  dump_args.push_back("--dump-dom");
  dump_args.push_back(ui + "/");
  auto dom = run_command(dump_args, 60s, {owner_marker(), "HOME=" + profile.path().string()});
  BOOST_TEST_REQUIRE(!dom.timed_out, "chromium did not finish within 60 s: " << describe(dom));
  BOOST_TEST_REQUIRE(contains(dom.out, "<table id=\"workers\""), describe(dom));
  for (auto& w : workers)
    BOOST_TEST(contains(dom.out, w), "worker " << w << " is not on the rendered page");
  BOOST_TEST(contains(dom.out, "cluster mode, driver " + driver + " on worker " + d.worker),
             "the page does not show that " << driver << " ran on " << d.worker);
  auto shot = (std::filesystem::path(built_troupe_binary()).parent_path() / "master-ui.png").string();
  std::filesystem::remove(shot);
  auto shot_args = base;
  shot_args.push_back("--screenshot=" + shot);
  shot_args.push_back("--window-size=1280,900");
  shot_args.push_back(ui + "/");
  auto s = run_command(shot_args, 60s, {owner_marker(), "HOME=" + profile.path().string()});
  BOOST_TEST(!s.timed_out, describe(s));
  BOOST_TEST(std::filesystem::exists(shot), "no screenshot at " << shot << ": " << describe(s));
  if (std::filesystem::exists(shot))
    BOOST_TEST(std::filesystem::file_size(shot) > 10'000u);
  BOOST_TEST_MESSAGE("master page screenshot: " << shot);
}

BOOST_AUTO_TEST_SUITE_END()
