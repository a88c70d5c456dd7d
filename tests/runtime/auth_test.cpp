// The shared secret: the secret file rules, the HTTP token, the handshake
// both ways (right secret, wrong secret, not a troupe peer, bytes in pieces),
// and the guard's server side in front of a fake CAF listener.

#include "runtime/auth.hpp"
#include "runtime/frame_guard.hpp"
#include "runtime/http_options.hpp"
#include "runtime/outbound_relay.hpp"
#include "runtime/settings.hpp"
#include "tests/support/sockets.hpp"

#include <boost/test/unit_test.hpp>

#include <httplib.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

using namespace troupe;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() / ("troupe-auth-" + std::to_string(::getpid()) + "-" + auth::to_hex(auth::random_bytes(4)));
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text, fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
    auto p = path / name;
    std::ofstream{p} << text;
    fs::permissions(p, perms);
    return p.string();
  }
};

/// Runs both handshakes against each other, the bytes cut in pieces of `step`.
std::pair<auth::client_handshake::state, auth::server_handshake::state>
run(const std::string& client_secret, const std::string& server_secret, size_t step, std::string* extra = nullptr) {
  auth::client_handshake c{client_secret};
  auth::server_handshake s{server_secret};
  auto to_server = c.take_output();
  for (size_t i = 0; i < to_server.size() && s.current() == auth::server_handshake::state::want_hello; i += step)
    s.feed(to_server.data() + i, std::min(step, to_server.size() - i));
  auto to_client = s.take_output();
  for (size_t i = 0; i < to_client.size() && c.current() == auth::client_handshake::state::want_reply; i += step)
    c.feed(to_client.data() + i, std::min(step, to_client.size() - i));
  if (c.current() == auth::client_handshake::state::done) {
    auto proof = c.take_output() + (extra ? *extra : "");
    size_t taken = 0;
    for (size_t i = 0; i < proof.size() && s.current() == auth::server_handshake::state::want_proof; i += step)
      taken += s.feed(proof.data() + i, std::min(step, proof.size() - i));
    if (extra)
      BOOST_TEST(taken == auth::proof_size); // protocol bytes after the proof stay the node's
  }
  return {c.current(), s.current()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(shared_secret)

BOOST_AUTO_TEST_CASE(tls_files_come_together_and_must_be_pem) {
  temp_dir d;
  std::string err;
  BOOST_TEST(auth::check_tls_files("", "", "", err));
  BOOST_TEST(!auth::check_tls_files("/c.pem", "", "", err));
  BOOST_TEST(err.find("tls.key") != std::string::npos);
  BOOST_TEST(err.find("tls.cafile") != std::string::npos);
  auto junk = d.write("junk.pem", "not a certificate");
  BOOST_TEST(!auth::check_tls_files(junk, junk, junk, err));
  BOOST_TEST(err.find("tls.certificate") != std::string::npos);
  BOOST_TEST(!auth::check_tls_files((d.path / "gone").string(), junk, junk, err));
  BOOST_TEST(err.find("cannot be read") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(hmac_matches_rfc4231_case_2) {
  BOOST_TEST(auth::to_hex(auth::hmac_sha256("Jefe", "what do ya want for nothing?"))
             == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(token_is_derived_and_stable) {
  auto t = auth::http_token("s3cret");
  BOOST_TEST(t.size() == 64u);
  BOOST_TEST(t == auth::http_token("s3cret"));
  BOOST_TEST(t != auth::http_token("s3cres"));
  BOOST_TEST(t.find("s3cret") == std::string::npos);
  BOOST_TEST(t == auth::to_hex(auth::hmac_sha256("s3cret", "troupe-http")));
}

BOOST_AUTO_TEST_CASE(secret_file_rules) {
  temp_dir d;
  std::string secret, error, warning;
  BOOST_TEST(!auth::read_secret_file((d.path / "missing").string(), secret, error, warning));
  BOOST_TEST(error.find("missing") != std::string::npos);
  error.clear();
  BOOST_TEST(!auth::read_secret_file(d.write("empty", "\n"), secret, error, warning));
  BOOST_TEST(error.find("is empty") != std::string::npos);
  error.clear();
  BOOST_TEST(!auth::read_secret_file(d.path.string(), secret, error, warning));
  BOOST_TEST(error.find("not a regular file") != std::string::npos);
  error.clear();
  BOOST_TEST(auth::read_secret_file(d.write("ok", "abc\n"), secret, error, warning));
  BOOST_TEST(secret == "abc");
  BOOST_TEST(warning.empty());
  BOOST_TEST(auth::read_secret_file(d.write("open", "abc", fs::perms::owner_read | fs::perms::group_read), secret,
                                    error, warning));
  BOOST_TEST(warning.find("group or others") != std::string::npos);
  if (::geteuid() != 0) { // root reads anything
    error.clear();
    BOOST_TEST(!auth::read_secret_file(d.write("locked", "abc", fs::perms::none), secret, error, warning));
    BOOST_TEST(error.find("cannot be read") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(handshake_right_secret_passes_in_any_pieces) {
  for (size_t step : {1u, 3u, 36u, 1000u}) {
    auto [c, s] = run("k", "k", step);
    BOOST_TEST((c == auth::client_handshake::state::done));
    BOOST_TEST((s == auth::server_handshake::state::done));
  }
  std::string extra = "BASP-bytes";
  auto [c, s] = run("k", "k", 1000, &extra);
  BOOST_TEST((s == auth::server_handshake::state::done));
}

BOOST_AUTO_TEST_CASE(handshake_wrong_secret_fails_both_ways) {
  // The client checks the server's proof first: it never sends its own.
  auto [c, s] = run("k", "other", 7);
  BOOST_TEST((c == auth::client_handshake::state::failed));
  BOOST_TEST((s == auth::server_handshake::state::want_proof));
  // A server that accepts any reply (a forger) still fails the client's proof check.
  auth::server_handshake srv{"k"};
  auth::client_handshake hello{"k"};
  auto h = hello.take_output();
  srv.feed(h.data(), h.size());
  std::string forged(auth::proof_size, 'x');
  srv.feed(forged.data(), forged.size());
  BOOST_TEST((srv.current() == auth::server_handshake::state::failed));
  BOOST_TEST(srv.reason().find("wrong secret") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(handshake_refuses_a_basp_peer_at_its_first_byte) {
  auth::server_handshake srv{"k"};
  std::string basp = troupe::testing::basp_header(1, 100);
  BOOST_TEST(srv.feed(basp.data(), basp.size()) <= auth::hello_size);
  BOOST_TEST((srv.current() == auth::server_handshake::state::failed));
  BOOST_TEST(srv.take_output().empty()); // nothing sent to a stranger
  auth::client_handshake cl{"k"};
  cl.take_output();
  cl.feed(basp.data(), basp.size());
  BOOST_TEST((cl.current() == auth::client_handshake::state::failed));
}

BOOST_AUTO_TEST_CASE(relay_and_guard_pass_the_right_secret_only) {
  // A fake node behind a guard with the secret: echo what arrives.
  uint16_t caf_port = 0;
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto a = troupe::testing::loopback_address(0);
  BOOST_REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  BOOST_REQUIRE(::listen(lfd, 16) == 0);
  socklen_t len = sizeof a;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  caf_port = ntohs(a.sin_port);
  frame_guard_options o;
  o.target_port = caf_port;
  o.secret = "k";
  o.name = "auth-test";
  std::string err;
  auto g = frame_guard::start(o, err);
  BOOST_REQUIRE_MESSAGE(g, err);
  // Wrong secret: the relay's connection is closed and nothing reaches the node.
  auto bad = outbound_relay::instance().port_for("wrong", "127.0.0.1", g->port(), err);
  BOOST_REQUIRE(bad != 0);
  int c1 = troupe::testing::dial_loopback(bad);
  auto hdr = troupe::testing::basp_header(1, 0);
  ::send(c1, hdr.data(), hdr.size(), MSG_NOSIGNAL);
  pollfd p{c1, POLLIN, 0};
  BOOST_REQUIRE(::poll(&p, 1, 3000) == 1);
  char b[64];
  BOOST_TEST(::recv(c1, b, sizeof b, 0) <= 0);
  ::close(c1);
  pollfd pl{lfd, POLLIN, 0};
  BOOST_TEST(::poll(&pl, 1, 100) == 0); // the node saw no connection
  BOOST_TEST(outbound_relay::instance().failures() >= 1u); // the client found the server unproven first
  // Right secret: bytes reach the node.
  auto good = outbound_relay::instance().port_for("k", "127.0.0.1", g->port(), err);
  int c2 = troupe::testing::dial_loopback(good);
  ::send(c2, hdr.data(), hdr.size(), MSG_NOSIGNAL);
  BOOST_REQUIRE(::poll(&pl, 1, 3000) == 1);
  int n = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  BOOST_REQUIRE(n >= 0);
  pollfd pn{n, POLLIN, 0};
  BOOST_REQUIRE(::poll(&pn, 1, 3000) == 1);
  BOOST_TEST(::recv(n, b, sizeof b, 0) == static_cast<ssize_t>(hdr.size()));
  ::close(n);
  ::close(c2);
  ::close(lfd);
  g->stop();
}

BOOST_AUTO_TEST_CASE(http_options_carry_the_token_and_tls) {
  temp_dir d;
  settings s;
  s.auth_secret_file = d.write("secret", "s3cret");
  http::server_options o;
  std::string err;
  BOOST_REQUIRE(http_options_from(s, "ui", 0, 1, o, err));
  BOOST_TEST(o.token == auth::http_token("s3cret"));
  BOOST_TEST(!o.public_reads);
  s.tls_certificate = "/x.pem";
  BOOST_TEST(!http_options_from(s, "ui", 0, 1, o, err));
  BOOST_TEST(err.find("tls.key") != std::string::npos);
  s.tls_key = "/x.key";
  BOOST_REQUIRE(http_options_from(s, "ui", 0, 1, o, err));
  BOOST_TEST(o.tls_certificate == "/x.pem");
  s.auth_secret_file = (d.path / "gone").string();
  BOOST_TEST(!http_options_from(s, "ui", 0, 1, o, err));
}

BOOST_AUTO_TEST_CASE(http_call_wrong_missing_right_token) {
  temp_dir d;
  settings s;
  s.host = "127.0.0.1";
  s.auth_secret_file = d.write("secret", "s3cret");
  http::server_options o;
  std::string err;
  BOOST_REQUIRE(http_options_from(s, "test", 0, 1, o, err));
  http::server srv;
  srv.route("GET", "/state", http::access::read, [](const http::request&) { return http::response::json("{}"); });
  srv.route("POST", "/kill", http::access::write, [](const http::request&) { return http::response::json("{}"); });
  BOOST_REQUIRE_MESSAGE(srv.start(o, err), err);
  httplib::Client c("127.0.0.1", srv.port());
  auto none = c.Post("/kill", "", "application/json");
  BOOST_REQUIRE(none);
  BOOST_TEST(none->status == 401);
  auto wrong = c.Post("/kill", httplib::Headers{{"Authorization", "Bearer " + auth::http_token("other")}}, "",
                      "application/json");
  BOOST_REQUIRE(wrong);
  BOOST_TEST(wrong->status == 401);
  auto right = c.Post("/kill", httplib::Headers{{"Authorization", "Bearer " + auth::http_token("s3cret")}}, "",
                      "application/json");
  BOOST_REQUIRE(right);
  BOOST_TEST(right->status == 200);
  auto read = c.Get("/state");
  BOOST_REQUIRE(read);
  BOOST_TEST(read->status == 401); // ui.public=false: reads need it too
}

BOOST_AUTO_TEST_CASE(exposure_warning_only_beyond_loopback_without_secret) {
  settings s;
  s.host = "127.0.0.1";
  BOOST_TEST(exposure_warning(s, true).empty());
  s.host = "0.0.0.0";
  BOOST_TEST(exposure_warning(s, false).find("node port") != std::string::npos);
  BOOST_TEST(exposure_warning(s, true).find("REST") != std::string::npos);
  s.host = "127.0.0.1";
  s.tls_certificate = "/node.pem";
  BOOST_TEST(exposure_warning(s, false).find("auth.secret-file as well") != std::string::npos);
  s.auth_secret_file = "/some/secret";
  BOOST_TEST(exposure_warning(s, true).empty());
}

BOOST_AUTO_TEST_SUITE_END()
