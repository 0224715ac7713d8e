#include "net/TlsContext.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <ctime>
#include <stdexcept>

namespace agenthost::net {
namespace {

// Mozilla's "intermediate" TLS 1.2 suites; TLS 1.3 keeps OpenSSL's (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string opensslError(const std::string& what) {
    std::string text = what;
    const unsigned long code = ERR_get_error();
    if (code != 0) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        text += ": " + std::string(buffer);
    }
    ERR_clear_error();
    return text;
}

// Picks http/1.1 when the client offers it; a client offering only other protocols (h2)
// continues without ALPN rather than failing.
int selectAlpn(SSL*, const unsigned char** out, unsigned char* outLength, const unsigned char* in,
               unsigned int inLength, void*) {
    static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outLength, kHttp11, sizeof kHttp11, in, inLength) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

std::string iso8601(const ASN1_TIME* time) {
    struct tm parts {};
    if (ASN1_TIME_to_tm(time, &parts) != 1) return "unknown";
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return buffer;
}

}  // namespace

TlsContext::~TlsContext() {
    SSL_CTX_free(ctx_);
}

std::shared_ptr<const TlsContext> TlsContext::load(const std::string& certPath,
                                                   const std::string& keyPath) {
    std::shared_ptr<TlsContext> context(new TlsContext);
    context->certPath_ = certPath;
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr) throw std::runtime_error(opensslError("cannot create a TLS context"));
    context->ctx_ = ctx;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
    // Idle connections give their read and write buffers back (about 34 kB each); the outbound
    // buffer can move between retries of a partial write.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1)
        throw std::runtime_error(opensslError("cannot set the cipher suites"));
    SSL_CTX_set_alpn_select_cb(ctx, selectAlpn, nullptr);
    if (SSL_CTX_use_certificate_chain_file(ctx, certPath.c_str()) != 1)
        throw std::runtime_error(opensslError("cannot read the certificate chain " + certPath));
    if (SSL_CTX_use_PrivateKey_file(ctx, keyPath.c_str(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL compares the key with the certificate while loading it.
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            throw std::runtime_error(opensslError("the private key " + keyPath +
                                                  " does not match the certificate " + certPath));
        throw std::runtime_error(opensslError("cannot read the private key " + keyPath));
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        throw std::runtime_error(
            opensslError("the private key " + keyPath + " does not match the certificate"));
    X509* certificate = SSL_CTX_get0_certificate(ctx);
    context->notAfter_ = iso8601(X509_get0_notAfter(certificate));
    if (X509_cmp_current_time(X509_get0_notAfter(certificate)) <= 0)
        throw std::runtime_error("the certificate " + certPath + " expired on " +
                                 context->notAfter_);
    if (X509_cmp_current_time(X509_get0_notBefore(certificate)) > 0)
        throw std::runtime_error("the certificate " + certPath + " is not valid before " +
                                 iso8601(X509_get0_notBefore(certificate)));
    char subject[256];
    X509_NAME_oneline(X509_get_subject_name(certificate), subject, sizeof subject);
    context->subject_ = subject;
    return context;
}

}  // namespace agenthost::net
