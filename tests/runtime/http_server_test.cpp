// The HTTP layer over real loopback sockets: routes, captures, tokens, the
// next-free-port rule, bounded bodies and handler exceptions.

#include "runtime/http_server.hpp"

#include <boost/test/unit_test.hpp>

#include <httplib.h>

#include <string>

using namespace troupe;

namespace {

http::server_options loopback(std::string token = "", bool public_reads = false) {
  http::server_options o;
  o.name = "test";
  o.host = "127.0.0.1";
  o.port = 0;
  o.token = std::move(token);
  o.public_reads = public_reads;
  o.max_body_bytes = 1024;
  return o;
}

void add_routes(http::server& s) {
  s.route("GET", "/items/([0-9]+)", http::access::read, [](const http::request& r) {
    return http::response::json("{\"id\":" + r.captures.at(0) + ",\"q\":\"" + r.param("q", "none") + "\"}");
  });
  s.route("POST", "/items", http::access::write,
          [](const http::request& r) { return http::response::json("{\"len\":" + std::to_string(r.body.size()) + "}", 201); });
  s.route("GET", "/boom", http::access::read,
          [](const http::request&) -> http::response { throw std::runtime_error("handler \"failed\""); });
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_server)

BOOST_AUTO_TEST_CASE(routes_captures_and_errors_answer_json) {
  http::server s;
  add_routes(s);
  std::string err;
  BOOST_REQUIRE_MESSAGE(s.start(loopback(), err), err);
  BOOST_REQUIRE(s.port() != 0);
  BOOST_CHECK_EQUAL(s.url(), "http://127.0.0.1:" + std::to_string(s.port()));
  httplib::Client c("127.0.0.1", s.port());
  auto r = c.Get("/items/42?q=x");
  BOOST_REQUIRE(r);
  BOOST_CHECK_EQUAL(r->status, 200);
  BOOST_CHECK_EQUAL(r->body, "{\"id\":42,\"q\":\"x\"}");
  BOOST_CHECK_EQUAL(r->get_header_value("Content-Type"), "application/json");
  auto missing = c.Get("/nope");
  BOOST_REQUIRE(missing);
  BOOST_CHECK_EQUAL(missing->status, 404);
  BOOST_CHECK(missing->body.find("no such page: /nope") != std::string::npos);
  auto boom = c.Get("/boom");
  BOOST_REQUIRE(boom);
  BOOST_CHECK_EQUAL(boom->status, 500);
  BOOST_CHECK_EQUAL(boom->body, "{\"error\":\"handler \\\"failed\\\"\"}");
  auto big = c.Post("/items", std::string(4096, 'x'), "text/plain");
  BOOST_REQUIRE(big);
  BOOST_CHECK_EQUAL(big->status, 413);
  auto ok = c.Post("/items", std::string(10, 'x'), "text/plain");
  BOOST_REQUIRE(ok);
  BOOST_CHECK_EQUAL(ok->status, 201);
  BOOST_CHECK(s.served() >= 3);
  s.stop();
  s.stop(); // idempotent
  BOOST_CHECK(!httplib::Client("127.0.0.1", s.port()).Get("/items/1"));
}

BOOST_AUTO_TEST_CASE(a_token_guards_writes_and_private_reads) {
  http::server s;
  add_routes(s);
  std::string err;
  BOOST_REQUIRE_MESSAGE(s.start(loopback("s3cret"), err), err);
  httplib::Client c("127.0.0.1", s.port());
  auto anon = c.Get("/items/1");
  BOOST_REQUIRE(anon);
  BOOST_CHECK_EQUAL(anon->status, 401);
  BOOST_CHECK_EQUAL(anon->get_header_value("WWW-Authenticate"), "Bearer");
  auto wrong = c.Get("/items/1", httplib::Headers{{"Authorization", "Bearer s3cre"}});
  BOOST_REQUIRE(wrong);
  BOOST_CHECK_EQUAL(wrong->status, 401);
  auto right = c.Get("/items/1", httplib::Headers{{"Authorization", "Bearer s3cret"}});
  BOOST_REQUIRE(right);
  BOOST_CHECK_EQUAL(right->status, 200);
  auto link = c.Get("/items/1?token=s3cret");
  BOOST_REQUIRE(link);
  BOOST_CHECK_EQUAL(link->status, 200);
  auto post_anon = c.Post("/items", "x", "text/plain");
  BOOST_REQUIRE(post_anon);
  BOOST_CHECK_EQUAL(post_anon->status, 401);
}

BOOST_AUTO_TEST_CASE(public_reads_still_guard_writes) {
  http::server s;
  add_routes(s);
  std::string err;
  BOOST_REQUIRE_MESSAGE(s.start(loopback("s3cret", true), err), err);
  httplib::Client c("127.0.0.1", s.port());
  auto read = c.Get("/items/7");
  BOOST_REQUIRE(read);
  BOOST_CHECK_EQUAL(read->status, 200);
  auto write = c.Post("/items?token=s3cret", "x", "text/plain");
  BOOST_REQUIRE(write);
  BOOST_CHECK_EQUAL(write->status, 401); // ?token= is for read links only
  auto write_ok = c.Post("/items", httplib::Headers{{"Authorization", "Bearer s3cret"}}, "x", "text/plain");
  BOOST_REQUIRE(write_ok);
  BOOST_CHECK_EQUAL(write_ok->status, 201);
}

BOOST_AUTO_TEST_CASE(a_taken_port_moves_to_the_next_when_allowed) {
  http::server first;
  add_routes(first);
  std::string err;
  BOOST_REQUIRE_MESSAGE(first.start(loopback(), err), err);
  auto opts = loopback();
  opts.port = first.port();
  http::server strict;
  BOOST_CHECK(!strict.start(opts, err));
  BOOST_CHECK(err.find("cannot bind 127.0.0.1:" + std::to_string(first.port())) != std::string::npos);
  opts.port_tries = 8;
  http::server moving;
  add_routes(moving);
  BOOST_REQUIRE_MESSAGE(moving.start(opts, err), err);
  BOOST_CHECK(moving.port() > first.port());
  BOOST_CHECK(moving.port() < first.port() + 8);
}

BOOST_AUTO_TEST_CASE(tls_needs_loadable_files) {
  http::server s;
  auto opts = loopback();
  opts.tls_certificate = "/nonexistent/cert.pem";
  std::string err;
  BOOST_CHECK(!s.start(opts, err));
  BOOST_CHECK(err.find("both tls.certificate and tls.key") != std::string::npos);
  opts.tls_key = "/nonexistent/key.pem";
  http::server s2;
  BOOST_CHECK(!s2.start(opts, err));
  BOOST_CHECK(err.find("cannot load TLS certificate '/nonexistent/cert.pem'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bearer_and_escape_helpers) {
  BOOST_CHECK(http::bearer_matches("Bearer abc", "abc"));
  BOOST_CHECK(!http::bearer_matches("Bearer abd", "abc"));
  BOOST_CHECK(!http::bearer_matches("bearer abc", "abc"));
  BOOST_CHECK(!http::bearer_matches("Bearer ", ""));
  BOOST_CHECK_EQUAL(http::html_escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
}

BOOST_AUTO_TEST_SUITE_END()
