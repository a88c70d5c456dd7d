#include "runtime/rest_protocol.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <set>

namespace troupe::rest {

namespace {

using json = nlohmann::json;

/// Spark properties that name a troupe setting.
const std::map<std::string, std::string>& spark_to_troupe() {
  static const std::map<std::string, std::string> m{
    {"spark.driver.cores", "driver.cores"},         {"spark.driver.memory", "driver.memory"},
    {"spark.executor.memory", "executor.memory"},   {"spark.executor.cores", "executor.cores"},
    {"spark.cores.max", "total-executor-cores"},    {"spark.default.parallelism", "default.parallelism"},
    {"spark.task.maxFailures", "task.max-failures"}, {"spark.deploy.spreadOut", "deploy.spread-out"},
  };
  return m;
}

/// Spark properties a Spark client always sends that mean nothing here.
const std::set<std::string>& spark_ignored() {
  static const std::set<std::string> s{"spark.app.name", "spark.master", "spark.jars", "spark.submit.pyFiles",
                                       "spark.app.submitTime"};
  return s;
}

bool string_field(const json& j, const char* key, std::string& out, std::string& error) {
  auto it = j.find(key);
  if (it == j.end())
    return true;
  if (!it->is_string()) {
    error = std::string{"field '"} + key + "' must be a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool string_map(const json& j, const char* key, std::map<std::string, std::string>& out, std::string& error) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return true;
  if (!it->is_object()) {
    error = std::string{"field '"} + key + "' must be an object of strings";
    return false;
  }
  for (auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      error = std::string{"field '"} + key + "." + k + "' must be a string";
      return false;
    }
    out[k] = v.get<std::string>();
  }
  return true;
}

json base(const char* action) { return {{"action", action}, {"serverSparkVersion", server_spark_version}}; }

} // namespace

bool parse_create(const std::string& body, const std::function<bool(const std::string&)>& known_app,
                  const settings& base_settings, create_submission& out, std::string& error) {
  out = create_submission{};
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    error = "malformed JSON in the request body";
    return false;
  }
  if (!j.is_object()) {
    error = "the request body must be a JSON object";
    return false;
  }
  static const std::set<std::string> fields{"action",          "appResource",          "mainClass",
                                            "appArgs",         "sparkProperties",      "environmentVariables",
                                            "clientSparkVersion"};
  for (auto& [k, v] : j.items())
    if (fields.count(k) == 0) {
      error = "unknown field '" + k + "' in CreateSubmissionRequest";
      return false;
    }
  std::string action, resource;
  if (!string_field(j, "action", action, error) || !string_field(j, "appResource", resource, error)
      || !string_field(j, "mainClass", out.app, error) || !string_field(j, "clientSparkVersion", out.client_version, error))
    return false;
  if (action != "CreateSubmissionRequest") {
    error = "action must be 'CreateSubmissionRequest', got '" + action + "'";
    return false;
  }
  if (out.app.empty())
    out.app = resource;
  if (out.app.empty()) {
    error = "mainClass (or appResource) must name the application";
    return false;
  }
  if (!resource.empty() && resource != out.app) {
    error = "appResource '" + resource + "' and mainClass '" + out.app + "' name different applications";
    return false;
  }
  if (!known_app(out.app)) {
    error = "unknown application '" + out.app + "'";
    return false;
  }
  if (auto it = j.find("appArgs"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) {
      error = "field 'appArgs' must be an array of strings";
      return false;
    }
    for (auto& a : *it) {
      if (!a.is_string()) {
        error = "field 'appArgs' must be an array of strings";
        return false;
      }
      out.args.push_back(a.get<std::string>());
    }
  }
  std::map<std::string, std::string> props, env;
  // environmentVariables are accepted (Spark clients send SPARK_* ones) and
  // not applied: the driver's environment is its worker's.
  if (!string_map(j, "sparkProperties", props, error) || !string_map(j, "environmentVariables", env, error))
    return false;
  std::vector<std::string> conf;
  for (auto& [k, v] : props) {
    if (k == "spark.driver.supervise") {
      if (v != "true" && v != "false") {
        error = "sparkProperties.spark.driver.supervise must be true or false, got '" + v + "'";
        return false;
      }
      out.supervise = v == "true";
    } else if (k == "spark.submit.deployMode") {
      if (v != "cluster") {
        error = "sparkProperties.spark.submit.deployMode must be cluster for a REST submission, got '" + v + "'";
        return false;
      }
    } else if (spark_ignored().count(k) != 0) {
      continue;
    } else if (auto m = spark_to_troupe().find(k); m != spark_to_troupe().end()) {
      conf.push_back("--conf");
      conf.push_back(m->second + "=" + v);
    } else if (k.rfind("spark.", 0) == 0) {
      error = "unsupported Spark property '" + k + "' (troupe settings go without the spark. prefix)";
      return false;
    } else {
      conf.push_back("--conf");
      conf.push_back(k + "=" + v);
    }
  }
  settings s = base_settings;
  if (auto e = apply_conf_args(s, conf); !e.empty()) {
    error = "sparkProperties: " + e;
    return false;
  }
  out.conf_args = to_conf_args(s);
  out.driver_cores = s.driver_cores;
  out.driver_memory_mb = s.driver_memory_mb;
  return true;
}

