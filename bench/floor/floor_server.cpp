// The floor of the echo benchmark: the least a server can do and still answer the load
// client's echo mode (protocol 1) correctly. One thread, one epoll set, one recv and one send per
// burst; no conversation, no history, no log, no limits, no plugin. Its CPU per round trip is
// what the machine's kernel (loopback TCP, system calls, wake-ups) costs a server on its own,
// measured beside agenthost and aiohttp in the same run (bench/echo/ab.sh, BENCH_AB_FLOOR=1).
// Not a server for anything else: it trusts its client (the frames are not checked beyond
// what the echo needs).
//
// Usage: agenthost_floor_server PORT (0: any free port; the port is printed on standard output)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "Floor.h"

namespace {

using namespace agenthost::bench::floor;

struct Client {
    std::string in;
    bool upgraded = false;
    bool authenticated = false;
};

// Answers one client text message into `out`: the key, then echoes.
void answer(Client& client, std::string_view text, std::string& out) {
    if (!std::exchange(client.authenticated, true)) return appendAuthenticated(out);
    appendMessageFrame(out, jsonStringValue(text, "content"));
    appendCompleteFrame(out);
}

// Consumes the whole frames in client.in; false when the client sent Close or a frame this
// server does not take (the connection is then closed).
bool consumeFrames(Client& client, std::string& out) {
    std::size_t at = 0;
    ClientFrame frame;
    for (long used; (used = decodeFrame(std::string_view(client.in).substr(at), frame)) != 0;) {
        if (used < 0 || frame.opcode == 0x8) return false;
        at += static_cast<std::size_t>(used);
        if (frame.opcode == 0x1) answer(client, frame.payload, out);
    }
    client.in.erase(0, at);
    return true;
}

// Handles the bytes that arrived; false when the connection is to be closed.
bool onReadable(int fd, Client& client) {
    char buffer[16384];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (n <= 0) return false;
    client.in.append(buffer, static_cast<std::size_t>(n));
    std::string out;
    if (!client.upgraded) {
        const auto end = client.in.find("\r\n\r\n");
        if (end == std::string::npos) return true;
        out = upgradeAnswer(std::string_view(client.in).substr(0, end));
        client.in.erase(0, end + 4);
        client.upgraded = true;
    }
    if (!consumeFrames(client, out)) return false;
    // The answers are a few hundred bytes on a socket the client drains: one send takes them.
    return out.empty() ||
           ::send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size());
}

}  // namespace

int main(int argc, char** argv) {
    const int listener = listenOnLoopback(argc > 1 ? std::atoi(argv[1]) : 0, SOCK_NONBLOCK);
    if (listener < 0) return 1;
    const int yes = 1;
    const int poll = ::epoll_create1(0);
    epoll_event event{EPOLLIN, {.fd = listener}};
    ::epoll_ctl(poll, EPOLL_CTL_ADD, listener, &event);
    std::unordered_map<int, Client> clients;
    epoll_event ready[256];
    for (;;) {
        const int count = ::epoll_wait(poll, ready, 256, -1);
        for (int i = 0; i < count; ++i) {
            const int fd = ready[i].data.fd;
            if (fd == listener) {
                for (int client;
                     (client = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
                    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
                    epoll_event added{EPOLLIN, {.fd = client}};
                    ::epoll_ctl(poll, EPOLL_CTL_ADD, client, &added);
                    clients[client];
                }
                continue;
            }
            if (!onReadable(fd, clients[fd])) {
                ::close(fd);  // leaves the epoll set with its last descriptor
                clients.erase(fd);
            }
        }
    }
}
