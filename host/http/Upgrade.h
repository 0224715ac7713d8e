// The WebSocket upgrade at /api/<route>/ws: which requests may upgrade (RFC 6455 4.2.1, the
// route, the key, the connection limit) and the 101 answer.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "http/HeadParser.h"
#include "http/PlainHttp.h"

namespace agenthost::plugin {
class PluginInstance;
}

namespace agenthost::http {

class Backend;

// "/api/<route>/ws" -> route, else empty.
std::string webSocketRoute(const std::string& path);

struct UpgradeDecision {
    std::optional<PlainResponse> refusal;  // set: answer it and close
    std::shared_ptr<plugin::PluginInstance> instance;
    std::optional<std::string> bearerKeyName;  // authenticated by "Authorization: Bearer"
    PlainResponse switching;                   // the 101 answer, when not refused
};

UpgradeDecision decideUpgrade(const Head& head, const std::string& route, const Backend& backend);

}  // namespace agenthost::http