bool valid_submission_id(const std::string& id) {
  if (id.size() < 8 || id.size() > 128 || id.rfind("driver-", 0) != 0)
    return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

std::string render_create(bool success, const std::string& id, const std::string& message) {
  auto j = base("CreateSubmissionResponse");
  j["success"] = success;
  j["message"] = message;
  if (!id.empty())
    j["submissionId"] = id;
  return j.dump();
}

std::string render_status(const status_reply& s) {
  auto j = base("SubmissionStatusResponse");
  j["submissionId"] = s.id;
  j["success"] = s.found;
  j["driverState"] = s.found ? s.driver_state : "NOT_FOUND";
  if (!s.worker_id.empty()) {
    j["workerId"] = s.worker_id;
    j["workerHostPort"] = s.worker_host_port;
  }
  if (!s.message.empty())
    j["message"] = s.message;
  return j.dump();
}

std::string render_kill(bool success, const std::string& id, const std::string& message) {
  auto j = base("KillSubmissionResponse");
  j["submissionId"] = id;
  j["success"] = success;
  j["message"] = message;
  return j.dump();
}

std::string render_error(const std::string& message) {
  auto j = base("ErrorResponse");
  j["message"] = message;
  return j.dump();
}

std::string render_create_request(const settings& s) {
  json props = json::object();
  auto conf = to_conf_args(s);
  for (size_t i = 0; i + 1 < conf.size(); i += 2) {
    auto eq = conf[i + 1].find('=');
    props[conf[i + 1].substr(0, eq)] = conf[i + 1].substr(eq + 1);
  }
  props["spark.driver.supervise"] = s.supervise ? "true" : "false";
  props["spark.submit.deployMode"] = "cluster";
  props["spark.app.name"] = s.app;
  json j = {{"action", "CreateSubmissionRequest"},
            {"appResource", s.app},
            {"mainClass", s.app},
            {"appArgs", s.app_args},
            {"sparkProperties", props},
            {"environmentVariables", json::object()},
            {"clientSparkVersion", server_spark_version}};
  return j.dump();
}

reply_fields parse_reply(const std::string& body) {
  reply_fields r;
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return r;
  r.parsed = true;
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
  r.action = str("action");
  r.success = j.contains("success") && j["success"].is_boolean() && j["success"].get<bool>();
  r.message = str("message");
  r.submission_id = str("submissionId");
  r.driver_state = str("driverState");
  r.worker_id = str("workerId");
  r.worker_host_port = str("workerHostPort");
  return r;
}

} // namespace troupe::rest
