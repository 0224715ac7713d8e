// Conversations survive the host: a clean restart keeps them whole, and after kill -9 in the
// middle of a stream the conversation is there with every frame stored up to ~100 ms before
// the kill, its interrupted turn closed by exactly one error frame with code `interrupted`, and
// the next message continues it. Also where the store lives.
#include <signal.h>

#include <filesystem>
#include <map>
#include <string>

#include "ConversationTest.h"

namespace agenthost::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string stateFile(const HostProcess& host, const std::string& name) {
    return host.dir().file("state") + "/" + name;
}

// Terminal frames (complete or error) per turn, over a conversation's frames.
std::map<int, int> terminalsPerTurn(const Frames& frames) {
    std::map<int, int> terminals;
    for (const auto& frame : frames) {
        if (typeOf(frame) == "user") terminals[turnOf(frame)] += 0;
        if (typeOf(frame) == "complete" || typeOf(frame) == "error") ++terminals[turnOf(frame)];
    }
    return terminals;
}

// Every stored frame of the conversation, through a resume from the start.
Frames storedFrames(const HostProcess& host, const std::string& route, const std::string& id) {
    auto again = resumeByUrl(host, route, id, 0);
    EXPECT_EQ(again.conversationId(), id);
    const std::int64_t lastSeq = again.lastSeq();
    if (lastSeq <= 0) return {};
    return again->readUntil(seqAtLeast(lastSeq), 20s);
}

TEST(Restart, ConversationsSurviveACleanRestart) {
    HostProcess host(conversationConfig());
    auto connection = startConversation(host);
    const std::string id = connection.conversationId();
    Frames live;
    for (int turn = 1; turn <= 2; ++turn) {
        connection->sendMessage("before restart " + std::to_string(turn));
        auto frames = connection->readUntil(terminalOfTurn(turn));
        live.insert(live.end(), frames.begin(), frames.end());
    }
    connection->close();
    ASSERT_EQ(host.stop(SIGTERM), 0) << host.output();
    host.restart();

    auto again = resumeByUrl(host, "echo", id, 0);
    EXPECT_EQ(again.lastSeq(), 6);
    auto replay = again->readUntil(seqAtLeast(6));
    ASSERT_EQ(replay.size(), live.size()) << describeFrames(replay);
    for (std::size_t i = 0; i < live.size(); ++i) {
        EXPECT_EQ(canonical(replay[i]), canonical(live[i]));
        EXPECT_TRUE(isReplay(replay[i]));
    }
    again->sendMessage("after restart");
    EXPECT_EQ(describeFrames(again->readUntil(terminalOfTurn(3))), "user#7 message#8 complete#9");
    auto listed = api(host, "GET", "/api/conversations");
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(parseJson(listed.body)->getArray("conversations")->size(), 1u);
}

TEST(Restart, KillDashNineMidStreamThenRestart) {
    // 300 pieces 20 ms apart: 6 s of streaming; killed after about one second of it.
    HostProcess host(conversationConfig("repeat = 300\ninterval_ms = 20\n"));
    auto connection = startConversation(host, "slow");
    const std::string id = connection.conversationId();
    connection->sendMessage("interrupted");
    std::map<std::int64_t, std::pair<FramePtr, Clock::time_point>> seen;
    connection->readUntil([&](const FramePtr& frame) {
        seen[seqOf(frame)] = {frame, Clock::now()};
        return seqOf(frame) >= 50;
    });
    const auto killedAt = Clock::now();
    EXPECT_EQ(host.stop(SIGKILL), 128 + SIGKILL);
    connection->drop();
    // Every frame this client had 100 ms before the kill was sent at least that long before
    // it, so it must be in the store (the spec's bound; 100 ms more for a loaded machine).
    std::int64_t mustBeStored = 0;
    for (const auto& [seq, entry] : seen)
        if (killedAt - entry.second >= 200ms) mustBeStored = seq;
    ASSERT_GT(mustBeStored, 10);

    host.restart();
    auto again = resumeByUrl(host, "slow", id, 0);
    ASSERT_EQ(again.conversationId(), id) << "the conversation did not survive the kill";
    const std::int64_t lastSeq = again.lastSeq();
    EXPECT_GT(lastSeq, mustBeStored) << "frames sent 200 ms before the kill were lost";
    auto replay = again->readUntil(terminalOfTurn(1), 20s);
    expectNoGapExceptBeforeInterrupted(replay);
    EXPECT_EQ(seqOf(replay.back()), lastSeq) << describeFrames(replay);
    EXPECT_EQ(typeOf(replay.back()), "error") << canonical(replay.back());
    EXPECT_EQ(codeOf(replay.back()), "interrupted") << canonical(replay.back());
    EXPECT_EQ(terminalsPerTurn(replay)[1], 1) << describeFrames(replay);
    for (const auto& frame : replay) {
        EXPECT_TRUE(isReplay(frame)) << canonical(frame);
        auto before = seen.find(seqOf(frame));
        // A seq is never reused: one the client saw live (even if the crash lost it from the
        // store) must not come back as another frame, or the client recipe would drop it.
        if (before != seen.end()) {
            EXPECT_EQ(canonical(frame), canonical(before->second.first))
                << "seq " << seqOf(frame) << " was reused after the crash";
        }
    }
    expectSilence(*again.client, 300ms);

    // The next message continues the conversation: turn 2, the next seq.
    again->sendMessage("go on");
    auto next = again->readUntil(isType("user"));
    EXPECT_EQ(seqOf(next.back()), lastSeq + 1);
    EXPECT_EQ(turnOf(next.back()), 2);
    again->sendJson(R"({"type":"cancel"})");
    again->readUntil(terminalOfTurn(2));
    ASSERT_TRUE(waitUntilNotRunning(host, "slow", id));

    // A further restart closes nothing twice.
    again->close();
    ASSERT_EQ(host.stop(SIGTERM), 0) << host.output();
    host.restart();
    auto afterSecondRestart = storedFrames(host, "slow", id);
    auto terminals = terminalsPerTurn(afterSecondRestart);
    EXPECT_EQ(terminals[1], 1) << describeFrames(afterSecondRestart);
    EXPECT_EQ(terminals[2], 1) << describeFrames(afterSecondRestart);

    // The HTTP API tells the same story.
    auto conversation = getConversation(host, id);
    ASSERT_NE(conversation, nullptr) << "GET /api/conversations/<id> failed";
    EXPECT_FALSE(conversation->getValue<bool>("running"));
    auto turns = conversation->getArray("turns");
    ASSERT_EQ(turns->size(), 2u);
    EXPECT_EQ(turns->getObject(0)->getValue<std::string>("status"), "interrupted");
    EXPECT_EQ(turns->getObject(0)->getValue<std::string>("user"), "interrupted");
    EXPECT_EQ(turns->getObject(1)->getValue<std::string>("status"), "cancelled");
    EXPECT_EQ(turns->getObject(1)->getValue<std::string>("user"), "go on");
}

