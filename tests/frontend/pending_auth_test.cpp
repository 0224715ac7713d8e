// WebSockets that never send their key: a flood of them is bounded by max_pending_auth (the
// oldest are closed with 1013) and max_pending_auth_per_address (429), so that clients with a
// key always get in. And a key frame that arrives with the upgrade request is answered at once.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "RawHttp.h"
#include "support/HostProcess.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

// The Close frame's code (1013, big-endian) and reason, as the server sends it.
const std::string kEvictedClose = "\x03\xF5too many unauthenticated connections";

// An upgraded WebSocket that sends nothing: what a keyless flood is made of.
std::unique_ptr<RawHttp> keylessSocket(std::uint16_t port, int* status = nullptr) {
    auto socket = std::make_unique<RawHttp>(port);
    socket->send(upgradeRequest("/api/echo/ws"));
    const auto responses = socket->read(1);
    if (status) *status = responses.empty() ? 0 : responses[0].status;
    return socket;
}

// A thread that keeps `hold` keyless sockets open, opening a new one for each the server
// closed and dropping its own oldest beyond `hold`.
class KeylessFlood {
  public:
    KeylessFlood(std::uint16_t port, std::size_t hold)
        : thread_([this, port, hold] {
              std::deque<std::unique_ptr<RawHttp>> open;
              while (!stop_) {
                  int status = 0;
                  try {
                      open.push_back(keylessSocket(port, &status));
                  } catch (const std::exception&) {
                  }
                  ++(status == 101 ? opened : refused);
                  if (open.size() > hold) open.pop_front();
              }
          }) {}
    ~KeylessFlood() { stop(); }

    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }

    std::atomic<int> opened{0}, refused{0};

  private:
    std::atomic<bool> stop_{false};
    std::thread thread_;  // last: it uses the members above
};

