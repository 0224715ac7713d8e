// Small helpers shared by the integration tests: config snippets, checks of frame fields, and
// waiting for a condition instead of sleeping a fixed time.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "support/HostProcess.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test {

// The default test key section plus the echo plugin at /api/echo/ws with `echoSettings` lines.
inline std::string echoSections(const std::string& echoSettings = "",
                                const std::string& extra = "") {
    return "[key.test]\nsecret = " + std::string(kTestKey) + "\n\n[plugin.echo]\nlibrary = echo\n" +
           echoSettings + "\n" + extra;
}

inline HostConfig echoConfig(const std::string& echoSettings = "", const std::string& extra = "") {
    HostConfig config;
    config.sections = echoSections(echoSettings, extra);
    return config;
}

// ISO 8601 UTC with milliseconds, as the protocol requires: 2026-11-26T10:30:00.123Z.
// (Checked against a shape rather than std::regex, which GCC 12 warns about under ASan.)
inline bool isProtocolTimestamp(const std::string& text) {
    const std::string shape = "0000-00-00T00:00:00.000Z";  // '0' stands for any digit
    if (text.size() != shape.size()) return false;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        if (shape[i] == '0' ? !digit : text[i] != shape[i]) return false;
    }
    return true;
}

inline void expectTimestamp(const Poco::JSON::Object::Ptr& frame) {
    ASSERT_TRUE(frame->has("timestamp")) << "frame without timestamp";
    EXPECT_TRUE(isProtocolTimestamp(frame->getValue<std::string>("timestamp")))
        << frame->getValue<std::string>("timestamp");
}

inline std::string typeOf(const Poco::JSON::Object::Ptr& frame) {
    return frame->getValue<std::string>("type");
}

// A client on /api/<route>/ws that has sent the test key and read the ready frame.
inline std::unique_ptr<WsClient> connectAuthenticated(const HostProcess& host,
                                                      const std::string& route = "echo") {
    auto client = std::make_unique<WsClient>(host.port(), "/api/" + route + "/ws");
    client->authenticate(kTestKey);
    return client;
}

// The connection count /api/health reports for `route`.
inline int healthConnections(const HostProcess& host, const std::string& route) {
    auto health = parseJson(host.get("/api/health").body);
    return health->getObject("connections")->getValue<int>(route);
}

// A message round trip on an authenticated client: the reply must echo `text` and complete.
inline void expectEcho(WsClient& client, const std::string& text) {
    auto reply = client.chat(text);
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, text);
}

}  // namespace agenthost::test
