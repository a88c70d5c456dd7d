// Spark's REST submission protocol as plain code: what a CreateSubmissionRequest
// becomes, what is refused (and why), and the responses' field names.

#include "runtime/rest_protocol.hpp"

#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

using namespace troupe;
using json = nlohmann::json;

namespace {

bool known(const std::string& app) { return app == "word_count" || app == "sort"; }

std::string create_body(json props = json::object(), json extra = json::object()) {
  json j = {{"action", "CreateSubmissionRequest"},
            {"appResource", "word_count"},
            {"mainClass", "word_count"},
            {"appArgs", {"/data/in.txt", "--top", "5"}},
            {"sparkProperties", props},
            {"environmentVariables", {{"SPARK_ENV_LOADED", "1"}}},
            {"clientSparkVersion", "3.5.0"}};
  for (auto& [k, v] : extra.items())
    j[k] = v;
  return j.dump();
}

bool has_conf(const rest::create_submission& c, const std::string& kv) {
  return std::find(c.conf_args.begin(), c.conf_args.end(), kv) != c.conf_args.end();
}

std::string refusal(const std::string& body) {
  rest::create_submission c;
  std::string error;
  BOOST_TEST(!rest::parse_create(body, known, settings{}, c, error));
  return error;
}

} // namespace

BOOST_AUTO_TEST_SUITE(rest_protocol)

BOOST_AUTO_TEST_CASE(a_spark_request_becomes_a_cluster_mode_driver) {
  rest::create_submission c;
  std::string error;
  auto body = create_body({{"spark.driver.cores", "2"},
                           {"spark.driver.memory", "512m"},
                           {"spark.driver.supervise", "true"},
                           {"spark.executor.memory", "2g"},
                           {"spark.executor.cores", "1"},
                           {"spark.cores.max", "3"},
                           {"spark.app.name", "wc"},
                           {"spark.master", "spark://h:6066"},
                           {"spark.submit.deployMode", "cluster"},
                           {"task.max-failures", "7"}});
  BOOST_TEST(rest::parse_create(body, known, settings{}, c, error), error);
  BOOST_TEST(c.app == "word_count");
  BOOST_TEST((c.args == std::vector<std::string>{"/data/in.txt", "--top", "5"}));
  BOOST_TEST(c.driver_cores == 2);
  BOOST_TEST(c.driver_memory_mb == 512);
  BOOST_TEST(c.supervise);
  BOOST_TEST(c.client_version == "3.5.0");
  BOOST_TEST(has_conf(c, "executor.memory=2g"));
  BOOST_TEST(has_conf(c, "executor.cores=1"));
  BOOST_TEST(has_conf(c, "total-executor-cores=3"));
  BOOST_TEST(has_conf(c, "task.max-failures=7"));
}

