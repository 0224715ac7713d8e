// What the claude plugin's tests share: a host serving claude.so against a MockAnthropic, and
// reading its replies.
#pragma once

#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "MockAnthropic.h"
#include "support/HostProcess.h"
#include "support/WsClient.h"

namespace agenthost::test {

inline constexpr const char* kApiKey = "sk-ant-test-SECRET-4f9d2c";

// A [plugin.NAME] section loading claude.so against the mock, plus extra settings.
inline std::string claudeSection(const MockAnthropic& mock, const std::string& route = "claude",
                                 const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> settings = {{"library", "claude"},
                                                   {"base_url", mock.baseUrl()},
                                                   {"api_key", kApiKey},
                                                   {"max_retries", "0"}};
    for (const auto& [key, value] : extra) settings[key] = value;
    std::ostringstream out;
    out << "[plugin." << route << "]\n";
    for (const auto& [key, value] : settings)
        if (!value.empty()) out << key << " = " << value << "\n";
    return out.str() + "\n";
}

inline HostConfig hostWith(const std::string& pluginSections) {
    HostConfig config;
    config.sections = "[key.test]\nsecret = " + std::string(kTestKey) + "\n\n" + pluginSections;
    return config;
}

inline std::unique_ptr<WsClient> connect(const HostProcess& host,
                                         const std::string& route = "claude") {
    auto client = std::make_unique<WsClient>(host.port(), "/api/" + route + "/ws");
    client->authenticate(kTestKey);
    return client;
}

inline std::string errorCode(const Reply& reply) {
    return reply.terminal && reply.terminal->has("code")
               ? reply.terminal->getValue<std::string>("code")
               : "";
}

inline std::string content(const Reply& reply) {
    return reply.terminal ? reply.terminal->getValue<std::string>("content") : "";
}

}  // namespace agenthost::test
