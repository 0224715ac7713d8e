// A protocol 2 turn outlives its connection: a disconnect cancels nothing, queued messages run
// in order while nobody is connected, and a later resume gets all of it. A protocol 1
// connection keeps protocol 1's rule: its disconnect cancels its running response, unless a
// protocol 2 connection is on the same conversation.
#include <map>
#include <string>

#include "ConversationTest.h"

namespace agenthost::test {
namespace {

// The turns of a conversation from the HTTP API; null when it does not answer 200.
Poco::JSON::Array::Ptr turnsOf(const HostProcess& host, const std::string& id) {
    auto conversation = getConversation(host, id);
    return conversation ? conversation->getArray("turns") : nullptr;
}

// The status of turn index+1 from the HTTP API, or a sentence saying why there is none.
std::string turnStatus(const HostProcess& host, const std::string& id, unsigned index) {
    auto turns = turnsOf(host, id);
    if (!turns) return "(GET /api/conversations/<id> failed)";
    if (turns->size() <= index) return "(no turn " + std::to_string(index + 1) + ")";
    return turns->getObject(index)->getValue<std::string>("status");
}

// Resumes `id` from the start and reads until the terminal frame of `lastTurn`.
Frames replayAll(const HostProcess& host, const std::string& route, const std::string& id,
                 int lastTurn) {
    auto again = resumeByUrl(host, route, id, 0);
    return again->readUntil(terminalOfTurn(lastTurn), 20s);
}

std::string textOf(const Frames& frames) {
    return transcriptOf(frames).text();
}

TEST(Lifetime, AProtocol2DisconnectCancelsNothing) {
    // 10 pieces 100 ms apart: about a second that runs with nobody connected.
    HostProcess host(conversationConfig("repeat = 10\ninterval_ms = 100\n"));
    std::string id;
    for (bool reset : {false, true}) {
        SCOPED_TRACE(reset ? "connection reset" : "connection closed without a Close frame");
        auto connection = startConversation(host, "slow");
        id = connection.conversationId();
        connection->sendMessage("keep");
        connection->readUntil(isType("message"));
        connection->drop(reset);

        ASSERT_TRUE(waitUntilNotRunning(host, "slow", id)) << "the turn did not end";
        auto frames = replayAll(host, "slow", id, 1);
        EXPECT_EQ(textOf(frames), repeated("keep", 10));
        ASSERT_FALSE(frames.empty());
        EXPECT_EQ(typeOf(frames.back()), "complete");
        EXPECT_FALSE(frames.back()->has("cancelled")) << canonical(frames.back());
        for (const auto& frame : frames) EXPECT_TRUE(isReplay(frame)) << canonical(frame);
        EXPECT_EQ(turnStatus(host, id, 0), "complete");
    }
}

TEST(Lifetime, AProtocol2CloseFrameCancelsNothingEither) {
    HostProcess host(conversationConfig("repeat = 10\ninterval_ms = 100\n"));
    auto connection = startConversation(host, "slow");
    const std::string id = connection.conversationId();
    connection->sendMessage("stay");
    connection->readUntil(isType("message"));
    connection->close();
    ASSERT_TRUE(waitUntilNotRunning(host, "slow", id));
    EXPECT_EQ(textOf(replayAll(host, "slow", id, 1)), repeated("stay", 10));
}

TEST(Lifetime, QueuedMessagesRunInOrderWhileNobodyIsConnected) {
    HostProcess host(conversationConfig("repeat = 1\n", "delay_ms = 300\n"));
    auto connection = startConversation(host);
    const std::string id = connection.conversationId();
    for (const char* text : {"one", "two", "three"}) connection->sendMessage(text);
    auto acknowledged = connection->readUntil(
        [](const FramePtr& frame) { return typeOf(frame) == "user" && turnOf(frame) == 3; });
    connection->drop();

    ASSERT_TRUE(waitUntilNotRunning(host, "echo", id)) << "the queue did not run to its end";
    auto frames = replayAll(host, "echo", id, 3);
    EXPECT_EQ(textOf(frames), "onetwothree");
    int completes = 0;
    for (const auto& frame : frames) {
        if (typeOf(frame) == "complete") {
            EXPECT_EQ(turnOf(frame), ++completes);
        }
    }
    EXPECT_EQ(completes, 3) << describeFrames(frames);
    for (unsigned i = 0; i < 3; ++i) EXPECT_EQ(turnStatus(host, id, i), "complete");
}

TEST(Lifetime, AResumeWhileTheTurnRunsPicksUpTheRestLive) {
    HostProcess host(conversationConfig("repeat = 20\ninterval_ms = 100\n"));
    auto connection = startConversation(host, "slow");
    const std::string id = connection.conversationId();
    Transcript transcript;
    transcript.beginConnection(0);
    connection->sendMessage("go");
    for (const auto& frame : connection->readUntil(seqAtLeast(3))) transcript.take(frame);
    connection->drop();
    // Frames produced while away come as replay, the rest live.
    auto again = resumeByUrl(host, "slow", id, 3);
    transcript.beginConnection(3);
    auto frames = again->readUntil(terminalOfTurn(1), 20s);
    for (const auto& frame : frames) transcript.take(frame);
    expectNoProblems(transcript);
    EXPECT_EQ(transcript.text(), repeated("go", 20));
    EXPECT_FALSE(isReplay(frames.back())) << "the end of the stream must come live";
}

TEST(Lifetime, AProtocol1DisconnectStillCancelsItsRunningResponse) {
    // 50 pieces 100 ms apart: 5 s if nothing cancelled it.
    HostProcess host(conversationConfig("repeat = 50\ninterval_ms = 100\n"));
    auto legacy = connectTo(host, "/api/slow/ws");
    ASSERT_EQ(legacy.ready->getValue<int>("protocol"), 1);
    const std::string id = legacy.conversationId();
    ASSERT_FALSE(id.empty());
    legacy->sendMessage("gone");
    auto first = legacy->receiveJson();
    EXPECT_EQ(typeOf(first), "message") << "protocol 1 gets no user frame";
    const auto droppedAt = std::chrono::steady_clock::now();
    legacy->drop();
    // Gone before the probes below attach, or they would keep its turn alive.
    ASSERT_TRUE(waitUntil([&] { return healthConnections(host) == 0; }));
    ASSERT_TRUE(waitUntilNotRunning(host, "slow", id));
    EXPECT_LT(std::chrono::steady_clock::now() - droppedAt, 3s) << "the response was not cancelled";
    // Its stored log ends the turn with the cancel's terminal frame, exactly once.
    auto frames = replayAll(host, "slow", id, 1);
    EXPECT_EQ(typeOf(frames.back()), "complete");
    EXPECT_TRUE(frames.back()->optValue<bool>("cancelled", false)) << canonical(frames.back());
    EXPECT_LT(textOf(frames).size(), repeated("gone", 50).size());
    EXPECT_EQ(turnStatus(host, id, 0), "cancelled");
}

TEST(Lifetime, AProtocol1DepartureCancelsItsQueuedTurnsToo) {
    HostProcess host(conversationConfig("repeat = 50\ninterval_ms = 100\n"));
    auto legacy = connectTo(host, "/api/slow/ws");
    const std::string id = legacy.conversationId();
    for (const char* text : {"running", "queued 1", "queued 2"}) legacy->sendMessage(text);
    legacy->receiveJson();  // the first piece: all three are accepted by now
    legacy->drop();
    // Gone before the probes below attach, or they would keep its turns alive.
    ASSERT_TRUE(waitUntil([&] { return healthConnections(host) == 0; }));
    ASSERT_TRUE(waitUntilNotRunning(host, "slow", id, 10s)) << "the queued turns ran";
    auto again = resumeByUrl(host, "slow", id, 0);
    auto frames = again->readUntil(seqAtLeast(again.lastSeq()));
    std::map<int, int> terminals;
    for (const auto& frame : frames) {
        if (typeOf(frame) == "user") terminals[turnOf(frame)] += 0;
        if (typeOf(frame) == "complete" || typeOf(frame) == "error") ++terminals[turnOf(frame)];
        EXPECT_FALSE(typeOf(frame) == "complete" && !frame->has("cancelled"))
            << "a turn completed: " << describeFrames(frames);
    }
    EXPECT_EQ(terminals, (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}})) << describeFrames(frames);
}

