// agenthost under a Type=notify unit: the sd_notify datagrams it sends on the socket named by
// NOTIFY_SOCKET (a socket this test creates and reads), and the shipped unit file checked by
// systemd-analyze.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>

#include "support/HostProcess.h"

namespace agenthost::test {
namespace {

// A bound AF_UNIX datagram socket standing in for systemd's notify socket. `name` is a path, or
// an abstract name when it starts with '@' (as NOTIFY_SOCKET writes it).
class NotifySocket {
  public:
    explicit NotifySocket(std::string name) : name_(std::move(name)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, name_.data(), name_.size());
        const bool abstract = name_[0] == '@';
        if (abstract) address.sun_path[0] = '\0';
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size() +
                                                   (abstract ? 0 : 1));
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0)
            ADD_FAILURE() << "cannot bind " << name_ << ": " << std::strerror(errno);
    }
    ~NotifySocket() { ::close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    const std::string& name() const { return name_; }

    // The next datagram, or nothing if none arrives within `timeout`.
    std::optional<std::string> receive(
        std::chrono::milliseconds timeout = std::chrono::seconds(10 * kSanitizerSlowdown)) const {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
        std::array<char, 4096> buffer{};
        const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (n < 0) return std::nullopt;
        return std::string(buffer.data(), static_cast<std::size_t>(n));
    }

  private:
    std::string name_;
    int fd_ = -1;
};

// The VAR=value lines of one notify message, in order.
std::vector<std::string> lines(const std::string& message) {
    std::vector<std::string> out;
    std::istringstream in(message);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

bool hasLine(const std::string& message, const std::string& line) {
    for (const auto& l : lines(message))
        if (l == line) return true;
    return false;
}

bool hasLineStarting(const std::string& message, const std::string& prefix) {
    for (const auto& l : lines(message))
        if (l.rfind(prefix, 0) == 0 && l.size() > prefix.size()) return true;
    return false;
}

// The full life of a notified service: ready, a reload, a stop.
void expectNotifyLifecycle(const NotifySocket& notify) {
    HostConfig config;
    config.environment["NOTIFY_SOCKET"] = notify.name();
    HostProcess host(config);  // returns once /api/health answers

    const auto ready = notify.receive();
    ASSERT_TRUE(ready) << "no READY=1 after start; output:\n" << host.output();
    EXPECT_TRUE(hasLine(*ready, "READY=1")) << *ready;
    EXPECT_TRUE(hasLine(*ready, "MAINPID=" + std::to_string(host.pid()))) << *ready;
    EXPECT_TRUE(
        hasLine(*ready, "STATUS=serving 1 route(s) on 127.0.0.1:" + std::to_string(host.port())))
        << *ready;

    host.signal(SIGHUP);
    const auto reloading = notify.receive();
    ASSERT_TRUE(reloading) << "no RELOADING=1 after SIGHUP; output:\n" << host.output();
    EXPECT_TRUE(hasLine(*reloading, "RELOADING=1")) << *reloading;
    EXPECT_TRUE(hasLineStarting(*reloading, "MONOTONIC_USEC=")) << *reloading;
    const auto reloaded = notify.receive();
    ASSERT_TRUE(reloaded) << "no READY=1 after the reload; output:\n" << host.output();
    EXPECT_TRUE(hasLine(*reloaded, "READY=1")) << *reloaded;

    // Nothing else is sent while the server just serves.
    EXPECT_FALSE(notify.receive(std::chrono::milliseconds(200)));

    const int status = host.stop(SIGTERM);
    EXPECT_EQ(status, 0) << host.output();
    const auto stopping = notify.receive();
    ASSERT_TRUE(stopping) << "no STOPPING=1 after SIGTERM; output:\n" << host.output();
    EXPECT_TRUE(hasLine(*stopping, "STOPPING=1")) << *stopping;
}

TEST(ServiceTest, NotifiesReadyReloadingAndStoppingOnAPathSocket) {
    TempDir dir;
    NotifySocket notify(dir.file("notify.sock"));
    expectNotifyLifecycle(notify);
}

TEST(ServiceTest, NotifiesOnAnAbstractSocket) {
    NotifySocket notify("@agenthost-test-notify-" + std::to_string(::getpid()));
    expectNotifyLifecycle(notify);
}

TEST(ServiceTest, ARefusedReloadStillEndsWithReadyAndSaysWhy) {
    TempDir dir;
    NotifySocket notify(dir.file("notify.sock"));
    HostConfig config;
    config.environment["NOTIFY_SOCKET"] = notify.name();
    HostProcess host(config);
    ASSERT_TRUE(notify.receive());  // READY=1 after start

    host.writeConfigText("[server]\nport = not-a-number\n");
    host.signal(SIGHUP);
    const auto reloading = notify.receive();
    ASSERT_TRUE(reloading);
    EXPECT_TRUE(hasLine(*reloading, "RELOADING=1")) << *reloading;
    const auto ready = notify.receive();
    ASSERT_TRUE(ready);
    EXPECT_TRUE(hasLine(*ready, "READY=1")) << *ready;
    EXPECT_TRUE(hasLineStarting(*ready, "STATUS=reload refused (")) << *ready;
}

TEST(ServiceTest, WithoutNotifySocketNothingIsSentAndTheServerRuns) {
    HostProcess host;  // NOTIFY_SOCKET unset in the test's environment
    EXPECT_EQ(host.get("/api/health").status, 200);
}

// The unit as shipped, checked by systemd's own parser. ExecStart names /usr/bin/agenthost,
// which is only there once the package is installed: the copy checked here names the built one.
TEST(ServiceTest, UnitFilePassesSystemdAnalyzeVerify) {
    if (::system("systemd-analyze --version >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "systemd-analyze is not installed; the unit file is not verified";
    TempDir dir;
    std::string unit = readFile(AGENTHOST_UNIT_FILE);
    ASSERT_NE(unit.find("/usr/bin/agenthost"), std::string::npos);
    for (std::size_t at; (at = unit.find("/usr/bin/agenthost")) != std::string::npos;)
        unit.replace(at, std::strlen("/usr/bin/agenthost"), agenthostBinary());
    const std::string path = dir.write("agenthost.service", unit);
    const std::string out = dir.file("verify.out");
    const int rc = ::system(("systemd-analyze verify " + path + " >" + out + " 2>&1").c_str());
    const std::string report = readFile(out);
    if (rc != 0 && report.find("Failed to") != std::string::npos &&
        report.find("agenthost.service") == std::string::npos)
        GTEST_SKIP() << "systemd-analyze cannot run here:\n" << report;
    EXPECT_EQ(rc, 0) << report;
    // Any complaint about our unit (an unknown key, a bad value) is printed even when the
    // exit status is 0.
    EXPECT_EQ(report.find("agenthost.service:"), std::string::npos) << report;
}

}  // namespace
}  // namespace agenthost::test
