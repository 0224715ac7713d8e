// A plugin written in C on the raw ABI (tests/abi/fixtures/abi_raw_c.c: no C++ layer), served
// by the real host and checked with a real WebSocket client: text, an event and finish from the
// plugin's own thread, a refusal with the plugin's own code, the request log line, plugin
// metrics in /metrics, request_timeout_s, and a cancel.
#include <agenthost/plugin_abi.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "support/HostProcess.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

#define EXPECT_CONTAINS(text, part) \
    EXPECT_NE(std::string(text).find(part), std::string::npos) << "in: " << (text)

class RawCPlugin : public ::testing::Test {
  protected:
    static HostConfig config() {
        HostConfig c;
        c.pluginDirectory = ABI_FIXTURE_DIR;
        c.sections = std::string("[key.test]\nsecret = ") + kTestKey +
                     "\n\n[metrics]\nrequire_admin = false\n\n"
                     "[plugin.raw]\nlibrary = abi_raw_c\n\n"
                     "[plugin.timed]\nlibrary = abi_raw_c\nrequest_timeout_s = 1\n"
                     "stream_delay_ms = 20\n";
        return c;
    }

    RawCPlugin() : host(config()) {}

    HostProcess host;
};

TEST_F(RawCPlugin, AnswersFromItsOwnThread) {
    WsClient client(host.port(), "/api/raw/ws");
    auto ready = client.authenticate(kTestKey);
    EXPECT_EQ(ready->getValue<std::string>("plugin"), "raw");
    const Reply reply = client.chat("hello from a client");
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, "raw:hello from a client");
    // Its request log line names the route, the request, the conversation and the turn.
    EXPECT_TRUE(host.waitForOutput("answering in C")) << host.output();
    EXPECT_CONTAINS(host.output(), "[raw] request ");
    EXPECT_CONTAINS(host.output(), " turn 1: answering in C");
    const Reply second = client.chat("again");
    EXPECT_EQ(second.text, "raw:again");
    EXPECT_TRUE(host.waitForOutput(" turn 2: answering in C"));
}

TEST_F(RawCPlugin, RefusalCarriesThePluginsCodeAndSentence) {
    WsClient client(host.port(), "/api/raw/ws");
    client.authenticate(kTestKey);
    const Reply refused = client.chat("refuse");
    EXPECT_EQ(refused.terminalType(), "error");
    EXPECT_EQ(refused.terminal->getValue<std::string>("code"), "busy");
    EXPECT_EQ(refused.terminal->getValue<std::string>("content"), "raw_c is busy right now");
    const Reply next = client.chat("fine");
    EXPECT_EQ(next.terminalType(), "complete");
    EXPECT_EQ(next.text, "raw:fine");
}

TEST_F(RawCPlugin, ItsCounterIsInMetricsPerRoute) {
    WsClient client(host.port(), "/api/raw/ws");
    client.authenticate(kTestKey);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(client.chat("count").terminalType(), "complete");
    const auto metrics = host.get("/metrics");
    ASSERT_EQ(metrics.status, 200);
    EXPECT_CONTAINS(metrics.body, "# TYPE agenthost_plugin_raw_c_answered_total counter");
    EXPECT_CONTAINS(metrics.body,
                    "# HELP agenthost_plugin_raw_c_answered_total Requests raw_c answered.");
    EXPECT_CONTAINS(metrics.body, "agenthost_plugin_raw_c_answered_total{route=\"raw\"} 3\n");
    EXPECT_CONTAINS(metrics.body, "agenthost_plugin_raw_c_answered_total{route=\"timed\"} 0\n");
}

TEST_F(RawCPlugin, RequestTimeoutEndsTheTurnAndCancelsThePlugin) {
    WsClient client(host.port(), "/api/timed/ws");
    client.authenticate(kTestKey);
    const auto began = std::chrono::steady_clock::now();
    const Reply timedOut = client.chat("forever", std::chrono::seconds(10 * kSanitizerSlowdown));
    const auto took = std::chrono::steady_clock::now() - began;
    EXPECT_EQ(timedOut.terminalType(), "error");
    EXPECT_EQ(timedOut.terminal->getValue<std::string>("code"), "timeout");
    EXPECT_CONTAINS(timedOut.terminal->getValue<std::string>("content"), "request_timeout_s");
    EXPECT_GE(took, std::chrono::milliseconds(900));
    EXPECT_CONTAINS(timedOut.text, "raw:.");  // it was streaming until then
    // The plugin was cancelled: it finished and the route answers the next message.
    const Reply next = client.chat("after");
    EXPECT_EQ(next.terminalType(), "complete");
    EXPECT_EQ(next.text, "raw:after");
}

