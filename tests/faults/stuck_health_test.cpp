// A plugin stuck in instance_health (tests/faults/fixtures/stuck_health.c), loaded into the
// server's process (isolation = in_process: the in-process health watch is what is tested;
// plugin_isolation_test covers a hang in a runner), while it is asked through unauthenticated
// GET /api/health: health answers within about a second, saying which
// route does not answer, other routes and new connections are not held up, the plugin is asked
// at most once at a time, and the host still stops cleanly with the plugin stuck.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "StuckPluginHost.h"
#include "support/HostProcess.h"
#include "support/TempDir.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class StuckHealth : public ::testing::Test {
  protected:
    void SetUp() override {
        stuckFlag_ = flags_.write("stuck", "");
        host_ = startStuckPluginHost(plugins_, stuckFlag_);
    }

    // GET /api/health: the answer and how long it took.
    std::pair<Poco::JSON::Object::Ptr, Clock::duration> health() {
        const auto start = Clock::now();
        auto result = host_->get("/api/health");
        EXPECT_EQ(result.status, 200);
        return {parseJson(result.body), Clock::now() - start};
    }

    TempDir plugins_, flags_;
    std::string stuckFlag_;
    std::unique_ptr<HostProcess> host_;
};

TEST_F(StuckHealth, HealthSaysWhichRouteDoesNotAnswerWithinAboutASecond) {
    auto [first, took] = health();
    EXPECT_LT(took, 3s);
    EXPECT_EQ(first->getValue<std::string>("status"), "degraded");
    auto stuck = first->getObject("plugins")->getObject("stuck");
    EXPECT_EQ(stuck->getValue<std::string>("status"), "degraded");
    EXPECT_NE(stuck->getValue<std::string>("detail").find("has not returned"), std::string::npos)
        << stuck->getValue<std::string>("detail");
    EXPECT_EQ(first->getObject("plugins")->getObject("echo")->getValue<std::string>("status"),
              "ok");
    EXPECT_TRUE(host_->waitForOutput("stuck_health: instance_health did not return within"));

    // Known to hang: later requests do not wait for it again.
    auto [second, again] = health();
    EXPECT_LT(again, 500ms);
    EXPECT_EQ(second->getValue<std::string>("status"), "degraded");
}

TEST_F(StuckHealth, AFloodOfHealthRequestsHoldsUpNeitherChatsNorNewConnections) {
    std::atomic<bool> done{false};
    std::vector<std::thread> askers;
    for (int i = 0; i < 16; ++i) {
        askers.emplace_back([&] {
            while (!done) host_->get("/api/health");
        });
    }
    for (int i = 0; i < 20; ++i) {
        const auto start = Clock::now();
        WsClient client(host_->port(), "/api/echo/ws");
        client.authenticate(kTestKey);
        EXPECT_EQ(client.chat("still here").text, "still here");
        EXPECT_LT(Clock::now() - start, 2s) << "connection " << i;
    }
    done = true;
    for (auto& asker : askers) asker.join();
}

TEST_F(StuckHealth, TheRouteIsHealthyAgainOnceThePluginAnswers) {
    EXPECT_EQ(health().first->getValue<std::string>("status"), "degraded");
    fs::remove(stuckFlag_);
    EXPECT_TRUE(
        waitUntil([&] { return health().first->getValue<std::string>("status") == "ok"; }, 10s));
    EXPECT_TRUE(host_->waitForOutput("stuck_health: instance_health returned after"));
}

TEST_F(StuckHealth, TheHostStopsCleanlyWithThePluginStillStuck) {
    EXPECT_EQ(health().first->getValue<std::string>("status"), "degraded");
    host_.reset();  // HostProcess expects SIGTERM to end in exit status 0
}

}  // namespace
}  // namespace agenthost::test
