// The wire protocol against a real agenthost process.
#include <gtest/gtest.h>

#include "support/HostProcess.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

TEST(Protocol, KeyFrameAuthenticatesAndEchoAnswers) {
    HostProcess host;
    WsClient client(host.port(), "/api/echo/ws");
    auto ready = client.authenticate(kTestKey);
    EXPECT_EQ(ready->getValue<std::string>("content"), "echo ready");
    EXPECT_EQ(ready->getValue<int>("protocol"), 1);
    auto reply = client.chat("hello");
    EXPECT_EQ(reply.text, "hello");
    EXPECT_EQ(reply.terminalType(), "complete");
}

}  // namespace
}  // namespace agenthost::test
