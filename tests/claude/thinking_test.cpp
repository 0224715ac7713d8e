// Extended thinking through the real host: the setting reaches the API, the model's thinking
// reaches protocol 2 clients as `thinking` events before the answer, and protocol 1 clients see
// the answer alone.
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <sstream>

#include "ClaudeHost.h"
#include "support/Http.h"
#include "support/TempDir.h"

namespace agenthost::test {
namespace {

const std::string kThinking =
    "I need the GCD of 1071 and 462, by Euclid's algorithm.\n\n1071 = 2 \xC3\x97 462 + 147\n462 = "
    "3 \xC3\x97 147 + 21\n147 = 7 \xC3\x97 21 + 0 \xE2\x80\x94 so it is 21.";
const std::string kAnswer = "The greatest common divisor of 1071 and 462 is **21**.";

// The documented shape of a stream with thinking (tests/claude/data).
std::string thinkingStream() {
    return readFile(sourceDirectory() + "/tests/claude/data/anthropic-stream-thinking.txt");
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

// One answer with a signed thinking block, a redacted one and the text.
const std::string kSignature = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+/=";
const std::string kRedactedData = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr";

Behaviour streamSignedThinking() {
    return [](Exchange& exchange) {
        exchange.write(
            messageStartWithUsage(R"({"input_tokens":30,"output_tokens":1})") +
            blockEvents(0, R"({"type":"thinking","thinking":"","signature":""})",
                        {R"({"type":"thinking_delta","thinking":"Let me think \u00e9 \"hard\"."})",
                         R"({"type":"signature_delta","signature":")" + kSignature + R"("})"}) +
            blockEvents(1, R"({"type":"redacted_thinking","data":")" + kRedactedData + R"("})") +
            textBlock(2, "Forty-two.") + stopEvents("end_turn"));
    };
}

// The blocks of the first answer, as the second request sends them back.
void expectTheBlocksCameBackUnchanged(const RecordedRequest& request) {
    const auto messages = request.json()->getArray("messages");
    ASSERT_GE(messages->size(), 3u) << request.body;
    const auto answer = messages->getObject(1);
    EXPECT_EQ(answer->getValue<std::string>("role"), "assistant");
    const auto blocks = answer->getArray("content");
    ASSERT_TRUE(blocks) << request.body;
    ASSERT_EQ(blocks->size(), 3u) << request.body;
    const auto thinking = blocks->getObject(0);
    EXPECT_EQ(thinking->getValue<std::string>("type"), "thinking");
    EXPECT_EQ(thinking->getValue<std::string>("thinking"), "Let me think \xC3\xA9 \"hard\".");
    EXPECT_EQ(thinking->getValue<std::string>("signature"), kSignature);
    const auto redacted = blocks->getObject(1);
    EXPECT_EQ(redacted->getValue<std::string>("type"), "redacted_thinking");
    EXPECT_EQ(redacted->getValue<std::string>("data"), kRedactedData);
    EXPECT_EQ(blocks->getObject(2)->getValue<std::string>("type"), "text");
    EXPECT_EQ(blocks->getObject(2)->getValue<std::string>("text"), "Forty-two.");
}

TEST_F(ClaudeThinking, TheNextTurnSendsTheThinkingBlocksBackUnchangedAlsoAfterARestart) {
    auto& host = start();
    mock_.enqueue(streamSignedThinking());
    WsClient client(host.port(), "/api/claude/ws?protocol=2");
    const auto ready = client.authenticate(kTestKey);
    const auto id = ready->getValue<std::string>("conversation_id");
    const Reply first = client.chat("What is the answer?");
    ASSERT_EQ(first.terminalType(), "complete") << content(first);
    EXPECT_EQ(first.text, "Forty-two.");
    // Redacted reasoning and signatures are never shown.
    for (const auto& frame : first.frames) {
        std::ostringstream text;
        frame->stringify(text);
        EXPECT_EQ(text.str().find(kRedactedData), std::string::npos) << text.str();
        EXPECT_EQ(text.str().find(kSignature.substr(0, 20)), std::string::npos) << text.str();
    }
    const Reply second = client.chat("And why?");
    ASSERT_EQ(second.terminalType(), "complete");
    ASSERT_EQ(mock_.requestCount(), 2u);
    expectTheBlocksCameBackUnchanged(mock_.requests()[1]);

    // The blocks are stored with the turn: a restarted host sends them back too.
    host.stop();
    host.restart();
    const auto lastSeq = second.terminal->getValue<std::int64_t>("seq");
    WsClient again(host.port(), "/api/claude/ws?protocol=2&conversation=" + id +
                                    "&after_seq=" + std::to_string(lastSeq));
    again.authenticate(kTestKey);
    ASSERT_EQ(again.chat("Once more?").terminalType(), "complete");
    ASSERT_EQ(mock_.requestCount(), 3u);
    expectTheBlocksCameBackUnchanged(mock_.requests()[2]);
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
