// How an answer ends, through the real host: every stop_reason reaches the complete frame (and
// the ones a person should know about a sentence), a paused turn is continued within the same
// response, unknown stream types are passed over, and an overloaded API is retried only while
// the client has seen nothing.
#include <gtest/gtest.h>

#include "ClaudeHost.h"

namespace agenthost::test {
namespace {

const std::string kUsage = R"({"input_tokens":10,"output_tokens":1})";

Behaviour answer(std::string text, std::string stopReason, std::uint64_t outputTokens = 5) {
    return [=](Exchange& exchange) {
        exchange.write(messageStartWithUsage(kUsage) + textBlock(0, text) +
                       stopEvents(stopReason, outputTokens));
    };
}

// The status events of a reply, by their data's stop_reason.
std::vector<Poco::JSON::Object::Ptr> statusEvents(const Reply& reply) {
    std::vector<Poco::JSON::Object::Ptr> out;
    for (const auto& frame : reply.frames)
        if (frame->getValue<std::string>("type") == "event" &&
            frame->getValue<std::string>("kind") == "status")
            out.push_back(frame);
    return out;
}

class ClaudeStops : public ::testing::Test {
  protected:
    HostProcess& start(const std::map<std::string, std::string>& extra = {},
                       const std::string& more = "") {
        host_ =
            std::make_unique<HostProcess>(hostWith(claudeSection(mock_, "claude", extra) + more));
        return *host_;
    }
    Reply chat2(const std::string& message) {
        WsClient client(host_->port(), "/api/claude/ws?protocol=2");
        client.authenticate(kTestKey);
        return client.chat(message);
    }

