// Unit tests of settings: master URLs, sizes, conf keys, config files, argv.

#include "runtime/command_line.hpp"
#include "runtime/node_command.hpp"
#include "runtime/path_check.hpp"
#include "runtime/settings.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <unistd.h>

using namespace troupe;

namespace {

/// Parses a command line given without the program name.
command_line parse(const std::vector<const char*>& args) {
  std::vector<const char*> argv{"troupe"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A file with `content` in the temp directory, removed at scope exit.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& content) {
    static int counter = 0;
    path = (std::filesystem::temp_directory_path()
            / ("troupe-settings-test-" + std::to_string(::getpid()) + "-"
               + std::to_string(counter++) + ".conf"))
             .string();
    std::ofstream{path} << content;
  }
  ~temp_file() { std::filesystem::remove(path); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(settings_suite)

BOOST_AUTO_TEST_CASE(memory_sizes_are_mib) {
  BOOST_TEST(parse_memory_mb("512m").value() == 512);
  BOOST_TEST(parse_memory_mb("4g").value() == 4096);
  BOOST_TEST(parse_memory_mb("1024").value() == 1024);
  BOOST_TEST(parse_memory_mb("1t").value() == 1024 * 1024);
  BOOST_TEST(parse_memory_mb("512M").value() == 512);
  BOOST_TEST(parse_memory_mb("4G").value() == 4096);
  BOOST_TEST(parse_memory_mb("4gb").value() == 4096);
  BOOST_TEST(parse_memory_mb("2048k").value() == 2);
  for (auto bad : {"", "0", "0g", "-1", "-4g", "abc", "4x", "4 g", " 4g", "g", "4gbb", "1.5g",
                   "+4g", "99999999999999999999", "9999999999999999t", "1k"})
    BOOST_TEST(!parse_memory_mb(bad).has_value(), "accepted '" << bad << "'");
}

BOOST_AUTO_TEST_CASE(local_masters) {
  std::string err;
  auto m = parse_master_url("local", err);
  BOOST_REQUIRE(m);
  BOOST_TEST((m->kind == master_kind::local));
  BOOST_TEST(m->local_cores == 1);
  BOOST_TEST(m->text == "local");
  BOOST_TEST(parse_master_url("local[6]", err)->local_cores == 6);
  auto hw = std::max(1, static_cast<int32_t>(std::thread::hardware_concurrency()));
  BOOST_TEST(parse_master_url("local[*]", err)->local_cores == hw);
  auto lc = parse_master_url("local-cluster[3,2,1024]", err);
  BOOST_REQUIRE(lc);
  BOOST_TEST((lc->kind == master_kind::local_cluster));
  BOOST_TEST(lc->cluster_workers == 3);
  BOOST_TEST(lc->cluster_cores == 2);
  BOOST_TEST(lc->cluster_memory_mb == 1024);
}

BOOST_AUTO_TEST_CASE(remote_masters) {
  std::string err;
  for (auto text : {"troupe://node-1.example:7077", "node-1.example:7077"}) {
    auto m = parse_master_url(text, err);
    BOOST_REQUIRE(m);
    BOOST_TEST((m->kind == master_kind::remote));
    BOOST_TEST(m->host == "node-1.example");
    BOOST_TEST(m->port == 7077);
    BOOST_TEST(m->text == text);
  }
  BOOST_TEST(parse_master_url("troupe://h:65535", err)->port == 65535);
  BOOST_TEST(parse_master_url("troupe://h:1", err)->port == 1);
  BOOST_TEST(!parse_master_url("troupe://h:1", err)->rest);
}

BOOST_AUTO_TEST_CASE(rest_masters) {
  std::string err;
  auto m = parse_master_url("troupe-rest://node-1.example:6066", err);
  BOOST_REQUIRE(m);
  BOOST_TEST((m->kind == master_kind::remote));
  BOOST_TEST(m->rest);
  BOOST_TEST(m->host == "node-1.example");
  BOOST_TEST(m->port == 6066);
  BOOST_TEST(!parse_master_url("troupe-rest://:6066", err));
}

BOOST_AUTO_TEST_CASE(bad_masters_name_the_value_and_the_accepted_forms) {
  for (auto bad : {"", "local[0]", "local[-1]", "local[x]", "local[2", "locale",
                   "local-cluster[0,1,1]", "local-cluster[1,1]", "local-cluster[1,1,1,1]",
                   "local-cluster[1,a,1]", "troupe://h:0", "troupe://h:65536", "troupe://h",
                   "troupe://:7077", "spark://h:7077", "h:7077x", "h:", "yarn"}) {
    std::string err;
    BOOST_TEST(!parse_master_url(bad, err).has_value(), "accepted '" << bad << "'");
    BOOST_TEST(contains(err, std::string{"'"} + bad + "'"), err);
    BOOST_TEST(contains(err, "local-cluster[N,C,M]"), err);
    BOOST_TEST(contains(err, "troupe://host:port"), err);
  }
}

BOOST_AUTO_TEST_CASE(conf_keys_set_their_fields) {
  settings s;
  std::vector<std::pair<std::string, std::string>> pairs{
    {"task.max-failures", "7"},        {"default.parallelism", "12"},
    {"text-file.split-size", "64m"},   {"executor.cores", "3"},
    {"app.library-hash", "ab12"},
    {"executor.memory", "2g"},         {"total-executor-cores", "9"},
    {"deploy.spread-out", "false"},    {"executor.isolation", "thread"},
    {"driver.isolation", "thread"},    {"shuffle.memory-fraction", "0.25"},
    {"shuffle.fetch-chunk-size", "64"}, {"shuffle.max-fetches-in-flight", "2"},
    {"worker.timeout", "9000"},        {"heartbeat.interval", "100"},
    {"network.timeout", "3000"},       {"register.timeout", "500"},
    {"log.level", "debug"},            {"scheduler.extra-tasks", "5"},
    {"driver.cores", "2"},             {"driver.memory", "256m"},
    {"master.retained-applications", "3"}, {"master.retained-drivers", "0"},
    {"master.executor-failures-per-worker", "5"},
    {"master.executor-min-uptime", "7000"}, {"driver.max-relaunches", "6"},
    {"node.stop-grace", "101"},        {"driver.stop-grace", "102"},
    {"executor.stop-grace", "103"},    {"client.timeout", "104"},
    {"client.logs-timeout", "105"},    {"local-cluster.start-timeout", "106"},
    {"local-cluster.register-timeout", "107"}, {"local-cluster.stop-grace", "108"},
    {"worker.register-request-timeout", "109"}, {"worker.register-retry", "110"},
    {"worker.connect-timeout", "111"}, {"worker.reconnect-delay", "112"},
    {"worker.child-stop-grace", "113"}, {"driver.register-timeout", "114"},
    {"driver.executor-wait-warning", "115"}, {"executor.connect-timeout", "116"},
    {"shuffle.fetch-timeout", "117"},
    {"network.max-frame-size", "32m"},
    {"executor.heartbeat-timeout", "4000"}, {"stage.max-attempts", "6"},
    {"task.speculation", "true"},      {"task.speculation.multiplier", "2.5"},
    {"task.speculation.quantile", "0.5"}, {"task.speculation.interval", "50"},
    {"master.recovery-dir", "/var/lib/troupe"}, {"master.recovery-timeout", "2500"},
    {"driver.master-reconnect-timeout", "7000"}, {"worker.master-reconnect-timeout", "8000"},
    {"master.webui-port", "8181"},     {"master.rest-port", "6066"},
    {"master.webui-any-port", "true"},
    {"driver.ui-port", "4141"},        {"ui.public", "true"},
    {"ui.console-progress", "false"},  {"eventlog.dir", "/tmp/ev"},
    {"auth.secret-file", "/etc/troupe/secret"}, {"tls.certificate", "/etc/troupe/node.pem"},
    {"tls.key", "/etc/troupe/node.key"}, {"tls.cafile", "/etc/troupe/ca.pem"},
    {"chaos.seed", "9"},               {"chaos.interval", "300"},
    {"chaos.freeze", "false"},         {"chaos.faults", "4"},
  };
  for (const auto& [k, v] : pairs)
    BOOST_TEST(apply_conf(s, k, v).empty(), k);
  BOOST_TEST(s.extra_tasks_per_executor == 5);
  BOOST_TEST(s.driver_cores == 2);
  BOOST_TEST(s.driver_memory_mb == 256);
  BOOST_TEST(s.task_max_failures == 7);
  BOOST_TEST(s.default_parallelism == 12);
  BOOST_TEST(s.split_size_bytes == int64_t{64} << 20);
  BOOST_TEST(s.executor_cores == 3);
  BOOST_TEST(s.executor_memory_mb == 2048);
  BOOST_TEST(s.total_executor_cores == 9);
  BOOST_TEST(!s.spread_out);
  BOOST_TEST((s.executor_isolation == isolation::thread));
  BOOST_TEST((s.driver_isolation == isolation::thread));
  BOOST_TEST(s.shuffle_memory_fraction == 0.25);
  BOOST_TEST(s.shuffle_fetch_chunk_kb == 64);
  BOOST_TEST(s.shuffle_max_fetches == 2);
  BOOST_TEST(s.worker_timeout_ms == 9000);
  BOOST_TEST(s.heartbeat_interval_ms == 100);
  BOOST_TEST(s.network_timeout_ms == 3000);
  BOOST_TEST(s.register_timeout_ms == 500);
  BOOST_TEST(s.log_level == "debug");
  BOOST_TEST(s.retained_applications == 3);
  BOOST_TEST(s.retained_drivers == 0);
  BOOST_TEST(s.executor_failures_per_worker == 5);
  BOOST_TEST(s.executor_min_uptime_ms == 7000);
  BOOST_TEST(s.driver_max_relaunches == 6);
  BOOST_TEST(s.webui_port == 8181);
  BOOST_TEST(s.rest_port == 6066);
  BOOST_TEST(s.webui_any_port);
  BOOST_TEST(s.driver_ui_port == 4141);
  BOOST_TEST(s.ui_public);
  BOOST_TEST(!s.console_progress);
  BOOST_TEST(s.eventlog_dir == "/tmp/ev");
  BOOST_TEST(s.auth_secret_file == "/etc/troupe/secret");
  BOOST_TEST(s.tls_certificate == "/etc/troupe/node.pem");
  BOOST_TEST(s.tls_key == "/etc/troupe/node.key");
  BOOST_TEST(s.tls_cafile == "/etc/troupe/ca.pem");
  BOOST_TEST(s.chaos_seed == 9);
  BOOST_TEST(s.chaos_interval_ms == 300);
  BOOST_TEST(!s.chaos_freeze);
  BOOST_TEST(s.chaos_faults == 4);
  const std::vector<int32_t> timeouts{s.stop_grace_ms, s.driver_stop_grace_ms, s.executor_stop_grace_ms,
                                      s.client_timeout_ms, s.logs_timeout_ms, s.cluster_start_timeout_ms,
                                      s.cluster_register_timeout_ms, s.cluster_stop_grace_ms, s.worker_ask_timeout_ms,
                                      s.worker_register_retry_ms, s.worker_connect_timeout_ms,
                                      s.worker_reconnect_delay_ms, s.worker_child_stop_grace_ms,
                                      s.driver_register_timeout_ms, s.driver_executor_wait_ms,
                                      s.executor_connect_timeout_ms, s.fetch_timeout_ms};
  for (size_t i = 0; i < timeouts.size(); ++i)
    BOOST_TEST(timeouts[i] == static_cast<int32_t>(101 + i), "timeout " << i);
  BOOST_TEST(s.max_frame_bytes == int64_t{32} << 20);
  BOOST_TEST(s.executor_heartbeat_timeout_ms == 4000);
  BOOST_TEST(s.stage_max_attempts == 6);
  BOOST_TEST(s.speculation);
  BOOST_TEST(s.speculation_multiplier == 2.5);
  BOOST_TEST(s.speculation_quantile == 0.5);
  BOOST_TEST(s.speculation_interval_ms == 50);
  for (auto bad : {"0.99", "-1", "nan", "inf", "1.5x", ""})
    BOOST_TEST(!apply_conf(s, "task.speculation.multiplier", bad).empty(), bad);
  BOOST_TEST(!apply_conf(s, "stage.max-attempts", "0").empty());
  BOOST_TEST(s.recovery_dir == "/var/lib/troupe");
  BOOST_TEST(s.recovery_timeout_ms == 2500);
  BOOST_TEST(s.driver_master_reconnect_ms == 7000);
  BOOST_TEST(s.worker_master_reconnect_ms == 8000);
  BOOST_TEST(s.conf.size() == pairs.size());
  for (const auto& [k, v] : pairs)
    BOOST_TEST(s.conf.at(k) == v);
  // Every key of the table is covered above.
  BOOST_TEST(conf_keys().size() == pairs.size());
}

BOOST_AUTO_TEST_CASE(split_size_accepts_byte_suffixes) {
  settings s;
  BOOST_TEST(apply_conf(s, "text-file.split-size", "1000").empty());
  BOOST_TEST(s.split_size_bytes == 1000);
  BOOST_TEST(apply_conf(s, "text-file.split-size", "512k").empty());
  BOOST_TEST(s.split_size_bytes == 512 * 1024);
  BOOST_TEST(apply_conf(s, "text-file.split-size", "1G").empty());
  BOOST_TEST(s.split_size_bytes == int64_t{1} << 30);
}

BOOST_AUTO_TEST_CASE(bad_conf_values_are_refused_naming_key_and_value) {
  std::vector<std::pair<std::string, std::string>> bad{
    {"task.max-failures", "0"},          {"task.max-failures", "4x"},
    {"task.max-failures", "99999999999"}, {"task.max-failures", ""},
    {"default.parallelism", "-1"},       {"text-file.split-size", "0"},
    {"text-file.split-size", "12q"},     {"executor.cores", "-2"},
    {"app.library-hash", "a\nb"},
    {"executor.memory", "0"},            {"executor.memory", "lots"},
    {"total-executor-cores", "1.5"},     {"deploy.spread-out", "yes"},
    {"executor.isolation", "fiber"},     {"driver.isolation", ""},
    {"shuffle.memory-fraction", "0"},    {"shuffle.memory-fraction", "1.5"},
    {"shuffle.memory-fraction", "nan"},  {"shuffle.memory-fraction", "0.5x"},
    {"shuffle.fetch-chunk-size", "0"},   {"shuffle.max-fetches-in-flight", "0"},
    {"worker.timeout", "0"},             {"heartbeat.interval", "-5"},
    {"network.timeout", "10s"},          {"register.timeout", "0"},
    {"log.level", "verbose"},            {"master.retained-applications", "-1"},
    {"master.retained-drivers", "x"},    {"master.executor-failures-per-worker", "0"},
  };
  for (const auto& [k, v] : bad) {
    settings s;
    auto before = to_conf_args(s);
    auto err = apply_conf(s, k, v);
    BOOST_TEST(contains(err, "'" + k + "'"), k << "=" << v << ": " << err);
    BOOST_TEST(contains(err, "'" + v + "'"), k << "=" << v << ": " << err);
    BOOST_TEST(s.conf.empty());
    BOOST_TEST(to_conf_args(s) == before); // nothing changed
  }
  settings s;
  BOOST_TEST(apply_conf(s, "spark.executor.memory", "1g")
             == "unknown conf key 'spark.executor.memory' (see troupe submit --help)");
}

BOOST_AUTO_TEST_CASE(conf_key_defaults_match_a_default_settings) {
  // Applying every listed default to a fresh settings changes nothing.
  settings s;
  auto before = to_conf_args(s);
  for (const auto& k : conf_keys()) {
    BOOST_TEST(!k.meaning.empty());
    BOOST_TEST(apply_conf(s, k.key, k.default_value).empty(), k.key);
  }
  BOOST_TEST(to_conf_args(s) == before);
}

BOOST_AUTO_TEST_CASE(conf_args_reproduce_settings_in_a_child) {
  settings defaults;
  auto plain = to_conf_args(defaults);
  // Only the log level travels when nothing differs from the defaults.
  BOOST_TEST((plain == std::vector<std::string>{"--conf", "log.level=" + defaults.log_level}));

  settings s;
  s.task_max_failures = 2;
  s.executor_memory_mb = 1536;
  s.split_size_bytes = 1000;
  s.spread_out = false;
  s.shuffle_memory_fraction = 0.3;
  s.driver_isolation = isolation::thread;
  s.log_level = "info";
  auto args = to_conf_args(s);
  BOOST_TEST(args.size() == 2 * 7u);
  std::vector<const char*> argv{"troupe", "node", "--role", "executor", "--app-id", "app-1", "--executor-id", "3",
                                "--driver-url", "troupe://127.0.0.1:5000"};
  for (const auto& a : args)
    argv.push_back(a.c_str());
  auto cl = parse_command_line(static_cast<int>(argv.size()), argv.data());
  BOOST_TEST(cl.error.empty(), cl.error);
  BOOST_TEST(cl.opts.task_max_failures == 2);
  BOOST_TEST(cl.opts.executor_memory_mb == 1536);
  BOOST_TEST(cl.opts.split_size_bytes == 1000);
  BOOST_TEST(!cl.opts.spread_out);
  BOOST_TEST(cl.opts.shuffle_memory_fraction == 0.3);
  BOOST_TEST((cl.opts.driver_isolation == isolation::thread));
  BOOST_TEST(cl.opts.log_level == "info");
  BOOST_TEST(cl.opts.app_id == "app-1");
  BOOST_TEST(cl.opts.executor_id == "3");
  BOOST_TEST(cl.opts.driver_url == "troupe://127.0.0.1:5000");
  BOOST_TEST(to_conf_args(cl.opts) == args);
}

BOOST_AUTO_TEST_CASE(conf_args_apply_back_onto_settings) {
  settings changed;
  changed.shuffle_max_fetches = 7;
  changed.executor_memory_mb = 256;
  changed.spread_out = false;
  settings s;
  BOOST_TEST(apply_conf_args(s, to_conf_args(changed)).empty());
  BOOST_TEST(s.shuffle_max_fetches == 7);
  BOOST_TEST(s.executor_memory_mb == 256);
  BOOST_TEST(!s.spread_out);
  BOOST_TEST(to_conf_args(s) == to_conf_args(changed));
  BOOST_TEST(apply_conf_args(s, {"--conf"}).find("--conf") != std::string::npos);
  BOOST_TEST(apply_conf_args(s, {"--conf", "novalue"}).find("novalue") != std::string::npos);
  BOOST_TEST(apply_conf_args(s, {"--conf", "no.such.key=1"}).find("no.such.key") != std::string::npos);
  BOOST_TEST(apply_conf_args(s, {"-x"}).find("-x") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(internal_roles_need_their_ids) {
  auto parse = [](std::vector<const char*> argv) {
    argv.insert(argv.begin(), "troupe");
    return parse_command_line(static_cast<int>(argv.size()), argv.data());
  };
  auto exec = parse({"node", "--role", "executor", "--app-id", "a"});
  BOOST_TEST(exec.error.find("--executor-id") != std::string::npos, exec.error);
  auto driver = parse({"node", "--role", "driver", "--master", "troupe://127.0.0.1:7077", "--driver-id", "driver-1",
                       "word_count", "--in", "x"});
  BOOST_TEST(driver.error.empty(), driver.error);
  BOOST_TEST(driver.opts.app == "word_count");
  BOOST_TEST((driver.opts.app_args == std::vector<std::string>{"--in", "x"}));
  auto no_app = parse({"node", "--role", "driver", "--master", "troupe://127.0.0.1:7077", "--driver-id", "d"});
  BOOST_TEST(!no_app.error.empty());
  auto stray = parse({"node", "--role", "master", "extra"});
  BOOST_TEST(stray.error.find("extra") != std::string::npos, stray.error);
}

BOOST_AUTO_TEST_CASE(conf_files_take_both_forms_comments_and_blank_lines) {
  temp_file f{"# a comment\n\ntask.max-failures = 6\nexecutor.memory=512m  # trailing\n"
              "   deploy.spread-out   =   false\n"};
  settings s;
  BOOST_TEST(load_conf_file(s, f.path).empty());
  BOOST_TEST(s.task_max_failures == 6);
  BOOST_TEST(s.executor_memory_mb == 512);
  BOOST_TEST(!s.spread_out);
}

BOOST_AUTO_TEST_CASE(conf_file_errors_name_file_and_line) {
  temp_file bad_value{"task.max-failures = 2\n\nexecutor.memory = nope\n"};
  settings s;
  auto err = load_conf_file(s, bad_value.path);
  BOOST_TEST(contains(err, bad_value.path + ":3:"), err);
  BOOST_TEST(contains(err, "executor.memory"), err);
  temp_file no_equals{"# fine\nlog.level debug\n"};
  err = load_conf_file(s, no_equals.path);
  BOOST_TEST(contains(err, no_equals.path + ":2:"), err);
  temp_file unknown{"no.such.key = 1\n"};
  err = load_conf_file(s, unknown.path);
  BOOST_TEST(contains(err, unknown.path + ":1:"), err);
  BOOST_TEST(contains(err, "unknown conf key 'no.such.key'"), err);
  err = load_conf_file(s, "/nonexistent/troupe.conf");
  BOOST_TEST(contains(err, "/nonexistent/troupe.conf"), err);
}

BOOST_AUTO_TEST_CASE(submit_parses_flags_and_keeps_app_args_verbatim) {
  auto cl = parse({"submit", "--master", "troupe://10.0.0.1:7077", "--deploy-mode=cluster",
                   "--supervise", "--wait", "--executor-cores", "2", "--executor-memory=3g",
                   "--total-executor-cores", "8", "--conf", "task.max-failures=5",
                   "--log-level", "error", "word_count", "in.txt", "--wait", "--conf", "-x"});
  BOOST_TEST(cl.error.empty(), cl.error);
  BOOST_TEST(cl.command == "submit");
  BOOST_TEST(!cl.help);
  const auto& s = cl.opts;
  BOOST_TEST((s.master.kind == master_kind::remote));
  BOOST_TEST(s.master.host == "10.0.0.1");
  BOOST_TEST((s.deploy == deploy_mode::cluster));
  BOOST_TEST(s.supervise);
  BOOST_TEST(s.wait);
  BOOST_TEST(s.executor_cores == 2);
  BOOST_TEST(s.executor_memory_mb == 3072);
  BOOST_TEST(s.total_executor_cores == 8);
  BOOST_TEST(s.task_max_failures == 5);
  BOOST_TEST(s.log_level == "error");
  BOOST_TEST(s.app == "word_count");
  BOOST_TEST((s.app_args == std::vector<std::string>{"in.txt", "--wait", "--conf", "-x"}));
}

BOOST_AUTO_TEST_CASE(submit_errors) {
  struct bad_case { std::vector<const char*> args; const char* needle; };
  std::vector<bad_case> cases{
    {{"submit", "pi"}, "submit needs --master"},
    {{"submit", "--master", "local[2]"}, "APP"},
    {{"submit", "--master", "local", "--bogus", "pi"}, "'--bogus'"},
    {{"submit", "--master"}, "--master"},
    {{"submit", "--master", "local", "--deploy-mode", "both", "pi"}, "'both'"},
    {{"submit", "--master", "local[2]", "--deploy-mode", "cluster", "pi"},
     "cluster deploy mode needs a troupe://host:port master"},
    {{"submit", "--master", "local-cluster[2,1,512]", "--deploy-mode=cluster", "pi"},
     "cluster deploy mode needs a troupe://host:port master"},
    {{"submit", "--master", "mesos://x:1", "pi"}, "'mesos://x:1'"},
    {{"submit", "--master", "local", "--executor-cores", "two", "pi"}, "'two'"},
    {{"submit", "--master", "local", "--conf", "novalue", "pi"}, "'novalue'"},
    {{"submit", "--master", "local", "--conf", "bad.key=1", "pi"}, "unknown conf key 'bad.key'"},
    {{"submit", "--master", "local", "--log-level", "loud", "pi"}, "'loud'"},
    {{"submit", "--master", "local", "--supervise=yes", "pi"}, "--supervise"},
  };
  for (const auto& c : cases) {
    auto cl = parse(c.args);
    BOOST_TEST(contains(cl.error, c.needle), "error '" << cl.error << "' lacks " << c.needle);
    BOOST_TEST(contains(cl.usage, "troupe submit"));
  }
}

BOOST_AUTO_TEST_CASE(command_line_conf_wins_over_properties_file) {
  temp_file f{"executor.cores = 3\ntask.max-failures = 9\n"};
  // --conf comes before --properties-file and still wins: the file applies first.
  auto cl = parse({"submit", "--conf", "executor.cores=5", "--properties-file", f.path.c_str(),
                   "--master", "local", "pi"});
  BOOST_TEST(cl.error.empty(), cl.error);
  BOOST_TEST(cl.opts.executor_cores == 5);
  BOOST_TEST(cl.opts.task_max_failures == 9);
  BOOST_TEST(cl.opts.conf.at("executor.cores") == "5");
  temp_file bad{"executor.cores = many\n"};
  cl = parse({"node", "--role", "master", "--properties-file", bad.path.c_str()});
  BOOST_TEST(contains(cl.error, bad.path + ":1:"), cl.error);
}

BOOST_AUTO_TEST_CASE(node_roles_and_ports) {
  auto master = parse({"node", "--role", "master"});
  BOOST_TEST(master.error.empty(), master.error);
  BOOST_TEST((master.opts.role == node_role::master));
  BOOST_TEST(master.opts.port == 7077);
  BOOST_TEST(parse({"node", "--role=master", "--port=9000"}).opts.port == 9000);
  auto worker = parse({"node", "--role", "worker", "--master", "troupe://m:7077", "--cores", "3",
                       "--memory", "2g", "--work-dir", "/tmp/w", "--host", "10.1.1.1"});
  BOOST_TEST(worker.error.empty(), worker.error);
  BOOST_TEST(worker.opts.port == 0);
  BOOST_TEST(worker.opts.cores == 3);
  BOOST_TEST(worker.opts.memory_mb == 2048);
  BOOST_TEST(worker.opts.work_dir == "/tmp/w");
  BOOST_TEST(worker.opts.host == "10.1.1.1");
  BOOST_TEST(worker.opts.master.port == 7077);
  BOOST_TEST(contains(parse({"node", "--role", "worker"}).error, "--master"));
  BOOST_TEST(!parse({"node", "--role", "worker", "--master", "local[2]"}).error.empty());
  BOOST_TEST(contains(parse({"node"}).error, "--role"));
  BOOST_TEST(contains(parse({"node", "--role", "boss"}).error, "'boss'"));
  BOOST_TEST(contains(parse({"node", "--role", "master", "--port", "70000"}).error, "'70000'"));
  BOOST_TEST(contains(parse({"node", "--role", "worker", "--master", "m:1", "--cores", "0"}).error,
                      "--cores"));
  BOOST_TEST(contains(parse({"node", "--role", "master", "extra"}).error, "'extra'"));
}

BOOST_AUTO_TEST_CASE(simulate_and_driver_commands) {
  auto sim = parse({"simulate", "--workers", "3", "--cores", "2", "--memory", "1g", "--threads"});
  BOOST_TEST(sim.error.empty(), sim.error);
  BOOST_TEST(sim.simulate_workers == 3);
  BOOST_TEST(sim.simulate_threads);
  BOOST_TEST(sim.opts.cores == 2);
  BOOST_TEST(sim.opts.memory_mb == 1024);
  BOOST_TEST(contains(parse({"simulate"}).error, "--workers"));
  BOOST_TEST(contains(parse({"simulate", "--workers", "0"}).error, "--workers"));

  auto all = parse({"status", "--master", "troupe://m:7077"});
  BOOST_TEST(all.error.empty(), all.error);
  BOOST_TEST(all.driver_id.empty());
  auto one = parse({"status", "--master", "m:7077", "driver-20260101000000-0001"});
  BOOST_TEST(one.driver_id == "driver-20260101000000-0001");
  for (auto cmd : {"kill", "logs"}) {
    auto ok = parse({cmd, "driver-1", "--master", "troupe://m:7077"});
    BOOST_TEST(ok.error.empty(), ok.error);
    BOOST_TEST(ok.command == cmd);
    BOOST_TEST(ok.driver_id == "driver-1");
    BOOST_TEST(contains(parse({cmd, "--master", "troupe://m:7077"}).error, "DRIVER_ID"));
    BOOST_TEST(contains(parse({cmd, "driver-1"}).error, "--master"));
  }
  BOOST_TEST(parse({"apps"}).error.empty());
  // `apps LIB.so` lists a library's apps; a second argument is refused.
  BOOST_TEST(parse({"apps", "./libjob.so"}).apps_library == "./libjob.so");
  BOOST_TEST(contains(parse({"apps", "./libjob.so", "more"}).error, "'more'"));
}

BOOST_AUTO_TEST_CASE(help_forms_and_unknown_commands) {
  for (auto form : {"help", "--help", "-h"}) {
    auto cl = parse({form});
    BOOST_TEST(cl.help);
    BOOST_TEST(cl.error.empty());
    for (auto cmd : {"submit", "node", "simulate", "status", "kill", "logs", "apps"})
      BOOST_TEST(contains(cl.usage, cmd));
  }
  auto sub = parse({"submit", "--master", "local", "--help"});
  BOOST_TEST(sub.help);
  BOOST_TEST(sub.error.empty());
  BOOST_TEST(sub.command == "submit");
  for (auto flag : {"--master", "--deploy-mode", "--supervise", "--executor-memory",
                    "--total-executor-cores", "--properties-file", "local-cluster[N,C,M]"})
    BOOST_TEST(contains(sub.usage, flag), flag);
  for (const auto& k : conf_keys())
    BOOST_TEST(contains(sub.usage, k.key + " = " + k.default_value), k.key);
  BOOST_TEST(contains(parse({"help", "node"}).usage, "--work-dir"));
  BOOST_TEST(contains(parse({"node", "-h"}).usage, "--work-dir"));
  auto unknown = parse({"launch"});
  BOOST_TEST(contains(unknown.error, "'launch'"));
  BOOST_TEST(!unknown.usage.empty());
  BOOST_TEST(!parse({}).error.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(settings_docs_suite)

// README's settings table lists every conf key with the default the table has.
BOOST_AUTO_TEST_CASE(readme_lists_every_conf_key_with_its_default) {
  // __FILE__ is relative to the build dir when meson compiles this file.
  std::filesystem::path here{__FILE__};
  if (!here.is_absolute())
    here = std::filesystem::read_symlink("/proc/self/exe").parent_path() / here;
  auto readme = here.parent_path().parent_path().parent_path() / "README.md";
  std::ifstream in{readme};
  if (!in) {
    BOOST_TEST_MESSAGE("README.md not found next to the sources; skipped");
    return;
  }
  std::string text{std::istreambuf_iterator<char>(in), {}};
  for (const auto& k : conf_keys())
    BOOST_TEST(contains(text, "| `" + k.key + "` | `" + k.default_value + "` |"), k.key);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(command_table_suite)

BOOST_AUTO_TEST_CASE(enums_round_trip_through_their_names) {
  for (auto m : {deploy_mode::client, deploy_mode::cluster})
    BOOST_TEST((parse_deploy_mode(to_string(m)) == m));
  for (auto r : {node_role::master, node_role::worker, node_role::executor, node_role::driver})
    BOOST_TEST((parse_node_role(to_string(r)) == r));
  for (auto i : {isolation::process, isolation::thread})
    BOOST_TEST((parse_isolation(to_string(i)) == i));
  BOOST_TEST(!parse_deploy_mode("Cluster"));
  BOOST_TEST(!parse_node_role(""));
  BOOST_TEST(!parse_isolation("fiber"));
}

BOOST_AUTO_TEST_CASE(every_flag_of_the_table_is_in_its_help) {
  for (const auto& cmd : command_names()) {
    auto help = parse({cmd.c_str(), "--help"}).usage;
    for (const auto& f : command_flags(cmd)) {
      BOOST_TEST(contains(help, f.name), cmd << " " << f.name);
      // A value no parser accepts is refused naming the flag or the value,
      // never accepted silently (each flag has its parser).
      std::string arg = f.arg.empty() ? f.name + "=x" : f.name + "=\x01bad";
      auto cl = parse({cmd.c_str(), arg.c_str()});
      BOOST_TEST(!cl.error.empty(), cmd << " " << arg);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_command_that_talks_to_a_cluster_takes_conf) {
  for (auto cmd : {"submit", "node", "simulate", "status", "kill", "logs"}) {
    auto flags = command_flags(cmd);
    BOOST_TEST(std::any_of(flags.begin(), flags.end(), [](const flag_info& f) { return f.name == "--conf"; }), cmd);
  }
  auto st = parse({"status", "--master", "troupe://m:7077", "--conf", "client.timeout=250"});
  BOOST_TEST(st.error.empty(), st.error);
  BOOST_TEST(st.opts.client_timeout_ms == 250);
}

BOOST_AUTO_TEST_CASE(simulate_takes_more_workers_as_threads_and_refuses_chaos_with_threads) {
  BOOST_TEST(parse({"simulate", "--workers", "1000", "--threads"}).error.empty());
  auto procs = parse({"simulate", "--workers", "1000"});
  BOOST_TEST(contains(procs.error, "--workers"), procs.error);
  BOOST_TEST(contains(procs.error, std::to_string(max_workers)), procs.error);
  auto chaos = parse({"simulate", "--workers", "3", "--threads", "--chaos", "5"});
  BOOST_TEST(contains(chaos.error, "--threads"), chaos.error);
  auto ok = parse({"simulate", "--workers", "3", "--chaos", "5", "--chaos-interval", "100"});
  BOOST_TEST(ok.error.empty(), ok.error);
  BOOST_TEST(ok.opts.chaos_seed == 5);
  BOOST_TEST(ok.opts.chaos_interval_ms == 100);
  BOOST_TEST(contains(parse({"simulate", "--workers", "3", "--chaos-interval", "10"}).error, "chaos.interval"));
}

BOOST_AUTO_TEST_CASE(counts_beyond_what_a_process_can_honour_name_flag_value_and_limit) {
  auto local = parse({"submit", "--master", "local[100000]", "pi"});
  BOOST_TEST(contains(local.error, "local[100000]"), local.error);
  BOOST_TEST(contains(local.error, std::to_string(max_cores)), local.error);
  BOOST_TEST(parse({"submit", "--master", "local[1024]", "pi"}).error.empty());
  auto cores = parse({"node", "--role", "worker", "--master", "m:1", "--cores", "100000"});
  BOOST_TEST(contains(cores.error, "--cores"), cores.error);
  BOOST_TEST(contains(cores.error, "100000"), cores.error);
  BOOST_TEST(contains(cores.error, std::to_string(max_cores)), cores.error);
  auto workers = parse({"simulate", "--workers", "100000"});
  BOOST_TEST(contains(workers.error, "--workers"), workers.error);
  BOOST_TEST(contains(workers.error, std::to_string(max_workers)), workers.error);
  BOOST_TEST(!parse({"submit", "--master", "local-cluster[1000,1,512]", "pi"}).error.empty());
  for (auto [key, value] : {std::pair{"executor.cores", "2000"}, std::pair{"shuffle.fetch-chunk-size", "2147483647"},
                            std::pair{"executor.memory", "2147483648"}, std::pair{"default.parallelism", "2147483647"}}) {
    settings s;
    auto err = apply_conf(s, key, value);
    BOOST_TEST(contains(err, key), err);
    BOOST_TEST(contains(err, value), err);
  }
  auto mem = parse({"node", "--role", "worker", "--master", "m:1", "--memory", "2147483648"});
  BOOST_TEST(contains(mem.error, "--memory"), mem.error);
}

BOOST_AUTO_TEST_CASE(child_command_lines_parse_back_into_the_parents_settings) {
  settings worker;
  worker.task_max_failures = 3;
  worker.worker_child_stop_grace_ms = 1234;
  worker.log_level = "info";
  auto exec = executor_command(worker, {"app-1", "7", "10.0.0.2", 3, 1536, "/tmp/w/app-1/7", "10.0.0.1", 5000,
                                        {{"executor.memory", "1536m"}}});
  std::vector<const char*> argv;
  for (auto& a : exec)
    argv.push_back(a.c_str());
  auto cl = parse_command_line(static_cast<int>(argv.size()), argv.data());
  BOOST_TEST(cl.error.empty(), cl.error);
  BOOST_TEST((cl.opts.role == node_role::executor));
  BOOST_TEST(cl.opts.app_id == "app-1");
  BOOST_TEST(cl.opts.executor_id == "7");
  BOOST_TEST(cl.opts.host == "10.0.0.2");
  BOOST_TEST(cl.opts.cores == 3);
  BOOST_TEST(cl.opts.memory_mb == 1536);
  BOOST_TEST(cl.opts.work_dir == "/tmp/w/app-1/7");
  BOOST_TEST(cl.opts.driver_url == "troupe://10.0.0.1:5000");
  BOOST_TEST(cl.opts.task_max_failures == 3);
  BOOST_TEST(cl.opts.worker_child_stop_grace_ms == 1234);
  BOOST_TEST(cl.opts.executor_memory_mb == 1536);

  settings submitter;
  submitter.task_max_failures = 9;  // the submitter's conf wins over the worker's
  auto drv = driver_command(worker, {"troupe://10.0.0.9:7077", "driver-1", "10.0.0.2", to_conf_args(submitter),
                                     "word_count", {"in.txt", "--x"}});
  argv.clear();
  for (auto& a : drv)
    argv.push_back(a.c_str());
  cl = parse_command_line(static_cast<int>(argv.size()), argv.data());
  BOOST_TEST(cl.error.empty(), cl.error);
  BOOST_TEST((cl.opts.role == node_role::driver));
  BOOST_TEST(cl.opts.driver_id == "driver-1");
  BOOST_TEST(cl.opts.master.port == 7077);
  BOOST_TEST(cl.opts.task_max_failures == 9);
  BOOST_TEST(cl.opts.app == "word_count");
  BOOST_TEST((cl.opts.app_args == std::vector<std::string>{"in.txt", "--x"}));

  for (auto argv_strings : {master_command(worker, 0), worker_command(worker, 7077, 2, 1024, "/tmp/w")}) {
    argv.clear();
    for (auto& a : argv_strings)
      argv.push_back(a.c_str());
    cl = parse_command_line(static_cast<int>(argv.size()), argv.data());
    BOOST_TEST(cl.error.empty(), cl.error);
    BOOST_TEST(cl.opts.task_max_failures == 3);
  }
}

BOOST_AUTO_TEST_CASE(path_checks_give_the_os_reason) {
  BOOST_TEST(contains(check_writable_dir("--work-dir", "/dev/null/x"), "Not a directory"));
  BOOST_TEST(contains(check_writable_dir("--work-dir", "/dev/null/x"), "--work-dir '/dev/null/x'"));
  BOOST_TEST(!check_writable_dir("--work-dir", "").empty());
  auto dir = std::filesystem::temp_directory_path() / ("troupe-path-check-" + std::to_string(::getpid()));
  BOOST_TEST(check_writable_dir("--work-dir", (dir / "a" / "b").string()).empty());
  BOOST_TEST(std::filesystem::is_directory(dir / "a" / "b"));
  BOOST_TEST(contains(check_readable_file("FILE", (dir / "none").string()), "No such file"));
  BOOST_TEST(contains(check_readable_file("FILE", dir.string()), "not a regular file"));
  BOOST_TEST(contains(check_new_output_dir("OUT", dir.string()), "already exists"));
  BOOST_TEST(check_new_output_dir("OUT", (dir / "new").string()).empty());
  BOOST_TEST(contains(check_new_output_dir("OUT", "/proc/x/y"), "OUT '/proc/x/y'"));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(history_takes_a_dir_and_an_app_and_history_server_a_dir_and_port) {
  auto list = parse({"history", "/tmp/ev"});
  BOOST_TEST(list.error.empty(), list.error);
  BOOST_TEST(list.history_dir == "/tmp/ev");
  BOOST_TEST(list.history_app.empty());
  auto one = parse({"history", "/tmp/ev", "app-1"});
  BOOST_TEST(one.history_app == "app-1");
  BOOST_TEST(contains(parse({"history"}).error, "DIR"));
  BOOST_TEST(contains(parse({"history", "a", "b", "c"}).error, "'c'"));
  auto srv = parse({"history-server", "--dir", "/tmp"});
  BOOST_TEST(srv.error.empty(), srv.error);
  BOOST_TEST(srv.history_dir == "/tmp");
  BOOST_TEST(srv.opts.port == 18080);  // Spark's history server port
  BOOST_TEST(parse({"history-server", "--dir", "/tmp", "--port", "0"}).opts.port == 0);
  BOOST_TEST(contains(parse({"history-server"}).error, "--dir"));
  BOOST_TEST(contains(parse({"history-server", "--dir", "/nonexistent-dir"}).error, "/nonexistent-dir"));
  BOOST_TEST(contains(parse({"history-server", "--dir", "/tmp", "--port", "70000"}).error, "--port"));
}

BOOST_AUTO_TEST_SUITE_END()
