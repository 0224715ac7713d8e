// The plain HTTP side: unknown routes, missing upgrades, /api/health, /api/status and the
// connection limit.
#include <Poco/JSON/Array.h>

#include <memory>
#include <vector>

#include "Helpers.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

Poco::JSON::Object::Ptr statusEntry(const HostProcess& host, const std::string& route) {
    auto status = parseJson(host.get("/api/status").body);
    auto plugins = status->getArray("plugins");
    for (std::size_t i = 0; i < plugins->size(); ++i) {
        auto entry = plugins->getObject(static_cast<unsigned>(i));
        if (entry->getValue<std::string>("route") == route) return entry;
    }
    return nullptr;
}

int statusConnections(const HostProcess& host, const std::string& route) {
    auto entry = statusEntry(host, route);
    return entry ? entry->getValue<int>("connections") : -1;
}

TEST(Http, UnknownRoutesAre404WithAJsonError) {
    HostProcess host;
    for (const char* path : {"/api/nope/ws", "/nothing/here", "/api/echo/wss"}) {
        SCOPED_TRACE(path);
        auto plain = host.get(path);
        EXPECT_EQ(plain.status, 404);
        EXPECT_EQ(parseJson(plain.body)->getValue<std::string>("error"), "not_found");
        std::string body;
        EXPECT_EQ(handshakeStatus(host.port(), path, {}, true, &body), 404);
        EXPECT_EQ(parseJson(body)->getValue<std::string>("error"), "not_found");
    }
}

TEST(Http, PlainGetOnAWebSocketRouteIs426) {
    HostProcess host;
    EXPECT_EQ(handshakeStatus(host.port(), "/api/echo/ws", {}, false), 426);
    EXPECT_EQ(host.get("/api/echo/ws").status, 426);
}

TEST(Http, HealthReportsStatusVersionAndLiveConnectionCounts) {
    HostProcess host(echoConfig("", "[plugin.other]\nlibrary = echo\n"));
    auto health = parseJson(host.get("/api/health").body);
    EXPECT_EQ(health->getValue<std::string>("status"), "ok");
    EXPECT_EQ(health->getValue<std::string>("version"), "1.0.0");
    expectTimestamp(health);
    EXPECT_EQ(health->getObject("plugins")->getObject("echo")->getValue<std::string>("status"),
              "ok");
    EXPECT_EQ(healthConnections(host, "echo"), 0);
    EXPECT_EQ(healthConnections(host, "other"), 0);

    auto first = std::make_unique<WsClient>(host.port(), "/api/echo/ws");
    first->authenticate(kTestKey);
    WsClient second(host.port(), "/api/echo/ws");
    second.authenticate(kTestKey);
    WsClient third(host.port(), "/api/other/ws");
    third.authenticate(kTestKey);
    EXPECT_EQ(healthConnections(host, "echo"), 2);
    EXPECT_EQ(healthConnections(host, "other"), 1);

    first->close();
    first.reset();
    EXPECT_TRUE(waitUntil([&] { return healthConnections(host, "echo") == 1; }))
        << host.get("/api/health").body;
    EXPECT_EQ(healthConnections(host, "other"), 1);
}

TEST(Http, StatusReportsPluginsUptimeAndReload) {
    HostProcess host;
    auto status = parseJson(host.get("/api/status").body);
    EXPECT_EQ(status->getValue<std::string>("status"), "running");
    EXPECT_EQ(status->getValue<std::string>("version"), "1.0.0");
    EXPECT_EQ(status->getValue<std::string>("health"), "ok");
    expectTimestamp(status);
    ASSERT_TRUE(status->get("uptime").isInteger()) << "uptime must be whole seconds";
    EXPECT_GE(status->getValue<int>("uptime"), 0);

    auto reload = status->getObject("reload");
    ASSERT_TRUE(reload);
    EXPECT_TRUE(reload->has("generation"));
    EXPECT_TRUE(isProtocolTimestamp(reload->getValue<std::string>("loaded_at")));
    EXPECT_TRUE(reload->getValue<bool>("ok"));

    auto echo = statusEntry(host, "echo");
    ASSERT_TRUE(echo) << "no plugins[] entry for echo";
    EXPECT_EQ(echo->getValue<std::string>("library"), "echo");
    EXPECT_EQ(echo->getValue<std::string>("version"), "1.0.0");
    EXPECT_FALSE(echo->getValue<std::string>("abi_version").empty());
    EXPECT_EQ(echo->getValue<int>("connections"), 0);

    {
        WsClient client(host.port(), "/api/echo/ws");
        client.authenticate(kTestKey);
        EXPECT_EQ(statusConnections(host, "echo"), 1);
        client.close();
    }
    EXPECT_TRUE(waitUntil([&] { return statusConnections(host, "echo") == 0; }));
}

TEST(Http, UptimeCountsWholeSeconds) {
    HostProcess host;
    const int before = parseJson(host.get("/api/status").body)->getValue<int>("uptime");
    EXPECT_TRUE(waitUntil(
        [&] { return parseJson(host.get("/api/status").body)->getValue<int>("uptime") > before; },
        3s));
}

TEST(Http, UpgradesBeyondMaxConnectionsAre503) {
    HostConfig config;
    config.server["max_connections"] = "2";
    HostProcess host(config);
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int i = 0; i < 2; ++i) {
        clients.push_back(std::make_unique<WsClient>(host.port(), "/api/echo/ws"));
        clients.back()->authenticate(kTestKey);
    }
    std::string body;
    EXPECT_EQ(handshakeStatus(host.port(), "/api/echo/ws", {}, true, &body), 503);
    EXPECT_FALSE(body.empty());
    // The open sessions are unaffected, and a freed slot can be used again.
    expectEcho(*clients[0], "still here");
    clients[1]->close();
    clients.pop_back();
    EXPECT_TRUE(waitUntil([&] { return healthConnections(host, "echo") == 1; }));
    EXPECT_TRUE(
        waitUntil([&] { return handshakeStatus(host.port(), "/api/echo/ws", {}, true) == 101; }));
}

}  // namespace
}  // namespace agenthost::test