TEST(Restart, AfterACrashEveryStoredTurnEndsWithExactlyOneTerminalFrame) {
    // A running turn and two queued ones (their user frames are stored) when the host dies.
    HostProcess host(conversationConfig("repeat = 100\ninterval_ms = 20\n"));
    auto connection = startConversation(host, "slow");
    const std::string id = connection.conversationId();
    for (const char* text : {"running", "queued 1", "queued 2"}) connection->sendMessage(text);
    // 20 frames in, the user frames are 300 ms old: well past the store's 100 ms.
    connection->readUntil(seqAtLeast(20));
    EXPECT_EQ(host.stop(SIGKILL), 128 + SIGKILL);
    connection->drop();

    host.restart();
    ASSERT_TRUE(waitUntilNotRunning(host, "slow", id));
    auto frames = storedFrames(host, "slow", id);
    expectNoGapExceptBeforeInterrupted(frames);
    auto terminals = terminalsPerTurn(frames);
    EXPECT_EQ(terminals.size(), 3u) << describeFrames(frames);
    for (const auto& [turn, count] : terminals)
        EXPECT_EQ(count, 1) << "turn " << turn << ": " << describeFrames(frames);
}

TEST(Restart, ACleanStopMidStreamLeavesEveryTurnWithOneTerminalFrame) {
    HostProcess host(conversationConfig("repeat = 300\ninterval_ms = 20\n"));
    auto connection = startConversation(host, "slow");
    const std::string id = connection.conversationId();
    connection->sendMessage("stopped");
    connection->readUntil(seqAtLeast(10));
    ASSERT_EQ(host.stop(SIGTERM), 0) << host.output();
    connection->drop();
    host.restart();
    auto frames = storedFrames(host, "slow", id);
    const Transcript transcript = transcriptOf(frames);
    expectNoProblems(transcript);
    EXPECT_GE(transcript.highestSeq(), 11) << "frames sent before the stop were lost";
    EXPECT_EQ(terminalsPerTurn(frames)[1], 1) << describeFrames(frames);
    EXPECT_TRUE(waitUntilNotRunning(host, "slow", id, 5s));
}

TEST(Restart, TheStoreIsConversationsDbInTheStateDirByDefault) {
    HostProcess host(conversationConfig());
    auto connection = startConversation(host);
    connection->sendMessage("stored");
    connection->readUntil(terminalOfTurn(1));
    EXPECT_TRUE(waitUntil([&] {
        return std::filesystem::exists(stateFile(host, "conversations.db"));
    })) << "no "
        << stateFile(host, "conversations.db");
}

TEST(Restart, StoreSqlitePathPutsTheFileThere) {
    TempDir elsewhere;
    const std::string path = elsewhere.file("mine.db");
    HostProcess host(conversationConfig("repeat = 1\n", "", "store = sqlite:" + path + "\n"));
    auto connection = startConversation(host);
    const std::string id = connection.conversationId();
    connection->sendMessage("over there");
    connection->readUntil(terminalOfTurn(1));
    EXPECT_TRUE(waitUntil([&] { return std::filesystem::exists(path); })) << path;
    EXPECT_FALSE(std::filesystem::exists(stateFile(host, "conversations.db")));
    connection->close();
    ASSERT_EQ(host.stop(SIGTERM), 0) << host.output();
    host.restart();
    auto probe = startConversation(host);
    auto resumed = sendResume(*probe.client, id, 0);
    EXPECT_EQ(typeOf(resumed), "resumed")
        << "not found again in " << path << ": " << canonical(resumed);
}

TEST(Restart, StoreNoneKeepsNothing) {
    HostProcess host(conversationConfig("repeat = 1\n", "", "store = none\n"));
    auto legacy = connectTo(host, "/api/echo/ws");
    legacy->sendMessage("forgotten");
    auto frames = legacy->readUntil(isType("complete"));
    EXPECT_EQ(frames.size(), 2u) << describeFrames(frames);
    legacy->close();
    ASSERT_EQ(host.stop(SIGTERM), 0) << host.output();
    EXPECT_FALSE(std::filesystem::exists(stateFile(host, "conversations.db")));
}

}  // namespace
}  // namespace agenthost::test