    MockAnthropic mock_;
    std::unique_ptr<HostProcess> host_;
};

TEST_F(ClaudeStops, EveryStopReasonReachesTheCompleteFrame) {
    start();
    const std::map<std::string, std::string> explained = {
        {"end_turn", ""},
        {"stop_sequence", ""},
        {"tool_use", ""},
        {"max_tokens", "reached the 4096 tokens that max_tokens allows"},
        {"model_context_window_exceeded", "filled the model's context window"},
        {"refusal", "Claude declined to answer this request."}};
    for (const auto& [reason, sentence] : explained) {
        mock_.enqueue(answer("Some text.", reason));
        const Reply reply = chat2("go");
        ASSERT_EQ(reply.terminalType(), "complete") << reason << ": " << content(reply);
        EXPECT_EQ(reply.text, "Some text.");
        EXPECT_EQ(reply.terminal->getValue<std::string>("stop_reason"), reason);
        const auto events = statusEvents(reply);
        if (sentence.empty()) {
            EXPECT_TRUE(events.empty()) << reason << ": " << describeFrames(reply.frames);
            continue;
        }
        ASSERT_EQ(events.size(), 1u) << reason << ": " << describeFrames(reply.frames);
        EXPECT_NE(events[0]->getValue<std::string>("content").find(sentence), std::string::npos)
            << describeFrames(reply.frames);
        EXPECT_EQ(events[0]->getObject("data")->getValue<std::string>("stop_reason"), reason);
    }
}

TEST_F(ClaudeStops, APausedTurnIsContinuedWithTheContentSoFar) {
    start();
    mock_.enqueue(answer("Part one, ", "pause_turn", 3));
    mock_.enqueue(answer("part two.", "end_turn", 4));
    const Reply reply = chat2("long job");
    ASSERT_EQ(reply.terminalType(), "complete") << content(reply);
    EXPECT_EQ(reply.text, "Part one, part two.");
    EXPECT_EQ(reply.terminal->getValue<std::string>("stop_reason"), "end_turn");
    const auto usage = reply.terminal->getObject("usage");
    EXPECT_EQ(usage->getValue<int>("input_tokens"), 20);  // both requests
    EXPECT_EQ(usage->getValue<int>("output_tokens"), 7);
    EXPECT_TRUE(statusEvents(reply).empty()) << describeFrames(reply.frames);

    ASSERT_EQ(mock_.requestCount(), 2u);
    const auto messages = mock_.requests()[1].json()->getArray("messages");
    ASSERT_EQ(messages->size(), 2u) << mock_.requests()[1].body;
    const auto partial = messages->getObject(1);
    EXPECT_EQ(partial->getValue<std::string>("role"), "assistant");
    const auto blocks = partial->getArray("content");
    ASSERT_TRUE(blocks && blocks->size() == 1u) << mock_.requests()[1].body;
    EXPECT_EQ(blocks->getObject(0)->getValue<std::string>("type"), "text");
    // Without the space that ended it: the API refuses a last assistant message ending in one.
    EXPECT_EQ(blocks->getObject(0)->getValue<std::string>("text"), "Part one,");
}

TEST_F(ClaudeStops, ContinuationsStopAtMaxContinuations) {
    start({{"max_continuations", "2"}});
    mock_.setDefault(answer("more ", "pause_turn"));
    const Reply reply = chat2("never ends");
    ASSERT_EQ(reply.terminalType(), "complete") << content(reply);
    EXPECT_EQ(mock_.requestCount(), 3u);  // the first request and two continuations
    EXPECT_EQ(reply.text, "more more more ");
    EXPECT_EQ(reply.terminal->getValue<std::string>("stop_reason"), "pause_turn");
    const auto events = statusEvents(reply);
    ASSERT_EQ(events.size(), 1u) << describeFrames(reply.frames);
    EXPECT_NE(events[0]->getValue<std::string>("content").find("max_continuations (2)"),
              std::string::npos);
    // The last continuation carried all the content so far.
    const auto messages = mock_.requests()[2].json()->getArray("messages");
    EXPECT_EQ(messages->getObject(1)->getArray("content")->size(), 2u);
}

TEST_F(ClaudeStops, UnknownEventsAndBlocksArePassedOverAndLoggedOnce) {
    start({}, "[log]\nlevel = debug\n\n");
    const std::string stream = messageStartWithUsage(kUsage) +
                               sseEvent("ping", R"({"type":"ping"})") +
                               sseEvent("future_event", R"({"type":"future_event","what":1})") +
                               blockEvents(0, R"({"type":"future_block","payload":"x"})",
                                           {R"({"type":"future_delta","bits":"y"})"}) +
                               sseEvent("message", R"({"type":"another_future_event"})") +
                               textBlock(1, "Still here.") + stopEvents("end_turn");
    mock_.setDefault([stream](Exchange& exchange) { exchange.write(stream); });
    for (int i = 0; i < 2; ++i) {
        const Reply reply = connect(*host_)->chat("hi");
        ASSERT_EQ(reply.terminalType(), "complete") << content(reply);
        EXPECT_EQ(reply.text, "Still here.");
    }
    for (const std::string what : {"event future_event", "content block future_block",
                                   "delta future_delta", "event another_future_event"}) {
        const std::string line = "ignoring unknown " + what;
        ASSERT_TRUE(host_->waitForOutput(line)) << host_->output();
        const std::string out = host_->output();
        EXPECT_EQ(out.find(line, out.find(line) + 1), std::string::npos)
            << "logged twice: " << what;
    }
}

TEST_F(ClaudeStops, AnOverloadedStreamIsRetriedBeforeAnyText) {
    start({{"max_retries", "1"}});
    mock_.enqueue([](Exchange& exchange) {
        exchange.write(messageStartWithUsage(kUsage) +
                       sseEvent("error", R"({"type":"error","error":{"type":"overloaded_error",)"
                                         R"("message":"Overloaded"}})"));
    });
    mock_.enqueue(answer("Second try.", "end_turn"));
    const Reply reply = connect(*host_)->chat("hi");
    ASSERT_EQ(reply.terminalType(), "complete") << content(reply);
    EXPECT_EQ(reply.text, "Second try.");
    EXPECT_EQ(mock_.requestCount(), 2u);
}

TEST_F(ClaudeStops, AnOverloadedStreamIsNotRetriedAfterText) {
    start({{"max_retries", "2"}});
    mock_.enqueue([](Exchange& exchange) {
        exchange.write(messageStartWithUsage(kUsage) +
                       blockEvents(0, R"({"type":"text","text":""})",
                                   {R"({"type":"text_delta","text":"Half an "})"}));
        exchange.write(sseEvent("error", R"({"type":"error","error":{"type":"overloaded_error",)"
                                         R"("message":"Overloaded"}})"));
    });
    mock_.setDefault(answer("Should not be asked for.", "end_turn"));
    const Reply reply = connect(*host_)->chat("hi");
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_EQ(errorCode(reply), "overloaded");
    EXPECT_EQ(reply.text, "Half an ");
    EXPECT_EQ(mock_.requestCount(), 1u);
}

}  // namespace
}  // namespace agenthost::test
