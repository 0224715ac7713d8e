// Event frames: a protocol 2 client sees what the agent did besides writing (here echo's
// thinking and status events), numbered in the turn's seq like every frame, stored and
// replayed; `events=` narrows the kinds (leaving gaps in the seqs, live and on replay alike);
// a protocol 1 client sees exactly what it saw before events existed.
#include <set>
#include <string>
#include <vector>

#include "EventsTest.h"

namespace agenthost::test {
namespace {

using Shape = std::vector<std::string>;

std::set<std::string> namesOf(const FramePtr& frame) {
    std::vector<std::string> names;
    frame->getNames(names);
    return {names.begin(), names.end()};
}

TEST(Events, Protocol2SeesThinkingAndStatusWithConsecutiveSeqsBeforeTheMessage) {
    HostProcess host(eventsConfig());
    auto client = startConversation(host, "events");
    client->sendMessage("hello");
    const auto frames = client->readUntil(terminalOfTurn(1));
    EXPECT_EQ(shapeOf(frames),
              (Shape{"user", "event:thinking", "event:status", "message", "complete"}));
    EXPECT_EQ(seqsOf(frames), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
    for (const auto& frame : frames) EXPECT_EQ(turnOf(frame), 1) << canonical(frame);

    const auto& thinking = frames[1];
    EXPECT_EQ(namesOf(thinking), (std::set<std::string>{"type", "kind", "content", "data", "seq",
                                                        "turn", "timestamp"}));
    EXPECT_EQ(thinking->getValue<std::string>("content"), "The user wrote 5 characters.");
    EXPECT_EQ(thinking->getObject("data")->size(), 0u);
    const auto& status = frames[2];
    EXPECT_EQ(status->getValue<std::string>("content"), "echoing");
    EXPECT_EQ(status->getObject("data")->getValue<int>("characters"), 5);
    EXPECT_EQ(frames[3]->getValue<std::string>("content"), "hello");
}

TEST(Events, ThinkingIsStreamedInChunksLikeMessageText) {
    auto config = eventsConfig();
    config.sections += "\n[streaming]\nchunk_chars = 10\n";
    HostProcess host(config);
    auto client = startConversation(host, "events");
    client->sendMessage("hello");
    const auto frames = client->readUntil(terminalOfTurn(1));
    EXPECT_EQ(shapeOf(frames), (Shape{"user", "event:thinking", "event:thinking", "event:thinking",
                                      "event:status", "message", "complete"}));
    std::string thinking;
    for (const auto& frame : frames)
        if (isEvent(frame, "thinking")) thinking += frame->getValue<std::string>("content");
    EXPECT_EQ(thinking, "The user wrote 5 characters.");
    EXPECT_EQ(frames[1]->getValue<std::string>("content"), "The user w");
    EXPECT_EQ(seqsOf(frames), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7}));
}

TEST(Events, EventsKeepTheirPlaceAmongPacedChunks) {
    auto config = eventsConfig();
    config.sections += "\n[streaming]\nchunk_chars = 10\nchunk_delay_ms = 20\n";
    HostProcess host(config);
    auto client = startConversation(host, "events");
    client->sendMessage("hello, paced world");
    const auto frames = client->readUntil(terminalOfTurn(1));
    EXPECT_EQ(shapeOf(frames), (Shape{"user", "event:thinking", "event:thinking", "event:thinking",
                                      "event:status", "message", "message", "complete"}));
    EXPECT_EQ(seqsOf(frames), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(Events, ThinkingIsNotPartOfTheAnswerOrItsHistory) {
    HostProcess host(eventsConfig());
    auto client = startConversation(host, "events");
    client->sendMessage("hello");
    client->readUntil(terminalOfTurn(1));
    ASSERT_TRUE(waitUntilIdle(host, client.conversationId()));
    const auto conversation = getConversation(host, client.conversationId());
    ASSERT_TRUE(conversation);
    const auto turn = conversation->getArray("turns")->getObject(0);
    EXPECT_EQ(turn->getValue<std::string>("assistant"), "hello");
    // The stored frames keep the events, with their seqs.
    const auto stored = parseJson(
        api(host, "GET", "/api/conversations/" + client.conversationId() + "/frames").body);
    Frames storedFrames;
    const auto array = stored->getArray("frames");
    for (std::size_t i = 0; i < array->size(); ++i) storedFrames.push_back(array->getObject(i));
    EXPECT_EQ(shapeOf(storedFrames),
              (Shape{"user", "event:thinking", "event:status", "message", "complete"}));
}

TEST(Events, FilterAdmitsOnlyTheNamedKindsLiveAndOnReplayLeavingGaps) {
    HostProcess host(eventsConfig());
    auto client = connectTo(host, "/api/events/ws?protocol=2&events=thinking");
    EXPECT_EQ(client.ready->getValue<int>("protocol"), 2);
    client->sendMessage("hi");
    const auto live = client->readUntil(terminalOfTurn(1));
    EXPECT_EQ(shapeOf(live), (Shape{"user", "event:thinking", "message", "complete"}));
    EXPECT_EQ(seqsOf(live), (std::vector<std::int64_t>{1, 2, 4, 5}));  // 3 was the status

    // A resume with the same filter replays the same frames, the same gap.
    auto resumed = connectTo(host, "/api/events/ws?protocol=2&events=thinking&conversation=" +
                                       client.conversationId() + "&after_seq=0");
    EXPECT_EQ(resumed.conversationId(), client.conversationId());
    EXPECT_EQ(resumed.lastSeq(), 5);
    const auto replayed = resumed->readUntil(terminalOfTurn(1));
    ASSERT_EQ(replayed.size(), live.size());
    for (std::size_t i = 0; i < live.size(); ++i) {
        EXPECT_TRUE(isReplay(replayed[i]));
        EXPECT_EQ(canonical(replayed[i]), canonical(live[i]));
    }

    // A resume frame keeps the connection's own filter: here status only.
    auto statusOnly = connectTo(host, "/api/events/ws?protocol=2&events=status");
    auto answer = sendResume(*statusOnly.client, client.conversationId(), 0);
    ASSERT_EQ(typeOf(answer), "resumed") << canonical(answer);
    const auto statusReplay = statusOnly->readUntil(terminalOfTurn(1));
    EXPECT_EQ(shapeOf(statusReplay), (Shape{"user", "event:status", "message", "complete"}));
    EXPECT_EQ(seqsOf(statusReplay), (std::vector<std::int64_t>{1, 3, 4, 5}));

    // Without events= a resume sees every seq.
    auto everything = resumeByUrl(host, "events", client.conversationId(), 0);
    EXPECT_EQ(seqsOf(everything->readUntil(terminalOfTurn(1))),
              (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
}

TEST(Events, AnEmptyListAdmitsNoKind) {
    HostProcess host(eventsConfig());
    auto client = connectTo(host, "/api/events/ws?protocol=2&events=");
    client->sendMessage("hi");
    EXPECT_EQ(shapeOf(client->readUntil(terminalOfTurn(1))),
              (Shape{"user", "message", "complete"}));
}

TEST(Events, AnUnknownKindIsRefusedLikeAMalformedUrlOption) {
    HostProcess host(eventsConfig());
    auto client = connectTo(host, "/api/events/ws?protocol=2&events=thinking,dreams");
    EXPECT_EQ(client.lastSeq(), 0);
    EXPECT_FALSE(client.conversationId().empty());
    const auto error = client->receiveJson();
    EXPECT_EQ(typeOf(error), "error");
    EXPECT_EQ(codeOf(error), "invalid_message");
    EXPECT_NE(error->getValue<std::string>("content").find("dreams"), std::string::npos);
    EXPECT_FALSE(error->has("seq"));
    // The connection goes on, on its new conversation, with every kind.
    client->sendMessage("hi");
    EXPECT_EQ(shapeOf(client->readUntil(terminalOfTurn(1))),
              (Shape{"user", "event:thinking", "event:status", "message", "complete"}));

    // The same refusal on a resume in the URL: a new conversation instead.
    auto resume = connectTo(host, "/api/events/ws?protocol=2&events=nope&conversation=" +
                                      client.conversationId() + "&after_seq=0");
    EXPECT_NE(resume.conversationId(), client.conversationId());
    EXPECT_EQ(codeOf(resume->receiveJson()), "invalid_message");
}

TEST(Events, Protocol1SeesExactlyWhatItSawBefore) {
    HostProcess host(eventsConfig());
    WsClient withEvents(host.port(), "/api/events/ws");
    withEvents.authenticate(kTestKey);
    WsClient without(host.port(), "/api/plain/ws");
    without.authenticate(kTestKey);
    const auto reply = withEvents.chat("hello");
    const auto plain = without.chat("hello");
    EXPECT_EQ(shapeOf(reply.frames), (Shape{"message", "complete"}));
    EXPECT_EQ(shapeOf(reply.frames), shapeOf(plain.frames));
    EXPECT_EQ(reply.text, "hello");
    for (std::size_t i = 0; i < reply.frames.size() && i < plain.frames.size(); ++i)
        EXPECT_EQ(namesOf(reply.frames[i]), namesOf(plain.frames[i]));
    expectSilence(withEvents, 300ms);
}

TEST(Events, Protocol1SenderOnASharedConversationStillFeedsProtocol2Watchers) {
    HostProcess host(eventsConfig());
    WsClient sender(host.port(), "/api/events/ws");
    const auto ready = sender.authenticate(kTestKey);
    auto watcher = resumeByUrl(host, "events", conversationIdOf(ready), 0);
    const auto reply = sender.chat("hey");
    EXPECT_EQ(shapeOf(reply.frames), (Shape{"message", "complete"}));
    EXPECT_EQ(shapeOf(watcher->readUntil(terminalOfTurn(1))),
              (Shape{"user", "event:thinking", "event:status", "message", "complete"}));
}

}  // namespace
}  // namespace agenthost::test
