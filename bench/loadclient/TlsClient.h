// The load client's TLS (--tls): one OpenSSL client object on a connection's non-blocking
// socket. The handshake is stepped from the epoll loop (SSL_connect until it stops asking for
// more bytes); reads and writes answer like recv/send (bytes, 0 at the end, -1 with errno
// EAGAIN when the socket has nothing more to give or take), so the WebSocket framing above
// them is the plain client's. The certificate is not verified: the bench makes a self-signed
// one for each run, and what is measured is the server's cost, not the client's trust.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

typedef struct ssl_st SSL;

namespace agenthost::bench {

class TlsClient {
  public:
    enum class Step { Done, Again, Failed };

    // Does not own `fd`; the connection closes it after destroying this object.
    explicit TlsClient(int fd);
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    // One step of the handshake; Again until the server's bytes have arrived.
    Step handshake();
    // Like recv/send: > 0 bytes, 0 when the server ended the session (close_notify or EOF),
    // -1 with errno set (EAGAIN: wait for the next epoll edge; EPROTO: see error()).
    ssize_t read(char* buffer, std::size_t size);
    ssize_t write(const char* data, std::size_t size);
    // Sends close_notify (the server then ends the session from its side).
    void shutdown();
    // What OpenSSL said about the last failure.
    const std::string& error() const { return error_; }

  private:
    // Maps the result of an SSL call to the recv/send convention.
    ssize_t result(int returned);

    SSL* ssl_ = nullptr;
    std::string error_;
};

}  // namespace agenthost::bench
