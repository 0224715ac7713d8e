// A thousand connections that stall in the middle of their request head hold no thread and
// make no one wait: a normal client connects, authenticates and round-trips at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "RawHttp.h"
#include "support/HostProcess.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

TEST(Slowloris, StalledHeadsDoNotDelayOtherClients) {
    HostProcess host;
    const int threadsBefore = host.threadCount();
    std::vector<std::unique_ptr<RawHttp>> stalled;
    for (int i = 0; i < 1000; ++i) {
        stalled.push_back(std::make_unique<RawHttp>(host.port()));
        stalled.back()->send("GET /api/echo/ws HTTP/1.1\r\nHost: x\r\n");
    }

    std::vector<double> millis;
    for (int i = 0; i < 50; ++i) {
        const auto start = std::chrono::steady_clock::now();
        WsClient client(host.port(), "/api/echo/ws");
        client.authenticate(kTestKey);
        auto reply = client.chat("through the crowd");
        EXPECT_EQ(reply.text, "through the crowd");
        millis.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
    }
    std::sort(millis.begin(), millis.end());
    const double p99 = millis[millis.size() * 99 / 100];
    std::cout << "connect+auth+echo with 1000 stalled heads: median " << millis[millis.size() / 2]
              << " ms, p99 " << p99 << " ms\n";
    EXPECT_LT(millis.back(), 1000.0) << "a client waited behind the stalled heads";
    EXPECT_EQ(host.threadCount(), threadsBefore) << "threads grew with pending connections";

    // The stalled connections are still open (their head timeout has not passed).
    int open = 0;
    for (auto& socket : stalled)
        if (!socket->closedWithin(0ms)) ++open;
    EXPECT_EQ(open, 1000);
}

}  // namespace
}  // namespace agenthost::test