void roundTrip(std::uint16_t port, const std::string& text) {
    WsClient client(port, "/api/echo/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat(text).text, text);
}

TEST(PendingAuth, AKeylessFloodClosesTheOldestAndClientsWithAKeyGetIn) {
    HostConfig config;
    config.server["max_connections"] = "100";
    config.server["max_pending_auth"] = "50";
    config.server["max_pending_auth_per_address"] = "1000";  // the whole flood is on loopback
    HostProcess host(config);

    // 200 keyless sockets, twice max_connections: without the pending cap the server would be
    // full after 100 of them. Clients with a key keep connecting meanwhile, and stay.
    std::vector<std::unique_ptr<RawHttp>> keyless;
    std::vector<std::unique_ptr<WsClient>> withKey;
    for (int i = 0; i < 200; ++i) {
        int status = 0;
        keyless.push_back(keylessSocket(host.port(), &status));
        ASSERT_EQ(status, 101) << "keyless upgrade " << i << ": " << keyless.back()->received();
        if (i % 10 == 5) {
            withKey.push_back(std::make_unique<WsClient>(host.port(), "/api/echo/ws"));
            withKey.back()->authenticate(kTestKey);
            const std::string text = "through the flood " + std::to_string(i);
            EXPECT_EQ(withKey.back()->chat(text).text, text);
        }
    }
    ASSERT_EQ(withKey.size(), 20u);
    for (auto& client : withKey) EXPECT_EQ(client->chat("still here").text, "still here");

    // The oldest 150 were closed, each with 1013 and the reason; the newest 50 wait on.
    // They are hung up at once rather than after a close handshake, so that they stop counting
    // against max_connections.
    for (int i = 0; i < 150; ++i) {
        EXPECT_TRUE(keyless[i]->receives(kEvictedClose, 5s))
            << "keyless socket " << i << " got: " << keyless[i]->received().size() << " bytes";
        EXPECT_TRUE(keyless[i]->closedWithin(1s)) << "keyless socket " << i;
    }
    for (int i = 150; i < 200; ++i) {
        EXPECT_FALSE(keyless[i]->receives(kEvictedClose, 1ms)) << "keyless socket " << i;
        EXPECT_FALSE(keyless[i]->closedWithin(1ms)) << "keyless socket " << i;
    }
    // The flood goes on: still room for a client with a key, which takes out the oldest.
    roundTrip(host.port(), "after the flood");
    EXPECT_TRUE(keyless[150]->receives(kEvictedClose, 5s));
    EXPECT_TRUE(host.waitForOutput("at max_pending_auth (50)"));
}

TEST(PendingAuth, ClientsWithAKeyGetInWhileAFloodKeepsReopening) {
    HostConfig config;
    config.server["max_connections"] = "300";
    config.server["max_pending_auth"] = "200";
    config.server["max_pending_auth_per_address"] = "100000";
    HostProcess host(config);

    // More keyless sockets than max_connections, reopened as the server closes them.
    KeylessFlood flood(host.port(), 400);
    auto& opened = flood.opened;
    ASSERT_TRUE(waitUntil([&] { return opened > 600; }, 20s * kSanitizerSlowdown)) << opened;

    // Clients with a key come and stay while the flood opens another 2,000.
    const int floodStart = opened;
    std::vector<std::unique_ptr<WsClient>> withKey;
    const auto giveUp = std::chrono::steady_clock::now() + 60s * kSanitizerSlowdown;
    int served = 0;
    for (; served < 20 || (opened - floodStart < 2000 && std::chrono::steady_clock::now() < giveUp);
         ++served) {
        if (withKey.size() == 50) withKey.erase(withKey.begin());  // stay under max_connections
        const auto start = std::chrono::steady_clock::now();
        withKey.push_back(std::make_unique<WsClient>(host.port(), "/api/echo/ws"));
        withKey.back()->authenticate(kTestKey);
        const std::string text = "client " + std::to_string(served);
        EXPECT_EQ(withKey.back()->chat(text).text, text);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 1s * kSanitizerSlowdown) << text;
    }
    const int openedWhileClientsCame = opened - floodStart;
    EXPECT_GE(openedWhileClientsCame, 2000);
    flood.stop();
    EXPECT_EQ(flood.refused, 0) << "keyless upgrades are admitted; the oldest make room";
    for (auto& client : withKey) EXPECT_EQ(client->chat("still here").text, "still here");
    EXPECT_TRUE(host.waitForOutput("at max_pending_auth (200)"));
    std::cout << served << " clients with a key got in while " << openedWhileClientsCame
              << " keyless sockets were opened\n";
}

TEST(PendingAuth, OneAddressMayHoldOnlySoManyKeylessConnections) {
    HostConfig config;
    config.server["max_pending_auth_per_address"] = "5";
    HostProcess host(config);

    std::vector<std::unique_ptr<RawHttp>> keyless;
    for (int i = 0; i < 5; ++i) {
        int status = 0;
        keyless.push_back(keylessSocket(host.port(), &status));
        ASSERT_EQ(status, 101);
    }
    std::string body;
    EXPECT_EQ(handshakeStatus(host.port(), "/api/echo/ws", {}, true, &body), 429);
    EXPECT_EQ(parseJson(body)->getValue<std::string>("error"),
              "too_many_unauthenticated_connections");
    for (auto& socket : keyless) EXPECT_FALSE(socket->closedWithin(1ms)) << "none is evicted";

    // A Bearer upgrade never waits for a key: it is not refused.
    WsClient bearer(host.port(), "/api/echo/ws",
                    {{"Authorization", std::string("Bearer ") + kTestKey}});
    bearer.awaitReady();
    EXPECT_EQ(bearer.chat("bearer").text, "bearer");

    // A pending connection that sends its key leaves the count: the address may open another.
    keyless[0]->send(maskedTextFrame(kTestKey));
    ASSERT_TRUE(keyless[0]->receives("authenticated", 5s));
    EXPECT_TRUE(waitUntil([&] { return handshakeStatus(host.port(), "/api/echo/ws") == 101; }));
    // So does one that closes.
    keyless[1].reset();
    EXPECT_TRUE(waitUntil([&] { return handshakeStatus(host.port(), "/api/echo/ws") == 101; }));
}

