#include "TlsProbe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace agenthost::test {
namespace {

int connectTcp(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::string lastError() {
    char text[256] = "handshake failed";
    if (const unsigned long code = ERR_get_error(); code != 0)
        ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    return text;
}

void describePeer(SSL* ssl, TlsProbe& probe) {
    probe.version = SSL_get_version(ssl);
    const unsigned char* selected = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl, &selected, &length);
    probe.alpn.assign(reinterpret_cast<const char*>(selected), length);
    if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl))
        probe.chainLength = sk_X509_num(chain);
    if (X509* certificate = SSL_get1_peer_certificate(ssl)) {
        char name[256] = "";
        X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name,
                                  sizeof name);
        probe.commonName = name;
        X509_free(certificate);
    }
}

void exchange(SSL* ssl, const std::string& request, TlsProbe& probe) {
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    char buffer[4096];
    for (int n; (n = SSL_read(ssl, buffer, sizeof buffer)) > 0;)
        probe.response.append(buffer, static_cast<std::size_t>(n));
}

}  // namespace

TlsProbe probeTls(std::uint16_t port, int onlyVersion, const std::vector<std::string>& alpn,
                  const std::string& request) {
    TlsProbe probe;
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (onlyVersion != 0) {
        SSL_CTX_set_security_level(ctx, 0);  // else OpenSSL 3 refuses old versions itself
        SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
        SSL_CTX_set_min_proto_version(ctx, onlyVersion);
        SSL_CTX_set_max_proto_version(ctx, onlyVersion);
    }
    std::string protocols;
    for (const auto& name : alpn) protocols += static_cast<char>(name.size()) + name;
    if (!protocols.empty())
        SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(protocols.data()),
                                static_cast<unsigned int>(protocols.size()));
    const int fd = connectTcp(port);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    if (fd >= 0 && SSL_connect(ssl) == 1) {
        probe.connected = true;
        describePeer(ssl, probe);
        if (!request.empty()) exchange(ssl, request, probe);
        SSL_shutdown(ssl);
    } else {
        probe.error = lastError();
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
    return probe;
}

}  // namespace agenthost::test
