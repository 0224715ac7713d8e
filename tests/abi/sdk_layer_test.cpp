// The C++ SDK layer (plugin.hpp) in a real host: plugin mistakes become exactly one error frame
// and the session keeps working.
#include <gtest/gtest.h>

#include "support/HostProcess.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

class SdkLayer : public ::testing::Test {
  protected:
    static HostConfig config() {
        HostConfig c;
        c.pluginDirectory = ABI_FIXTURE_DIR;
        c.sections = std::string("[key.test]\nsecret = ") + kTestKey +
                     "\n\n[plugin.sdk]\nlibrary = sdk_behaviour\n";
        return c;
    }

    SdkLayer() : host(config()), client(host.port(), "/api/sdk/ws") {
        auto ready = client.authenticate(kTestKey);
        EXPECT_EQ(ready->getValue<std::string>("version"), "1.2.3");
    }

    HostProcess host;
    WsClient client;
};

TEST_F(SdkLayer, ExceptionInRespondBecomesAPluginErrorAndTheSessionGoesOn) {
    const Reply failed = client.chat("throw");
    EXPECT_EQ(failed.terminalType(), "error");
    EXPECT_EQ(failed.terminal->getValue<std::string>("code"), "plugin_error");
    EXPECT_NE(failed.terminal->getValue<std::string>("content").find("respond() threw on purpose"),
              std::string::npos);
    EXPECT_EQ(failed.text, "");

    const Reply next = client.chat("again");
    EXPECT_EQ(next.terminalType(), "complete");
    EXPECT_EQ(next.text, "ok:again");
}

TEST_F(SdkLayer, DroppedResponseEndsWithExactlyOneErrorFrame) {
    const Reply dropped = client.chat("drop");
    EXPECT_EQ(dropped.terminalType(), "error");
    EXPECT_EQ(dropped.terminal->getValue<std::string>("code"), "plugin_error");
    EXPECT_EQ(dropped.frames.size(), 1u);

    // A second terminal frame for the dropped request would arrive before this reply's frames.
    const Reply next = client.chat("after");
    ASSERT_FALSE(next.frames.empty());
    EXPECT_EQ(next.frames.front()->getValue<std::string>("type"), "message");
    EXPECT_EQ(next.terminalType(), "complete");
    EXPECT_EQ(next.text, "ok:after");
}

TEST_F(SdkLayer, SeveralMistakesInARowEachGetOneTerminalFrame) {
    for (const std::string message : {"drop", "throw", "drop", "fine", "throw", "fine"}) {
        const Reply reply = client.chat(message);
        if (message == "fine") {
            EXPECT_EQ(reply.terminalType(), "complete") << message;
            EXPECT_EQ(reply.text, "ok:fine");
        } else {
            EXPECT_EQ(reply.terminalType(), "error") << message;
            EXPECT_EQ(reply.terminal->getValue<std::string>("code"), "plugin_error");
        }
    }
}

}  // namespace
}  // namespace agenthost::test