TEST(Lifetime, AProtocol1DepartureCancelsNothingWhileAProtocol2ConnectionIsAttached) {
    HostProcess host(conversationConfig("repeat = 10\ninterval_ms = 100\n"));
    auto legacy = connectTo(host, "/api/slow/ws");
    const std::string id = legacy.conversationId();
    auto watcher = resumeByUrl(host, "slow", id, 0);
    ASSERT_EQ(watcher.conversationId(), id);
    legacy->sendMessage("shared");
    legacy->receiveJson();  // the first piece
    legacy->drop();
    auto frames = watcher->readUntil(terminalOfTurn(1), 20s);
    EXPECT_EQ(textOf(frames), repeated("shared", 10));
    EXPECT_EQ(typeOf(frames.back()), "complete");
    EXPECT_FALSE(frames.back()->has("cancelled")) << canonical(frames.back());
}

TEST(Lifetime, CancelStopsAProtocol2ResponseAndIsStoredAsCancelled) {
    HostProcess host(conversationConfig("repeat = 50\ninterval_ms = 100\n"));
    auto connection = startConversation(host, "slow");
    const std::string id = connection.conversationId();
    connection->sendMessage("stop me");
    connection->readUntil(isType("message"));
    connection->sendJson(R"({"type":"cancel"})");
    auto frames = connection->readUntil(terminalOfTurn(1), 5s);
    EXPECT_EQ(typeOf(frames.back()), "complete");
    EXPECT_TRUE(frames.back()->optValue<bool>("cancelled", false)) << canonical(frames.back());
    EXPECT_EQ(frames.back()->optValue<std::string>("content", ""), "Response cancelled");
    ASSERT_TRUE(waitUntilNotRunning(host, "slow", id));
    EXPECT_EQ(turnStatus(host, id, 0), "cancelled");
}

}  // namespace
}  // namespace agenthost::test