TEST(PendingAuth, AReloadAppliesNewCapsToTheNextUpgrades) {
    HostConfig config;
    config.server["max_pending_auth_per_address"] = "100";
    HostProcess host(config);
    std::vector<std::unique_ptr<RawHttp>> keyless;
    for (int i = 0; i < 3; ++i) {
        int status = 0;
        keyless.push_back(keylessSocket(host.port(), &status));
        ASSERT_EQ(status, 101);
    }

    config.server["max_pending_auth_per_address"] = "3";
    host.writeConfig(config);
    host.signal(SIGHUP);
    ASSERT_TRUE(host.waitForOutput("reload: generation 2 with"));
    EXPECT_EQ(handshakeStatus(host.port(), "/api/echo/ws"), 429);
    for (auto& socket : keyless) EXPECT_FALSE(socket->closedWithin(1ms)) << "none is evicted";

    // A lower max_pending_auth: the next keyless upgrade closes the oldest beyond it.
    config.server["max_pending_auth_per_address"] = "100";
    config.server["max_pending_auth"] = "2";
    host.writeConfig(config);
    host.signal(SIGHUP);
    ASSERT_TRUE(host.waitForOutput("reload: generation 3 with"));
    int status = 0;
    keyless.push_back(keylessSocket(host.port(), &status));
    EXPECT_EQ(status, 101);
    EXPECT_TRUE(keyless[0]->receives(kEvictedClose, 5s));
    EXPECT_TRUE(keyless[1]->receives(kEvictedClose, 5s));
    EXPECT_FALSE(keyless[2]->receives(kEvictedClose, 100ms));
    EXPECT_FALSE(keyless[3]->receives(kEvictedClose, 1ms));
}

TEST(PendingAuth, AKeyFrameInTheUpgradeWriteIsAnsweredAtOnce) {
    HostProcess host;
    const auto limit =
        200ms * kSanitizerSlowdown;  // under the 250 ms timeout sweep, far under auth_timeout
    for (int i = 0; i < 5; ++i) {
        RawHttp client(host.port());
        const auto start = std::chrono::steady_clock::now();
        client.send(upgradeRequest("/api/echo/ws") + maskedTextFrame(kTestKey));  // one write
        ASSERT_TRUE(client.receives("authenticated", 5s)) << client.received();
        const auto took = std::chrono::steady_clock::now() - start;
        EXPECT_EQ(parseResponses(client.received()).at(0).status, 101);
        EXPECT_LT(took, limit) << "attempt " << i << ": "
                               << std::chrono::duration<double, std::milli>(took).count() << " ms";
        EXPECT_TRUE(client.receives("\"ready\"", 5s)) << client.received();
    }
}

TEST(PendingAuth, AKeyRightAfterTheUpgradeIsAnsweredAtOnce) {
    HostProcess host;
    // Within the loop's 100 ms poll timeout, so a key that waited for it would show.
    const auto limit = 50ms * kSanitizerSlowdown;
    for (int i = 0; i < 5; ++i) {
        RawHttp client(host.port());
        client.send(upgradeRequest("/api/echo/ws"));
        ASSERT_EQ(client.read(1).at(0).status, 101);
        const auto start = std::chrono::steady_clock::now();
        client.send(maskedTextFrame(kTestKey));
        ASSERT_TRUE(client.receives("authenticated", 5s)) << client.received();
        const auto took = std::chrono::steady_clock::now() - start;
        EXPECT_LT(took, limit) << "attempt " << i << ": "
                               << std::chrono::duration<double, std::milli>(took).count() << " ms";
    }
}

}  // namespace
}  // namespace agenthost::test
