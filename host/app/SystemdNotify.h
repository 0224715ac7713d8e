// The systemd notification protocol (sd_notify), spoken directly: one datagram per state change
// on the AF_UNIX socket named by NOTIFY_SOCKET. Without that variable every call does nothing,
// so the server behaves the same outside a Type=notify unit.
#pragma once

#include <string>

namespace agenthost::app {

class SystemdNotify {
  public:
    // Reads NOTIFY_SOCKET: a path, or an abstract socket name when it starts with '@'.
    static SystemdNotify fromEnvironment();

    bool enabled() const { return !socketPath_.empty(); }

    // The listener is open and the routes are loaded (also sent when a reload is done).
    void ready(const std::string& status) const;
    // A SIGHUP reload starts; MONOTONIC_USEC lets Type=notify-reload match it to the signal.
    void reloading() const;
    void stopping() const;

  private:
    explicit SystemdNotify(std::string socketPath) : socketPath_(std::move(socketPath)) {}
    // Sends `message` (newline-separated VAR=value lines); a failure is logged, never fatal.
    void send(const std::string& message) const;

    std::string socketPath_;
};

}  // namespace agenthost::app
