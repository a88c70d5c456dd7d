// The master's web UI rendered from fabricated snapshots: Spark's /json field
// names, where each driver runs (client, cluster, local), and the HTML pages.

#include "runtime/master_view.hpp"

#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

using namespace troupe;
using namespace troupe::view;
using json = nlohmann::json;

namespace {

master_snapshot sample() {
  master_snapshot s;
  s.url = "troupe://10.0.0.1:7077";
  s.state = "alive";
  s.now_ms = 1'700'000'060'000;
  s.workers.push_back({"worker-a-1", "10.0.0.2", 4001, "alive", 4, 3, 4096, 2048, 1'700'000'059'500});
  s.workers.push_back({"worker-b-2", "10.0.0.3", 4002, "dead", 2, 0, 1024, 0, 1'700'000'000'000});
  app_row client;
  client.id = "app-1";
  client.name = "word_count";
  client.state = "running";
  client.cores = 3;
  client.executor_memory_mb = 512;
  client.start_ms = 1'700'000'000'000;
  client.submit_host = "laptop";
  client.driver_host = "10.0.0.9";
  client.driver_port = 5000;
  client.executors.push_back({"0", "worker-a-1", "10.0.0.2", 3, "running"});
  s.apps.push_back(client);
  app_row cluster;
  cluster.id = "app-2";
  cluster.name = "sort<b>";
  cluster.state = "finished";
  cluster.finished = true;
  cluster.cores = 1;
  cluster.executor_memory_mb = 1024;
  cluster.start_ms = 1'700'000'010'000;
  cluster.end_ms = 1'700'000'020'000;
  cluster.driver_id = "driver-7";
  cluster.driver_host = "10.0.0.3";
  cluster.ui_url = "http://10.0.0.3:4040";
  cluster.ran_on = {"worker-a-1", "worker-b-2"};  // its executors have ended
  s.apps.push_back(cluster);
  s.drivers.push_back({"driver-7", "sort", "finished", true, "worker-b-2", "10.0.0.3", 4002, 1'700'000'009'000,
                       1'700'000'021'000, 1, 256, false, 0, ""});
  s.drivers.push_back({"driver-8", "word_count", "running", false, "worker-a-1", "10.0.0.2", 4001,
                       1'700'000'050'000, 0, 2, 512, true, 1, ""});
  return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(master_view)

BOOST_AUTO_TEST_CASE(json_has_sparks_fields_and_totals_of_alive_workers) {
  auto j = json::parse(render_json(sample()));
  for (auto* key : {"url", "workers", "cores", "coresused", "memory", "memoryused", "activeapps", "completedapps",
                    "activedrivers", "completeddrivers", "status"})
    BOOST_TEST(j.contains(key), key);
  BOOST_TEST(j["url"] == "troupe://10.0.0.1:7077");
  BOOST_TEST(j["status"] == "ALIVE");
  BOOST_TEST(j["cores"] == 4);  // the dead worker's cores do not count
  BOOST_TEST(j["coresused"] == 3);
  BOOST_TEST(j["memory"] == 4096);
  BOOST_TEST(j["memoryused"] == 2048);
  auto& w = j["workers"][0];
  for (auto* key : {"id", "host", "port", "webuiaddress", "cores", "coresused", "coresfree", "memory", "memoryused",
                    "memoryfree", "state", "lastheartbeat"})
    BOOST_TEST(w.contains(key), key);
  BOOST_TEST(w["id"] == "worker-a-1");
  BOOST_TEST(w["coresfree"] == 1);
  BOOST_TEST(w["memoryfree"] == 2048);
  BOOST_TEST(w["state"] == "ALIVE");
  BOOST_TEST(w["lastheartbeat"] == 1'700'000'059'500);
  BOOST_TEST(j["workers"][1]["state"] == "DEAD");
}

BOOST_AUTO_TEST_CASE(json_apps_carry_duration_memory_and_where_the_driver_runs) {
  auto j = json::parse(render_json(sample()));
  BOOST_TEST(j["activeapps"].size() == 1u);
  BOOST_TEST(j["completedapps"].size() == 1u);
  auto& a = j["activeapps"][0];
  BOOST_TEST(a["id"] == "app-1");
  BOOST_TEST(a["memoryperexecutor"] == 512);
  BOOST_TEST(a["duration"] == 60'000);  // running: up to the snapshot
  BOOST_TEST(a["state"] == "RUNNING");
  BOOST_TEST(a["driver"]["deployMode"] == "client");
  BOOST_TEST(a["driver"]["host"] == "laptop");
  BOOST_TEST(a["driver"]["workerId"] == "");
  auto& c = j["completedapps"][0];
  BOOST_TEST(c["duration"] == 10'000);  // finished: start to end
  BOOST_TEST(c["driver"]["deployMode"] == "cluster");
  BOOST_TEST(c["driver"]["workerId"] == "worker-b-2");
  BOOST_TEST(c["driver"]["host"] == "10.0.0.3");
  BOOST_TEST(c["uiurl"] == "http://10.0.0.3:4040");
  BOOST_TEST(c["ranon"].size() == 2u);
  BOOST_TEST(c["ranon"][1] == "worker-b-2");
  BOOST_TEST(j["activedrivers"].size() == 1u);
  BOOST_TEST(j["activedrivers"][0]["id"] == "driver-8");
  BOOST_TEST(j["activedrivers"][0]["worker"] == "worker-a-1");
  BOOST_TEST(j["activedrivers"][0]["memory"] == 512);
  BOOST_TEST(j["completeddrivers"][0]["id"] == "driver-7");
}

BOOST_AUTO_TEST_CASE(local_mode_drivers_run_in_process) {
  auto s = sample();
  s.url = "local";
  auto p = place_of(s.apps[0], s);
  BOOST_TEST(p.deploy_mode == "local");
  BOOST_TEST(p.text.find("in-process") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_empty_cluster_renders_empty_arrays) {
  master_snapshot s;
  s.url = "troupe://h:1";
  s.state = "recovering";
  auto j = json::parse(render_json(s));
  BOOST_TEST(j["workers"].is_array());
  BOOST_TEST(j["activeapps"].is_array());
  BOOST_TEST(j["status"] == "RECOVERING");
  BOOST_TEST(render_master_html(s, 5).find("Workers (0)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(master_page_shows_workers_apps_drivers_and_escapes) {
  auto html = render_master_html(sample(), 5);
  BOOST_TEST(html.find("http-equiv=\"refresh\" content=\"5\"") != std::string::npos);
  BOOST_TEST(html.find("worker-a-1") != std::string::npos);
  BOOST_TEST(html.find("worker-b-2") != std::string::npos);
  BOOST_TEST(html.find("10.0.0.2:4001") != std::string::npos);
  BOOST_TEST(html.find("3 / 4 used") != std::string::npos);
  BOOST_TEST(html.find("500 ms ago") != std::string::npos);
  BOOST_TEST(html.find("client mode, in the submitting process on 10.0.0.9:5000") != std::string::npos);
  BOOST_TEST(html.find("cluster mode, driver driver-7 on worker worker-b-2") != std::string::npos);
  BOOST_TEST(html.find("href=\"/app/app-1\"") != std::string::npos);
  BOOST_TEST(html.find("href=\"/driver/driver-8\"") != std::string::npos);
  BOOST_TEST(html.find("Running applications (1)") != std::string::npos);
  BOOST_TEST(html.find("Completed drivers (1)") != std::string::npos);
  BOOST_TEST(html.find("ran on worker-a-1, worker-b-2") != std::string::npos);  // a finished app's executors
  BOOST_TEST(html.find("sort<b>") == std::string::npos);
  BOOST_TEST(html.find("sort&lt;b&gt;") != std::string::npos);
  BOOST_TEST(render_master_html(sample(), 0).find("refresh") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(app_page_links_the_driver_ui_and_lists_executors) {
  auto s = sample();
  auto html = render_app_html(s, "app-2", 5);
  BOOST_TEST(html.find("href=\"http://10.0.0.3:4040\"") != std::string::npos);
  BOOST_TEST(html.find("href=\"/driver/driver-7\"") != std::string::npos);
  BOOST_TEST(html.find("10.0 s") != std::string::npos);
  BOOST_TEST(html.find("Executors ran on:</b> worker-a-1, worker-b-2") != std::string::npos);
  auto running = render_app_html(s, "app-1", 5);
  BOOST_TEST(running.find("worker-a-1") != std::string::npos);
  BOOST_TEST(running.find("512 MiB") != std::string::npos);
  BOOST_TEST(render_app_html(s, "app-none", 5).empty());
}

BOOST_AUTO_TEST_CASE(driver_page_offers_then_shows_its_output) {
  auto s = sample();
  auto offer = render_driver_html(s, "driver-8", nullptr, 5);
  BOOST_TEST(offer.find("?logs=1") != std::string::npos);
  BOOST_TEST(offer.find("worker-a-1 (10.0.0.2:4001)") != std::string::npos);
  driver_output out{true, "hello <world>\n", "warn\n", ""};
  auto shown = render_driver_html(s, "driver-8", &out, 0);
  BOOST_TEST(shown.find("hello &lt;world&gt;") != std::string::npos);
  BOOST_TEST(shown.find("<pre id=\"stderr\">warn") != std::string::npos);
  driver_output none{false, "", "", "the worker is gone"};
  BOOST_TEST(render_driver_html(s, "driver-8", &none, 0).find("the worker is gone") != std::string::npos);
  BOOST_TEST(render_driver_html(s, "driver-x", nullptr, 5).empty());
}

BOOST_AUTO_TEST_CASE(durations_and_times_read_well) {
  BOOST_TEST(format_duration(350) == "350 ms");
  BOOST_TEST(format_duration(12'340) == "12.3 s");
  BOOST_TEST(format_duration(252'000) == "4.2 min");
  BOOST_TEST(format_duration(5'400'000) == "1.5 h");
  BOOST_TEST(format_time(0) == "-");
  BOOST_TEST(format_time(1'700'000'000'000) == "2023-11-14 22:13:20 UTC");
}

BOOST_AUTO_TEST_SUITE_END()
