// Messages sent while a response runs: they queue in order up to a limit, each gets exactly one
// terminal frame, and cancel ends the running response without ending the session.
#include <string>
#include <vector>

#include "Helpers.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

// Every frame until `completes` complete frames arrived.
std::vector<Poco::JSON::Object::Ptr> framesUntilCompletes(WsClient& client, int completes,
                                                          std::chrono::milliseconds timeout) {
    std::vector<Poco::JSON::Object::Ptr> frames;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (completes > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        frames.push_back(client.receiveJson(std::max(left, 1ms)));
        if (typeOf(frames.back()) == "complete") --completes;
    }
    return frames;
}

// The texts of the completed responses, in order, from a frame sequence.
std::vector<std::string> completedTexts(const std::vector<Poco::JSON::Object::Ptr>& frames) {
    std::vector<std::string> texts;
    std::string current;
    for (const auto& frame : frames) {
        if (typeOf(frame) == "message") current += frame->getValue<std::string>("content");
        if (typeOf(frame) == "complete") {
            texts.push_back(current);
            current.clear();
        }
    }
    return texts;
}

int countErrors(const std::vector<Poco::JSON::Object::Ptr>& frames, const std::string& code) {
    int count = 0;
    for (const auto& frame : frames)
        if (typeOf(frame) == "error" && frame->getValue<std::string>("code") == code) ++count;
    return count;
}

// Nothing else arrives within `window`.
void expectSilence(WsClient& client, std::chrono::milliseconds window) {
    auto frame = client.receive(window);
    EXPECT_FALSE(frame.has_value()) << "unexpected frame: " << frame->payload;
}

TEST(Queue, MessagesSentDuringAResponseAreAnsweredInOrder) {
    HostProcess host(echoConfig("delay_ms = 300\n"));
    auto client = connectAuthenticated(host);
    for (const char* text : {"one", "two", "three"}) client->sendMessage(text);
    auto frames = framesUntilCompletes(*client, 3, 5s);
    EXPECT_EQ(completedTexts(frames), (std::vector<std::string>{"one", "two", "three"}));
    EXPECT_EQ(countErrors(frames, "busy"), 0);
    for (const auto& frame : frames) expectTimestamp(frame);
    expectSilence(*client, 500ms);  // exactly one terminal frame each
}

TEST(Queue, BeyondMaxQueuedMessagesTheExtraOnesAreBusy) {
    HostConfig config = echoConfig("delay_ms = 300\n");
    config.server["max_queued_messages"] = "2";
    HostProcess host(config);
    auto client = connectAuthenticated(host);
    for (const char* text : {"a", "b", "c", "d", "e"}) client->sendMessage(text);
    auto frames = framesUntilCompletes(*client, 3, 5s);
    EXPECT_EQ(countErrors(frames, "busy"), 2);  // one running, two waiting, two refused
    EXPECT_EQ(completedTexts(frames), (std::vector<std::string>{"a", "b", "c"}));
    expectSilence(*client, 500ms);
}

TEST(Queue, DefaultQueueLimitIs16) {
    // The 18 messages must all arrive while the first one still runs, even on a loaded box.
    HostProcess host(echoConfig("delay_ms = 200\n"));
    auto client = connectAuthenticated(host);
    std::vector<std::string> expected;
    for (int i = 0; i < 18; ++i) {
        // Appended rather than `"m" + std::to_string(i)`: GCC 12 at -O3 reports a false
        // -Wrestrict on that operator+ (GCC bug 105329).
        std::string text = "m";
        text += std::to_string(i);
        client->sendMessage(text);
        if (i < 17) expected.push_back(text);
    }
    auto frames = framesUntilCompletes(*client, 17, 10s);
    EXPECT_EQ(countErrors(frames, "busy"), 1);
    EXPECT_EQ(completedTexts(frames), expected);
    expectSilence(*client, 300ms);
}

TEST(Queue, CancelEndsTheRunningResponseAndTheSessionGoesOn) {
    // Three pieces, 400 ms apart: cancel after the first one arrived.
    HostProcess host(echoConfig("delay_ms = 400\nrepeat = 3\n"));
    auto client = connectAuthenticated(host);
    client->sendMessage("slow");
    auto first = client->receiveJson();
    ASSERT_EQ(typeOf(first), "message");
    EXPECT_EQ(first->getValue<std::string>("content"), "slow");
    const auto cancelledAt = std::chrono::steady_clock::now();
    client->sendJson(R"({"type":"cancel"})");

    auto terminal = client->receiveJson();
    EXPECT_LE(std::chrono::steady_clock::now() - cancelledAt, 1s) << "cancel was not prompt";
    EXPECT_EQ(typeOf(terminal), "complete");
    EXPECT_EQ(terminal->getValue<std::string>("content"), "Response cancelled");
    ASSERT_TRUE(terminal->has("cancelled"));
    EXPECT_TRUE(terminal->getValue<bool>("cancelled"));
    expectTimestamp(terminal);
    expectSilence(*client, 1000ms);  // the rest of "slow" never comes

    auto reply = client->chat("next");
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, "nextnextnext");
    EXPECT_FALSE(reply.terminal->has("cancelled"));
}

TEST(Queue, CancelLetsTheQueuedMessageRun) {
    HostProcess host(echoConfig("delay_ms = 500\n"));
    auto client = connectAuthenticated(host);
    client->sendMessage("doomed");
    client->sendMessage("queued");
    client->sendJson(R"({"type":"cancel"})");
    auto cancelled = client->receiveJson();
    EXPECT_EQ(typeOf(cancelled), "complete");
    EXPECT_EQ(cancelled->getValue<std::string>("content"), "Response cancelled");
    auto reply = client->readReply();
    EXPECT_EQ(reply.text, "queued");
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.terminal->getValue<std::string>("content"), "Response complete");
}

}  // namespace
}  // namespace agenthost::test
