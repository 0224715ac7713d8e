// Shared by the codex_bridgehub tests: a host serving the plugin at /api/codex/ws with given
// settings, executable scripts in a temp folder, and checks on processes the scripts started.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/HostProcess.h"
#include "support/TempDir.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test::codex {

inline constexpr const char* kRoute = "/api/codex/ws";

// A host with the key section and [plugin.codex] (library codex_bridgehub) plus `settings`,
// one `key = value` per line.
inline HostConfig codexConfig(const std::string& settings) {
    HostConfig config;
    config.sections = "[key.test]\nsecret = " + std::string(kTestKey) +
                      "\n\n[plugin.codex]\nlibrary = codex_bridgehub\n" + settings + "\n";
    return config;
}

// An authenticated client on the codex route.
inline std::unique_ptr<WsClient> connect(const HostProcess& host) {
    auto client = std::make_unique<WsClient>(host.port(), kRoute);
    client->authenticate(kTestKey);
    return client;
}

// The pids a script wrote, one per line, once it wrote at least `count`.
inline std::vector<pid_t> waitForPids(const std::string& file, std::size_t count) {
    std::vector<pid_t> pids;
    waitUntil([&] {
        pids.clear();
        std::istringstream in(readFile(file));
        for (long pid; in >> pid;) pids.push_back(static_cast<pid_t>(pid));
        return pids.size() >= count;
    });
    return pids;
}

// True when `pid` no longer runs. A zombie counts as ended only when the host is not its
// parent: an orphan is reparented to init, and this machine's init does not reap (the host
// must reap its own children, which is what this checks).
inline bool processEnded(pid_t pid, pid_t host) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    const std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return true;  // vanished between the two looks
    std::istringstream fields(stat.substr(close + 1));
    char state = 0;
    long parent = 0;
    fields >> state >> parent;
    return state == 'Z' && parent != host;
}

}  // namespace agenthost::test::codex
