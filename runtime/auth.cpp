#include "runtime/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/rand.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace troupe::auth {

bool read_secret_file(const std::string& path, std::string& secret, std::string& error, std::string& warning) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    error = "auth.secret-file '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "auth.secret-file '" + path + "' is not a regular file";
    return false;
  }
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    error = "auth.secret-file '" + path + "' cannot be read: " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  secret = ss.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
    secret.pop_back();
  if (secret.empty()) {
    error = "auth.secret-file '" + path + "' is empty";
    return false;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    warning = "auth.secret-file '" + path + "' may be read by group or others (chmod 600 it)";
  return true;
}

namespace {

/// Loads the first PEM object of `path` with `load`; false and `error` when it cannot.
template <class Load>
bool loads(const std::string& key, const std::string& path, Load load, std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    error = key + " '" + path + "' cannot be read: " + std::strerror(errno);
    return false;
  }
  bool ok = load(f);
  std::fclose(f);
  if (!ok)
    error = key + " '" + path + "' holds no PEM " + (key == "tls.key" ? "private key" : "certificate");
  return ok;
}

} // namespace

bool check_tls_files(const std::string& certificate, const std::string& key, const std::string& cafile,
                     std::string& error) {
  if (certificate.empty() && key.empty() && cafile.empty())
    return true;
  if (certificate.empty() || key.empty() || cafile.empty()) {
    error = "TLS needs tls.certificate, tls.key and tls.cafile together (missing: "
            + std::string{certificate.empty() ? "tls.certificate " : ""} + (key.empty() ? "tls.key " : "")
            + (cafile.empty() ? "tls.cafile" : "") + ")";
    while (error.size() > 1 && error[error.size() - 2] == ' ')
      error.erase(error.size() - 2, 1);
    return false;
  }
  auto x509 = [](std::FILE* f) {
    X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
    X509_free(x);
    return x != nullptr;
  };
  auto pkey = [](std::FILE* f) {
    EVP_PKEY* k = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    EVP_PKEY_free(k);
    return k != nullptr;
  };
  return loads("tls.certificate", certificate, x509, error) && loads("tls.key", key, pkey, error)
         && loads("tls.cafile", cafile, x509, error);
}

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
    throw std::runtime_error("HMAC-SHA256 failed");
  return std::string{reinterpret_cast<char*>(out), len};
}

std::string to_hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string http_token(const std::string& secret) { return to_hex(hmac_sha256(secret, "troupe-http")); }

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("no random bytes from OpenSSL");
  return out;
}

namespace {

std::string server_mac(const std::string& s, const std::string& cn, const std::string& sn) {
  return hmac_sha256(s, "troupe-server" + cn + sn);
}

std::string client_mac(const std::string& s, const std::string& cn, const std::string& sn) {
  return hmac_sha256(s, "troupe-client" + cn + sn);
}

bool same(const std::string& a, const char* b, size_t n) {
  return a.size() == n && CRYPTO_memcmp(a.data(), b, n) == 0;
}

/// Moves bytes into `buf` until it holds `want`; returns how many were taken.
size_t collect(std::string& buf, size_t want, const char* data, size_t n) {
  auto k = std::min(want - buf.size(), n);
  buf.append(data, k);
  return k;
}

} // namespace

// -- server_handshake -------------------------------------------------------------

server_handshake::server_handshake(std::string secret) : secret_(std::move(secret)) {}

size_t server_handshake::feed(const char* data, size_t n) {
  size_t taken = 0;
  if (state_ == state::want_hello) {
    taken += collect(buf_, hello_size, data, n);
    // Refuse as soon as the opening bytes cannot be a hello (e.g. a BASP handshake).
    auto head = std::min(buf_.size(), sizeof magic);
    if (std::memcmp(buf_.data(), magic, head) != 0) {
      state_ = state::failed;
      reason_ = "no secret handshake (a peer without auth.secret-file, or not a troupe node)";
      return taken;
    }
    if (buf_.size() < hello_size)
      return taken;
    client_nonce_ = buf_.substr(sizeof magic);
    server_nonce_ = random_bytes(nonce_size);
    output_ = std::string{magic, sizeof magic} + server_nonce_ + server_mac(secret_, client_nonce_, server_nonce_);
    buf_.clear();
    state_ = state::want_proof;
  }
  if (state_ == state::want_proof) {
    taken += collect(buf_, proof_size, data + taken, n - taken);
    if (buf_.size() < proof_size)
      return taken;
    auto expected = client_mac(secret_, client_nonce_, server_nonce_);
    if (!same(expected, buf_.data(), proof_size)) {
      state_ = state::failed;
      reason_ = "wrong secret (the peer's proof does not match auth.secret-file)";
    } else {
      state_ = state::done;
    }
    buf_.clear();
  }
  return taken;
}

std::string server_handshake::take_output() { return std::exchange(output_, {}); }

// -- client_handshake -------------------------------------------------------------

client_handshake::client_handshake(std::string secret)
  : secret_(std::move(secret)), client_nonce_(random_bytes(nonce_size)) {
  output_ = std::string{magic, sizeof magic} + client_nonce_;
}

size_t client_handshake::feed(const char* data, size_t n) {
  if (state_ != state::want_reply)
    return 0;
  auto taken = collect(buf_, reply_size, data, n);
  auto head = std::min(buf_.size(), sizeof magic);
  if (std::memcmp(buf_.data(), magic, head) != 0) {
    state_ = state::failed;
    reason_ = "the peer answered no secret handshake (a node without auth.secret-file, or not a troupe node)";
    return taken;
  }
  if (buf_.size() < reply_size)
    return taken;
  auto server_nonce = buf_.substr(sizeof magic, nonce_size);
  auto expected = server_mac(secret_, client_nonce_, server_nonce);
  if (!same(expected, buf_.data() + sizeof magic + nonce_size, mac_size)) {
    state_ = state::failed;
    reason_ = "the peer does not hold the secret (its proof does not match auth.secret-file)";
    return taken;
  }
  output_ = client_mac(secret_, client_nonce_, server_nonce);
  state_ = state::done;
  return taken;
}

std::string client_handshake::take_output() { return std::exchange(output_, {}); }

} // namespace troupe::auth
