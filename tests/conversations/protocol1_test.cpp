// Protocol 1 clients (the existing iOS app) notice nothing of protocol 2 but two extra fields
// in the ready frame: conversation_id and last_seq. Frames of an exchange keep their fields
// (they may carry seq and turn, which such a client ignores), no user frames, same errors.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "ConversationTest.h"

namespace agenthost::test {
namespace {

using Names = std::set<std::string>;

Names namesOf(const FramePtr& frame) {
    std::vector<std::string> names;
    frame->getNames(names);
    return Names(names.begin(), names.end());
}

// The frame's field names without seq and turn, which protocol 1 frames may carry.
Names protocol1NamesOf(const FramePtr& frame) {
    Names names = namesOf(frame);
    names.erase("seq");
    names.erase("turn");
    return names;
}

const Names kReadyFields{"type",    "content",  "timestamp",       "session_id", "plugin",
                         "version", "protocol", "conversation_id", "last_seq"};

void expectProtocol1Ready(const FramePtr& ready) {
    EXPECT_EQ(namesOf(ready), kReadyFields) << canonical(ready);
    EXPECT_EQ(ready->getValue<std::string>("content"), "echo ready");
    EXPECT_EQ(ready->getValue<std::string>("plugin"), "echo");
    EXPECT_EQ(ready->getValue<int>("protocol"), 1);
    EXPECT_EQ(ready->getValue<int>("last_seq"), 0);
    EXPECT_FALSE(ready->getValue<std::string>("conversation_id").empty());
}

TEST(Protocol1, ReadyFrameHasItsFieldsPlusConversationIdAndLastSeqOnly) {
    HostProcess host(conversationConfig());
    expectProtocol1Ready(connectTo(host, "/api/echo/ws").ready);
    WsClient bearerClient(host.port(), "/api/echo/ws", bearer(kTestKey));
    expectProtocol1Ready(bearerClient.awaitReady());
}

TEST(Protocol1, ReadyFrameIsTheSameWithoutAStore) {
    HostProcess host(conversationConfig("repeat = 1\n", "", "store = none\n"));
    expectProtocol1Ready(connectTo(host, "/api/echo/ws").ready);
}

TEST(Protocol1, EveryConnectionIsOnItsOwnConversation) {
    HostProcess host(conversationConfig());
    std::set<std::string> ids;
    for (int i = 0; i < 3; ++i) ids.insert(connectTo(host, "/api/echo/ws").conversationId());
    EXPECT_EQ(ids.size(), 3u);
}

TEST(Protocol1, AnExchangeHasNoUserFramesAndTheSameFields) {
    HostProcess host(conversationConfig("repeat = 3\ninterval_ms = 10\n"));
    auto legacy = connectTo(host, "/api/slow/ws");
    for (int round = 1; round <= 2; ++round) {
        legacy->sendMessage("hello");
        auto frames = legacy->readUntil(isType("complete"));
        ASSERT_EQ(frames.size(), 4u) << describeFrames(frames);
        for (int i = 0; i < 3; ++i) {
            EXPECT_EQ(typeOf(frames[i]), "message");
            EXPECT_EQ(frames[i]->getValue<std::string>("content"), "hello");
            EXPECT_EQ(protocol1NamesOf(frames[i]), (Names{"type", "content", "timestamp"}))
                << canonical(frames[i]);
            EXPECT_FALSE(isReplay(frames[i]));
        }
        auto complete = frames[3];
        EXPECT_EQ(complete->getValue<std::string>("content"), "Response complete");
        Names names = protocol1NamesOf(complete);
        names.erase("usage");
        names.erase("stop_reason");
        EXPECT_EQ(names, (Names{"type", "content", "timestamp"})) << canonical(complete);
    }
}

TEST(Protocol1, QueueingCancelAndErrorsAreUnchanged) {
    HostProcess host(conversationConfig("repeat = 50\ninterval_ms = 50\n"));
    auto legacy = connectTo(host, "/api/slow/ws");
    legacy->sendText(R"({"type":"bogus"})");
    auto invalid = legacy->receiveJson();
    EXPECT_EQ(codeOf(invalid), "invalid_message");
    EXPECT_EQ(namesOf(invalid), (Names{"type", "content", "code", "timestamp"}))
        << canonical(invalid);

    legacy->sendMessage("long");
    legacy->sendMessage("queued");
    auto first = legacy->receiveJson();
    EXPECT_EQ(typeOf(first), "message") << canonical(first);
    legacy->sendJson(R"({"type":"cancel"})");
    auto cancelled = legacy->readUntil(isType("complete"));
    EXPECT_EQ(cancelled.back()->getValue<std::string>("content"), "Response cancelled");
    EXPECT_TRUE(cancelled.back()->optValue<bool>("cancelled", false));
    for (const auto& frame : cancelled) EXPECT_NE(typeOf(frame), "user") << canonical(frame);
    // The queued message runs next; cancel it too, so the host has nothing left to do.
    auto next = legacy->receiveJson();
    EXPECT_EQ(typeOf(next), "message");
    EXPECT_EQ(next->getValue<std::string>("content"), "queued");
    legacy->sendJson(R"({"type":"cancel"})");
    legacy->readUntil(isType("complete"));
    legacy->sendJson(R"({"type":"ping"})");
    auto pong = legacy->readUntil(isType("pong"));
    EXPECT_EQ(namesOf(pong.back()), (Names{"type", "timestamp"})) << canonical(pong.back());
}

}  // namespace
}  // namespace agenthost::test
