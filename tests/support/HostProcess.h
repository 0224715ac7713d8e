// A real agenthost process for integration tests: writes an ini into a temp dir, starts
// build/bin/agenthost on a free loopback port, waits until /api/health answers, and stops it
// with SIGTERM on destruction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "support/TempDir.h"

namespace agenthost::test {

inline constexpr const char* kTestKey = "test-key-0123456789";

struct HostConfig {
    // Extra `key = value` lines for [server] (host, port and state_dir are set by the harness).
    std::map<std::string, std::string> server;
    // Every other section. The default: one key (kTestKey) and the echo plugin at /api/echo/ws.
    std::string sections =
        "[key.test]\nsecret = test-key-0123456789\n\n[plugin.echo]\nlibrary = echo\n";
    std::string pluginDirectory = AGENTHOST_PLUGIN_DIR;
};

struct HttpResult {
    int status = 0;
    std::string body;
};

class HostProcess {
  public:
    explicit HostProcess(const HostConfig& config = {});
    ~HostProcess();
    HostProcess(const HostProcess&) = delete;
    HostProcess& operator=(const HostProcess&) = delete;

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    const TempDir& dir() const { return dir_; }
    const std::string& configPath() const { return configPath_; }

    // Rewrites the ini (for reload tests); same port and state dir.
    void writeConfig(const HostConfig& config);

    // Everything the process printed so far (stdout and stderr).
    std::string output() const;
    // Waits until output() contains `text`.
    bool waitForOutput(const std::string& text,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

    void signal(int signal) const;
    // Sends `signal` and waits for the exit; returns the exit status (128+N if killed by N).
    int stop(int signal = 15, std::chrono::seconds timeout = std::chrono::seconds(20));
    bool running() const;

    HttpResult get(const std::string& path,
                   const std::map<std::string, std::string>& headers = {}) const;

    // Resident memory (kB), thread count and open fds of the process, from /proc.
    long rssKb() const;
    int threadCount() const;
    int fdCount() const;

  private:
    void start();
    long statusField(const std::string& field) const;  // a number from /proc/<pid>/status

    TempDir dir_;
    std::string configPath_;
    std::string logPath_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    int exitStatus_ = -1;
    bool stopRequested_ = false;
};

// Runs `agenthost` with `args` to completion; returns its exit status and output.
struct CommandResult {
    int status = -1;
    std::string output;
};
CommandResult runAgenthost(const std::string& args);

std::uint16_t freePort();

}  // namespace agenthost::test
