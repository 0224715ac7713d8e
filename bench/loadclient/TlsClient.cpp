#include "TlsClient.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <stdexcept>

namespace agenthost::bench {
namespace {

// One context for every connection: TLS 1.2 and 1.3 (what the host accepts), ALPN http/1.1,
// no verification, and buffers released while a connection is idle (10,000 of them are held).
SSL_CTX* clientContext() {
    static SSL_CTX* context = [] {
        SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
        if (ctx == nullptr) throw std::runtime_error("SSL_CTX_new failed");
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
        SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        // Every connection is a full handshake: no session is cached for resumption.
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        static const unsigned char kAlpn[] = "\x08http/1.1";
        SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn - 1);
        return ctx;
    }();
    return context;
}

std::string lastError() {
    const unsigned long code = ERR_get_error();
    if (code == 0) return "TLS error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

}  // namespace

TlsClient::TlsClient(int fd) : ssl_(SSL_new(clientContext())) {
    if (ssl_ == nullptr) throw std::runtime_error("SSL_new failed");
    SSL_set_fd(ssl_, fd);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SSL_set_connect_state(ssl_);
}

TlsClient::~TlsClient() {
    SSL_free(ssl_);
}

TlsClient::Step TlsClient::handshake() {
    ERR_clear_error();
    const int returned = SSL_connect(ssl_);
    if (returned == 1) return Step::Done;
    const int code = SSL_get_error(ssl_, returned);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return Step::Again;
    error_ = code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0
                 ? "the server closed the connection during the handshake"
                 : lastError();
    return Step::Failed;
}

ssize_t TlsClient::result(int returned) {
    if (returned > 0) return returned;
    const int code = SSL_get_error(ssl_, returned);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    if (code == SSL_ERROR_ZERO_RETURN) return 0;
    // OpenSSL 3 reports a TCP end without close_notify as an SSL error ("unexpected eof"),
    // older versions as SSL_ERROR_SYSCALL with errno 0: both are the server hanging up.
    if (code == SSL_ERROR_SYSCALL && errno == 0) return 0;
    if (code == SSL_ERROR_SYSCALL) return -1;  // errno says why (ECONNRESET, EPIPE)
    const unsigned long reason = ERR_peek_error();
    if (ERR_GET_REASON(reason) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return 0;
    }
    error_ = lastError();
    errno = EPROTO;
    return -1;
}

ssize_t TlsClient::read(char* buffer, std::size_t size) {
    ERR_clear_error();
    errno = 0;
    return result(SSL_read(ssl_, buffer, static_cast<int>(size)));
}

ssize_t TlsClient::write(const char* data, std::size_t size) {
    ERR_clear_error();
    errno = 0;
    return result(SSL_write(ssl_, data, static_cast<int>(size)));
}

void TlsClient::shutdown() {
    ERR_clear_error();
    SSL_shutdown(ssl_);
}

}  // namespace agenthost::bench