TEST_F(RawCPlugin, CancelFrameStopsAStreamAndTheNextMessageRuns) {
    WsClient client(host.port(), "/api/timed/ws");
    client.authenticate(kTestKey);
    client.sendMessage("forever");
    auto first = client.receiveJson();
    while (first->getValue<std::string>("type") != "message") first = client.receiveJson();
    client.sendJson(R"({"type":"cancel"})");
    auto frame = client.receiveJson();
    std::string seen;
    while (frame->getValue<std::string>("type") == "message") {
        seen += frame->getValue<std::string>("content");
        frame = client.receiveJson();
    }
    EXPECT_EQ(frame->getValue<std::string>("type"), "complete") << seen;
    EXPECT_TRUE(frame->optValue<bool>("cancelled", false)) << seen;
    const Reply next = client.chat("next");
    EXPECT_EQ(next.terminalType(), "complete");
    EXPECT_EQ(next.text, "raw:next");
}

// Text sent after the turn ended is refused with a status that says why.
TEST_F(RawCPlugin, EmitAfterACancelFrameSaysCancelled) {
    WsClient client(host.port(), "/api/timed/ws");
    client.authenticate(kTestKey);
    client.sendMessage("deaf");
    EXPECT_EQ(client.receiveJson()->getValue<std::string>("type"), "message");
    client.sendJson(R"({"type":"cancel"})");
    EXPECT_TRUE(host.waitForOutput("[timed] request ")) << host.output();
    EXPECT_TRUE(host.waitForOutput(": emit status " + std::to_string(AGENTHOST_EMIT_CANCELLED)))
        << host.output();
}

TEST_F(RawCPlugin, EmitAfterAProtocol1SenderLeftSaysClientGone) {
    {
        WsClient client(host.port(), "/api/timed/ws");
        client.authenticate(kTestKey);
        client.sendMessage("deaf");
        EXPECT_EQ(client.receiveJson()->getValue<std::string>("type"), "message");
    }  // closed
    EXPECT_TRUE(host.waitForOutput(": emit status " + std::to_string(AGENTHOST_EMIT_CLIENT_GONE)))
        << host.output();
}

TEST_F(RawCPlugin, EmitWhileTheHostStopsSaysStopping) {
    WsClient client(host.port(), "/api/timed/ws");
    client.authenticate(kTestKey);
    client.sendMessage("deaf");
    EXPECT_EQ(client.receiveJson()->getValue<std::string>("type"), "message");
    std::thread stopper([&] { EXPECT_EQ(host.stop(15), 0); });
    client.waitForClose(10s * kSanitizerSlowdown);
    stopper.join();
    EXPECT_NE(host.output().find(": emit status " + std::to_string(AGENTHOST_EMIT_STOPPING)),
              std::string::npos)
        << host.output();
}

TEST_F(RawCPlugin, TimeoutIsAHostKeyNotPassedToThePlugin) {
    // request_timeout_s is validated like the other host keys.
    TempDir dir;
    const std::string ini = dir.write(
        "agenthost.ini", "[server]\nstate_dir = " + dir.file("state") +
                             "\n[plugins]\ndirectory = " + ABI_FIXTURE_DIR +
                             "\n[key.test]\nsecret = " + kTestKey +
                             "\n[plugin.raw]\nlibrary = abi_raw_c\nrequest_timeout_s = soon\n");
    const auto result = runAgenthost("--check-config --config=" + ini);
    EXPECT_NE(result.status, 0) << result.output;
    EXPECT_CONTAINS(result.output, "request_timeout_s");
    EXPECT_CONTAINS(result.output, "whole number");
}

}  // namespace
}  // namespace agenthost::test
