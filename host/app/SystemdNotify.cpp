#include "app/SystemdNotify.h"

#include <Poco/Logger.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace agenthost::app {
namespace {

long long monotonicMicros() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

}  // namespace

SystemdNotify SystemdNotify::fromEnvironment() {
    const char* path = std::getenv("NOTIFY_SOCKET");
    return SystemdNotify(path ? path : "");
}

void SystemdNotify::ready(const std::string& status) const {
    send("READY=1\nSTATUS=" + status + "\nMAINPID=" + std::to_string(::getpid()));
}

void SystemdNotify::reloading() const {
    send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonicMicros()) +
         "\nSTATUS=reloading the configuration");
}

void SystemdNotify::stopping() const {
    send("STOPPING=1\nSTATUS=stopping");
}

void SystemdNotify::send(const std::string& message) const {
    if (!enabled()) return;
    auto& log = Poco::Logger::get("agenthost");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socketPath_.size() >= sizeof(address.sun_path) ||
        (socketPath_[0] != '/' && socketPath_[0] != '@')) {
        log.warning("NOTIFY_SOCKET \"" + socketPath_ + "\" is not a socket path; not notifying");
        return;
    }
    std::memcpy(address.sun_path, socketPath_.data(), socketPath_.size());
    if (socketPath_[0] == '@') address.sun_path[0] = '\0';  // abstract namespace
    // An abstract name has no terminating NUL: the length says where it ends.
    const auto length = static_cast<socklen_t>(
        offsetof(sockaddr_un, sun_path) + socketPath_.size() + (socketPath_[0] == '@' ? 0 : 1));
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log.warning(std::string("sd_notify: cannot create a socket: ") + std::strerror(errno));
        return;
    }
    if (::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&address), length) < 0)
        log.warning("sd_notify: cannot send to " + socketPath_ + ": " + std::strerror(errno));
    ::close(fd);
}

}  // namespace agenthost::app
