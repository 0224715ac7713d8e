// The server's TLS settings and certificate: an OpenSSL SSL_CTX for TLS 1.2 and 1.3 only,
// modern cipher suites (forward secrecy, AEAD), ALPN http/1.1, and the certificate chain and
// key (ECDSA or RSA) read from PEM files. Immutable once loaded; a reload loads a new one and
// new connections take it, while open connections keep the one they started with (each SSL
// holds a reference to its SSL_CTX).
#pragma once

#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace agenthost::net {

class TlsContext {
  public:
    // Reads and checks the pair: both readable PEM, the key matches the certificate, the
    // certificate is valid now. Throws std::runtime_error saying what is wrong.
    static std::shared_ptr<const TlsContext> load(const std::string& certPath,
                                                  const std::string& keyPath);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    SSL_CTX* get() const { return ctx_; }
    const std::string& certPath() const { return certPath_; }
    const std::string& notAfter() const { return notAfter_; }  // e.g. "2027-02-25T10:00:00Z"
    const std::string& subject() const { return subject_; }

  private:
    TlsContext() = default;

    SSL_CTX* ctx_ = nullptr;
    std::string certPath_;
    std::string notAfter_;
    std::string subject_;
};

}  // namespace agenthost::net
