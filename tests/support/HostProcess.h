// A real agenthost process for integration tests: writes an ini into a temp dir, starts
// build/bin/agenthost on a free loopback port, waits until /api/health answers, and stops it
// with SIGTERM on destruction. It can be stopped (even with SIGKILL) and started again on the
// same port, config and state dir, as a restart or a crash and recovery would.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "support/BuildPaths.h"
#include "support/Http.h"
#include "support/TempDir.h"

namespace agenthost::test {

inline constexpr const char* kTestKey = "test-key-0123456789";

struct HostConfig {
    // Extra `key = value` lines for [server]. host, port and state_dir are set by the harness
    // unless given here (a port given here only suits writeConfig: the harness talks to its own).
    std::map<std::string, std::string> server;
    // Every other section. The default: one key (kTestKey) and the echo plugin at /api/echo/ws.
    std::string sections =
        "[key.test]\nsecret = test-key-0123456789\n\n[plugin.echo]\nlibrary = echo\n";
    std::string pluginDirectory = pluginBuildDirectory();
    // Extra `key = value` lines for [plugins] (a second [plugins] section would be an error).
    std::map<std::string, std::string> plugins;
    // A command the binary is started through, its first word a full path (e.g. unshare, to
    // change what the server sees of the file system). Empty: the binary itself.
    std::vector<std::string> launcher;
    // Environment variables set for the server on top of the test's own (e.g. NOTIFY_SOCKET).
    std::map<std::string, std::string> environment;
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// ASan holds freed memory in quarantine, and TSan's allocator keeps what it once had and adds
// shadow memory several times the program's own, so RSS says nothing there; the normal build
// checks it, and LeakSanitizer checks the host at exit (HostProcess expects a clean exit).
inline constexpr bool kRssIsMeaningful = false;
// Sanitizers make every step of the server several times slower: time bounds scale by this.
inline constexpr int kSanitizerSlowdown = 5;
#else
inline constexpr bool kRssIsMeaningful = true;
inline constexpr int kSanitizerSlowdown = 1;
#endif

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
    // Replaces the ini with exactly `text` (a broken file, for reload tests).
    void writeConfigText(const std::string& text);

    // Everything the process printed so far (stdout and stderr).
    std::string output() const;
    // Waits until output() contains `text`.
    bool waitForOutput(const std::string& text,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

    void signal(int signal) const;
    // Sends `signal` and waits for the exit; returns the exit status (128+N if killed by N).
    int stop(int signal = 15, std::chrono::seconds timeout = std::chrono::seconds(20));
    bool running() const;
    // Starts the process again after stop(), with the same port, config file and state dir.
    void restart();

    HttpResult get(const std::string& path, const HttpHeaders& headers = {}) const;
    HttpResult request(const std::string& method, const std::string& path,
                       const HttpHeaders& headers = {}) const;

    // Resident memory (kB), thread count and open fds of the process, from /proc.
    long rssKb() const;
    // Where resident memory is: "anon N kB, file N kB, shmem N kB" (for failure messages).
    std::string rssParts() const;
    int threadCount() const;
    // How many times the server's threads named `name` went to sleep and were woken
    // (voluntary context switches, summed); -1 when no thread has that name.
    long threadWakeups(const std::string& name) const;
    // How often they woke while the caller slept for `period`.
    long threadWakeupsDuring(const std::string& name, std::chrono::milliseconds period) const;
    int fdCount() const;

  private:
    void start();
    long statusField(const std::string& field) const;  // a number from /proc/<pid>/status

    TempDir dir_;
    std::vector<std::string> launcher_;               // what runs agenthost (HostConfig::launcher)
    std::map<std::string, std::string> environment_;  // HostConfig::environment
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
