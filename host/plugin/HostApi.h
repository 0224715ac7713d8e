// The host side of the plugin ABI: the callback table handed to every plugin, and the C++
// definitions of the ABI's opaque host handles.
#pragma once

#include <agenthost/plugin_abi.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace Poco {
class Logger;
}

// One request as the plugin sees it. The host implements it (session/Request.h); the C
// callbacks below only forward to it.
struct agenthost_request_host {
    virtual ~agenthost_request_host() = default;
    virtual void onText(std::string_view text) = 0;
    virtual void onUsage(std::uint64_t inputTokens, std::uint64_t outputTokens) = 0;
    virtual void onSessionState(std::string_view state) = 0;
    // code is null on success.
    virtual void onFinish(const char* code, const char* message) = 0;
};

// One plugin instance as the plugin sees it: where its log lines go.
struct agenthost_instance_host {
    std::string route;
    Poco::Logger* logger = nullptr;
};

namespace agenthost::plugin {

// The host's callback table; static, valid for the life of the process.
const agenthost_host_api* hostApi();

}  // namespace agenthost::plugin
