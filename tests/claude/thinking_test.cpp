// Extended thinking through the real host: the setting reaches the API, the model's thinking
// reaches protocol 2 clients as `thinking` events before the answer, and protocol 1 clients see
// the answer alone.
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ClaudeHost.h"
#include "support/Http.h"

namespace agenthost::test {
namespace {

const std::string kThinking =
    "I need the GCD of 1071 and 462, by Euclid's algorithm.\n\n1071 = 2 \xC3\x97 462 + 147\n462 = "
    "3 \xC3\x97 147 + 21\n147 = 7 \xC3\x97 21 + 0 \xE2\x80\x94 so it is 21.";
const std::string kAnswer = "The greatest common divisor of 1071 and 462 is **21**.";

// The documented shape of a stream with thinking (tests/claude/data).
std::string thinkingStream() {
    std::ifstream in(sourceDirectory() + "/tests/claude/data/anthropic-stream-thinking.txt",
                     std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

Behaviour streamThinking() {
    return [bytes = thinkingStream()](Exchange& exchange) {
        exchange.startStream();
        exchange.writeSplit(bytes, 11, 0ms);
    };
}

class ClaudeThinking : public ::testing::Test {
  protected:
    HostProcess& start() {
        host_ = std::make_unique<HostProcess>(hostWith(claudeSection(
            mock_, "claude", {{"thinking_budget_tokens", "2048"}, {"max_tokens", "8000"}})));
        return *host_;
    }

    MockAnthropic mock_;
    std::unique_ptr<HostProcess> host_;
};

TEST_F(ClaudeThinking, TheRequestAsksForThinkingWithTheBudget) {
    auto& host = start();
    mock_.enqueue(streamThinking());
    ASSERT_EQ(connect(host)->chat("gcd?").terminalType(), "complete");
    ASSERT_EQ(mock_.requestCount(), 1u);
    auto body = mock_.requests()[0].json();
    auto thinking = body->getObject("thinking");
    ASSERT_TRUE(thinking) << mock_.requests()[0].body;
    EXPECT_EQ(thinking->getValue<std::string>("type"), "enabled");
    EXPECT_EQ(thinking->getValue<int>("budget_tokens"), 2048);
    EXPECT_EQ(body->getValue<int>("max_tokens"), 8000);
}

TEST_F(ClaudeThinking, ProtocolOneClientsSeeTheAnswerOnly) {
    auto& host = start();
    mock_.enqueue(streamThinking());
    const Reply reply = connect(host)->chat("gcd?");
    ASSERT_EQ(reply.terminalType(), "complete") << content(reply);
    EXPECT_EQ(reply.text, kAnswer);
    for (const auto& frame : reply.frames)
        EXPECT_NE(frame->getValue<std::string>("type"), "event") << describeFrames(reply.frames);
}

// Needs the host to deliver events (the conversations spec's `event` frames).
TEST_F(ClaudeThinking, ProtocolTwoClientsGetTheThinkingFirstThenTheAnswer) {
    auto& host = start();
    mock_.enqueue(streamThinking());
    WsClient client(host.port(), "/api/claude/ws?protocol=2");
    client.authenticate(kTestKey);
    const Reply reply = client.chat("gcd?");
    ASSERT_EQ(reply.terminalType(), "complete") << content(reply);
    EXPECT_EQ(reply.text, kAnswer);

    std::string thinking;
    bool answerStarted = false;
    for (const auto& frame : reply.frames) {
        const std::string type = frame->getValue<std::string>("type");
        if (type == "message") answerStarted = true;
        if (type != "event") continue;
        EXPECT_EQ(frame->getValue<std::string>("kind"), "thinking");
        EXPECT_FALSE(answerStarted)
            << "thinking after the answer began: " << describeFrames(reply.frames);
        thinking += frame->getValue<std::string>("content");
    }
    EXPECT_EQ(thinking, kThinking) << describeFrames(reply.frames);
}

TEST_F(ClaudeThinking, TheStopReasonReachesTheCompleteFrameAndTheStoredTurn) {
    auto& host = start();
    mock_.enqueue(streamThinking());
    WsClient client(host.port(), "/api/claude/ws?protocol=2");
    const auto ready = client.authenticate(kTestKey);
    const Reply reply = client.chat("gcd?");
    ASSERT_EQ(reply.terminalType(), "complete") << content(reply);
    EXPECT_EQ(reply.terminal->getValue<std::string>("stop_reason"), "end_turn");

    const auto id = ready->getValue<std::string>("conversation_id");
    const HttpResult got =
        httpRequest(host.port(), "GET", "/api/conversations/" + id, bearer(kTestKey));
    ASSERT_EQ(got.status, 200) << got.body;
    Poco::JSON::Parser parser;
    const auto turn =
        parser.parse(got.body).extract<Poco::JSON::Object::Ptr>()->getArray("turns")->getObject(0);
    EXPECT_EQ(turn->getValue<std::string>("stop_reason"), "end_turn") << got.body;
}

TEST_F(ClaudeThinking, AnInvalidBudgetKeepsTheHostFromStartingAndSaysWhy) {
    try {
        HostProcess host(
            hostWith(claudeSection(mock_, "claude", {{"thinking_budget_tokens", "8000"}})));
        FAIL() << "agenthost started with a thinking budget above max_tokens";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("max_tokens (4096) must be larger than "
                                             "thinking_budget_tokens (8000)"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace agenthost::test
