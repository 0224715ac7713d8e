#include "StalledHeads.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace agenthost::bench {

StalledHeads::StalledHeads(int epoll, std::string host, int port, std::string route)
    : epoll_(epoll),
      host_(std::move(host)),
      port_(port),
      partialHead_("GET /api/" + route + "/ws HTTP/1.1\r\nHost: x\r\n") {}

StalledHeads::~StalledHeads() {
    for (const int fd : fds_)
        if (fd >= 0) ::close(fd);
}

std::size_t StalledHeads::open(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        fds_.push_back(-1);
        openedAt_.push_back(Clock::now());
        fds_.back() = openOne(fds_.size() - 1);
    }
    return held();
}

// A blocking connect and send (the head is 40 bytes), then non-blocking in the epoll set, where
// only the server's answer or hang-up raises an event.
int StalledHeads::openOne(std::size_t index) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port_));
    ::inet_pton(AF_INET, host_.c_str(), &address.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::send(fd, partialHead_.data(), partialHead_.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(partialHead_.size())) {
        ::close(fd);
        return -1;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    event.data.u64 = kTag | index;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
    openedAt_[index] = Clock::now();
    return fd;
}

void StalledHeads::onEvent(std::size_t index) {
    const int fd = fds_[index];
    if (fd < 0) return;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            if (serverSaid_.empty()) {
                const std::string text(buffer, static_cast<std::size_t>(n));
                serverSaid_ = text.substr(0, text.find("\r\n"));
            }
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // still open
        break;  // closed or reset by the server
    }
    ++closedByServer_;
    if (firstClosedAgeS_ < 0)
        firstClosedAgeS_ = std::chrono::duration<double>(Clock::now() - openedAt_[index]).count();
    ::close(fd);
    fds_[index] = openOne(index);
}

std::size_t StalledHeads::held() const {
    return static_cast<std::size_t>(
        std::count_if(fds_.begin(), fds_.end(), [](int fd) { return fd >= 0; }));
}

}  // namespace agenthost::bench