BOOST_AUTO_TEST_CASE(mainclass_alone_names_the_app_and_defaults_apply) {
  rest::create_submission c;
  std::string error;
  json j = {{"action", "CreateSubmissionRequest"}, {"mainClass", "sort"}};
  BOOST_TEST(rest::parse_create(j.dump(), known, settings{}, c, error), error);
  BOOST_TEST(c.app == "sort");
  BOOST_TEST(c.args.empty());
  BOOST_TEST(c.driver_cores == settings{}.driver_cores);
  BOOST_TEST(!c.supervise);
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused_with_the_reason) {
  BOOST_TEST(refusal("{not json").find("malformed JSON") != std::string::npos);
  BOOST_TEST(refusal("[1,2]").find("JSON object") != std::string::npos);
  BOOST_TEST(refusal(create_body({}, {{"jars", "x"}})).find("unknown field 'jars'") != std::string::npos);
  BOOST_TEST(refusal(create_body({}, {{"action", "KillSubmissionRequest"}})).find("action") != std::string::npos);
  BOOST_TEST(refusal(create_body({}, {{"mainClass", "nope"}, {"appResource", "nope"}}))
               .find("unknown application 'nope'") != std::string::npos);
  BOOST_TEST(refusal(create_body({}, {{"mainClass", "sort"}})).find("different applications") != std::string::npos);
  BOOST_TEST(refusal(create_body({}, {{"appArgs", "x"}})).find("appArgs") != std::string::npos);
  BOOST_TEST(refusal(create_body({}, {{"appArgs", {1, 2}}})).find("appArgs") != std::string::npos);
  BOOST_TEST(refusal(create_body({{"spark.driver.cores", 2}})).find("must be a string") != std::string::npos);
  BOOST_TEST(refusal(create_body({{"spark.driver.memory", "lots"}})).find("driver.memory") != std::string::npos);
  BOOST_TEST(refusal(create_body({{"spark.submit.deployMode", "client"}})).find("cluster") != std::string::npos);
  BOOST_TEST(refusal(create_body({{"spark.driver.supervise", "yes"}})).find("supervise") != std::string::npos);
  BOOST_TEST(refusal(create_body({{"spark.sql.shuffle.partitions", "4"}})).find("unsupported Spark property")
             != std::string::npos);
  BOOST_TEST(refusal(create_body({{"no.such-key", "1"}})).find("no.such-key") != std::string::npos);
  json no_app = {{"action", "CreateSubmissionRequest"}};
  BOOST_TEST(refusal(no_app.dump()).find("name the application") != std::string::npos);
  BOOST_TEST(refusal(std::string(1 << 10, '\xff')).find("malformed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(submission_ids_are_checked) {
  BOOST_TEST(rest::valid_submission_id("driver-20261203172019-0001"));
  BOOST_TEST(!rest::valid_submission_id(""));
  BOOST_TEST(!rest::valid_submission_id("app-1"));
  BOOST_TEST(!rest::valid_submission_id("driver-<script>"));
  BOOST_TEST(!rest::valid_submission_id("driver-" + std::string(200, 'x')));
}

BOOST_AUTO_TEST_CASE(responses_use_sparks_field_names) {
  auto c = json::parse(rest::render_create(true, "driver-1x", "Driver successfully submitted as driver-1x"));
  BOOST_TEST(c["action"] == "CreateSubmissionResponse");
  BOOST_TEST(c["submissionId"] == "driver-1x");
  BOOST_TEST(c["success"] == true);
  BOOST_TEST(c["serverSparkVersion"] == rest::server_spark_version);
  BOOST_TEST(c.contains("message"));
  rest::status_reply r{true, "driver-1x", "RUNNING", "worker-a-1", "10.0.0.2:4001", ""};
  auto s = json::parse(rest::render_status(r));
  BOOST_TEST(s["action"] == "SubmissionStatusResponse");
  BOOST_TEST(s["driverState"] == "RUNNING");
  BOOST_TEST(s["workerId"] == "worker-a-1");
  BOOST_TEST(s["workerHostPort"] == "10.0.0.2:4001");
  BOOST_TEST(s["success"] == true);
  auto missing = json::parse(rest::render_status({false, "driver-zz", "FAILED", "", "", "no such driver"}));
  BOOST_TEST(missing["success"] == false);
  BOOST_TEST(missing["driverState"] == "NOT_FOUND");
  BOOST_TEST(missing["message"] == "no such driver");
  auto k = json::parse(rest::render_kill(true, "driver-1x", "Kill request for driver-1x submitted"));
  BOOST_TEST(k["action"] == "KillSubmissionResponse");
  BOOST_TEST(k["submissionId"] == "driver-1x");
  auto e = json::parse(rest::render_error("malformed JSON"));
  BOOST_TEST(e["action"] == "ErrorResponse");
  BOOST_TEST(e["message"] == "malformed JSON");
}

BOOST_AUTO_TEST_CASE(the_clients_request_parses_back_to_its_settings) {
  settings s;
  s.app = "sort";
  s.app_args = {"in", "out dir"};
  s.supervise = true;
  s.driver_cores = 2;
  s.executor_memory_mb = 768;
  rest::create_submission c;
  std::string error;
  BOOST_TEST(rest::parse_create(rest::render_create_request(s), known, settings{}, c, error), error);
  BOOST_TEST(c.app == "sort");
  BOOST_TEST((c.args == s.app_args));
  BOOST_TEST(c.supervise);
  BOOST_TEST(c.driver_cores == 2);
  BOOST_TEST(has_conf(c, "executor.memory=768m"));
  auto r = rest::parse_reply(rest::render_status({true, "driver-1x", "RUNNING", "worker-a", "h:1", "m"}));
  BOOST_TEST(r.parsed);
  BOOST_TEST(r.success);
  BOOST_TEST(r.driver_state == "RUNNING");
  BOOST_TEST(r.worker_id == "worker-a");
  BOOST_TEST(r.worker_host_port == "h:1");
  BOOST_TEST(!rest::parse_reply("<html>").parsed);
}

BOOST_AUTO_TEST_SUITE_END()
