// A plugin stuck in request_start (tests/faults/fixtures/stuck_health.c, stuck_in =
// request_start), loaded into the server's process (isolation = in_process: the in-process
// watchdog is what is tested; plugin_isolation_test covers a hang in a runner), which runs on a
// worker:
// the event loop goes on serving other routes, the route reports degraded in /api/health and
// /api/status with how long the call has not returned, the overrun is logged with the plugin's
// name, and all of it clears when request_start returns.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "StuckPluginHost.h"
#include "support/HostProcess.h"
#include "support/TempDir.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class StuckStart : public ::testing::Test {
  protected:
    void SetUp() override {
        stuckFlag_ = flags_.write("stuck", "");
        host_ = startStuckPluginHost(plugins_, stuckFlag_, "stuck_in = request_start\n");
    }

    Poco::JSON::Object::Ptr stuckRouteHealth() {
        auto result = host_->get("/api/health");
        EXPECT_EQ(result.status, 200);
        return parseJson(result.body)->getObject("plugins")->getObject("stuck");
    }

    TempDir plugins_, flags_;
    std::string stuckFlag_;
    std::unique_ptr<HostProcess> host_;
};

TEST_F(StuckStart, TheRouteIsDegradedWhileOtherRoutesGoOnAndItClearsWhenTheCallReturns) {
    WsClient stuck(host_->port(), "/api/stuck/ws");
    stuck.authenticate(kTestKey);
    stuck.sendMessage("hello");

    EXPECT_TRUE(host_->waitForOutput("plugin stuck_health: request_start has not returned for",
                                     10s * kSanitizerSlowdown));
    auto health = stuckRouteHealth();
    EXPECT_EQ(health->getValue<std::string>("status"), "degraded");
    EXPECT_NE(health->getValue<std::string>("detail").find("request_start has not returned for"),
              std::string::npos)
        << health->getValue<std::string>("detail");
    const auto status = parseJson(host_->get("/api/status").body);
    EXPECT_EQ(status->getValue<std::string>("health"), "degraded");

    // The loop and the other route are not held up.
    for (int i = 0; i < 5; ++i) {
        WsClient echo(host_->port(), "/api/echo/ws");
        echo.authenticate(kTestKey);
        EXPECT_EQ(echo.chat("still here").text, "still here");
    }

    fs::remove(stuckFlag_);
    auto reply = stuck.readReply(10s * kSanitizerSlowdown);
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_EQ(reply.terminal->getValue<std::string>("code"), "was_stuck");
    EXPECT_TRUE(host_->waitForOutput("plugin stuck_health: request_start returned after"));
    EXPECT_EQ(stuckRouteHealth()->getValue<std::string>("status"), "ok");
}

// The watch looks at the plugin's calls once per bound while they keep coming, rather than
// being woken by each: a call that sticks right after a quick one is still reported at its bound.
TEST_F(StuckStart, ACallStuckRightAfterAQuickOneIsReportedToo) {
    fs::remove(stuckFlag_);
    WsClient stuck(host_->port(), "/api/stuck/ws");
    stuck.authenticate(kTestKey);
    stuck.sendMessage("quick");
    auto quick = stuck.readReply(10s * kSanitizerSlowdown);
    ASSERT_EQ(quick.terminalType(), "error");
    EXPECT_EQ(quick.terminal->getValue<std::string>("code"), "was_stuck");

    flags_.write("stuck", "");
    stuck.sendMessage("hello");
    EXPECT_TRUE(host_->waitForOutput("plugin stuck_health: request_start has not returned for",
                                     10s * kSanitizerSlowdown));
    EXPECT_EQ(stuckRouteHealth()->getValue<std::string>("status"), "degraded");

    fs::remove(stuckFlag_);
    auto reply = stuck.readReply(10s * kSanitizerSlowdown);
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_TRUE(host_->waitForOutput("plugin stuck_health: request_start returned after"));
    EXPECT_EQ(stuckRouteHealth()->getValue<std::string>("status"), "ok");
}

}  // namespace
}  // namespace agenthost::test
