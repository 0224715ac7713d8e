// Resume after a dropped connection, at every stage of a conversation, by URL and by frame:
// the client sees every seq exactly once, replayed frames are marked and equal to the live
// ones, and the text it renders is the whole response.
#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "ConversationTest.h"

namespace agenthost::test {
namespace {

enum class Stage { BeforeFirstChunk, MidStream, BetweenQueuedMessages, AfterComplete };
enum class Way { Url, Frame };

struct ResumeCase {
    Stage stage;
    Way way;
};

std::string nameOf(const ResumeCase& resumeCase) {
    const char* stages[] = {"BeforeFirstChunk", "MidStream", "BetweenQueuedMessages",
                            "AfterComplete"};
    return std::string(stages[static_cast<int>(resumeCase.stage)]) +
           (resumeCase.way == Way::Url ? "ByUrl" : "ByFrame");
}

std::string caseName(const testing::TestParamInfo<ResumeCase>& info) {
    return nameOf(info.param);
}

void PrintTo(const ResumeCase& resumeCase, std::ostream* out) {
    *out << nameOf(resumeCase);
}

// /api/echo/ws answers once after 1.5 s (time to drop and come back before the first chunk);
// /api/slow/ws streams 20 pieces 50 ms apart.
HostConfig stageConfig() {
    return conversationConfig("repeat = 20\ninterval_ms = 50\n", "delay_ms = 1500\n");
}

class ResumeAtEveryStage : public testing::TestWithParam<ResumeCase> {
  protected:
    // Drops the first connection once `dropAfter` holds, then resumes after the highest seq
    // seen and reads until the terminal frame of `lastTurn` (0: expects nothing more).
    void dropAndResume(const std::string& route, const std::vector<std::string>& messages,
                       const WsClient::FramePredicate& dropAfter, int lastTurn) {
        auto first = startConversation(host_, route);
        id_ = first.conversationId();
        ASSERT_FALSE(id_.empty()) << "ready frame without conversation_id";
        transcript_.beginConnection(0);
        for (const auto& text : messages) first->sendMessage(text);
        for (const auto& frame : first->readUntil(dropAfter)) transcript_.take(frame);
        first->drop();

        const std::int64_t afterSeq = transcript_.highestSeq();
        auto second = resume(route, afterSeq);
        // lastTurn 0: everything was seen before the drop, nothing more may come.
        if (lastTurn > 0) {
            for (const auto& frame : second->readUntil(terminalOfTurn(lastTurn), 20s)) {
                resumedFrames_.push_back(frame);
                transcript_.take(frame);
            }
        }
        expectReplayMarksOnlyOldFrames();
        expectNoProblems(transcript_);
        expectSilence(*second.client, 300ms);
        resumed_ = std::move(second);
    }

    // Resumes `id_` after `afterSeq` the way the test case says; checks the answer.
    Connection resume(const std::string& route, std::int64_t afterSeq) {
        transcript_.beginConnection(afterSeq);
        if (GetParam().way == Way::Url) {
            auto connection = resumeByUrl(host_, route, id_, afterSeq);
            EXPECT_EQ(connection.conversationId(), id_);
            EXPECT_EQ(connection.ready->getValue<int>("protocol"), 2);
            reportedLastSeq_ = connection.lastSeq();
            return connection;
        }
        auto connection = startConversation(host_, route);
        EXPECT_NE(connection.conversationId(), id_);
        auto resumed = sendResume(*connection.client, id_, afterSeq);
        EXPECT_EQ(typeOf(resumed), "resumed") << canonical(resumed);
        EXPECT_EQ(conversationIdOf(resumed), id_);
        EXPECT_TRUE(resumed->has("running"));
        EXPECT_TRUE(resumed->has("timestamp"));
        reportedLastSeq_ = resumed->optValue<std::int64_t>("last_seq", -1);
        running_ = resumed->optValue<bool>("running", false);
        return connection;
    }

    // Frames up to the last_seq the resume reported are replays; later ones are live.
    void expectReplayMarksOnlyOldFrames() const {
        EXPECT_GE(reportedLastSeq_, 0);
        for (const auto& frame : resumedFrames_) {
            const std::int64_t seq = seqOf(frame);
            if (seq < 0) continue;
            EXPECT_EQ(isReplay(frame), seq <= reportedLastSeq_)
                << "seq " << seq << " with last_seq " << reportedLastSeq_ << ": "
                << canonical(frame);
        }
    }

    std::vector<std::string> renderedTypes() const {
        std::vector<std::string> types;
        for (const auto& frame : transcript_.frames()) types.push_back(typeOf(frame));
        return types;
    }

    HostProcess host_{stageConfig()};
    std::string id_;
    Transcript transcript_;
    Frames resumedFrames_;
    Connection resumed_;
    std::int64_t reportedLastSeq_ = -1;
    bool running_ = false;
};

TEST_P(ResumeAtEveryStage, EverySeqOnceAndTheWholeText) {
    using Types = std::vector<std::string>;
    switch (GetParam().stage) {
        case Stage::BeforeFirstChunk:
            // Dropped right after the user frame acknowledged the message.
            ASSERT_NO_FATAL_FAILURE(dropAndResume("echo", {"hello"}, isType("user"), 1));
            EXPECT_EQ(transcript_.text(), "hello");
            EXPECT_EQ(renderedTypes(), (Types{"user", "message", "complete"}));
            EXPECT_EQ(reportedLastSeq_, 1);
            ASSERT_FALSE(resumedFrames_.empty());
            EXPECT_FALSE(isReplay(resumedFrames_.front())) << "the answer came only after 1.5 s";
            break;
        case Stage::MidStream:
            ASSERT_NO_FATAL_FAILURE(
                dropAndResume("slow", {"piece"}, seqAtLeast(4), 1));  // user and three pieces
            EXPECT_EQ(transcript_.text(), repeated("piece", 20));
            EXPECT_EQ(transcript_.highestSeq(), 22);  // user, 20 pieces, complete
            break;
        case Stage::BetweenQueuedMessages:
            ASSERT_NO_FATAL_FAILURE(
                dropAndResume("echo", {"first", "second"}, terminalOfTurn(1), 2));
            EXPECT_EQ(transcript_.text(), "firstsecond");
            EXPECT_EQ(renderedTypes(),
                      (Types{"user", "user", "message", "complete", "message", "complete"}));
            break;
        case Stage::AfterComplete:
            ASSERT_NO_FATAL_FAILURE(dropAndResume("slow", {"done"}, terminalOfTurn(1), 0));
            EXPECT_TRUE(resumedFrames_.empty()) << describeFrames(resumedFrames_);
            EXPECT_EQ(reportedLastSeq_, transcript_.highestSeq());
            break;
    }
    if (GetParam().way == Way::Frame) {
        EXPECT_EQ(running_, GetParam().stage != Stage::AfterComplete);
    }
    EXPECT_TRUE(transcript_.rendered("complete"));
}

INSTANTIATE_TEST_SUITE_P(Stages, ResumeAtEveryStage,
                         testing::Values(ResumeCase{Stage::BeforeFirstChunk, Way::Url},
                                         ResumeCase{Stage::BeforeFirstChunk, Way::Frame},
                                         ResumeCase{Stage::MidStream, Way::Url},
                                         ResumeCase{Stage::MidStream, Way::Frame},
                                         ResumeCase{Stage::BetweenQueuedMessages, Way::Url},
                                         ResumeCase{Stage::BetweenQueuedMessages, Way::Frame},
                                         ResumeCase{Stage::AfterComplete, Way::Url},
                                         ResumeCase{Stage::AfterComplete, Way::Frame}),
                         caseName);

// A protocol 2 conversation on the instant echo route, with one turn per text, every frame
// as it arrived live.
Frames talk(WsClient& client, const std::vector<std::string>& texts) {
    Frames frames;
    int turn = 0;
    for (const auto& text : texts) {
        client.sendMessage(text);
        auto reply = client.readUntil(terminalOfTurn(++turn));
        frames.insert(frames.end(), reply.begin(), reply.end());
    }
    return frames;
}

bool isConversationId(const std::string& id) {
    if (id.size() < 16 || id.size() > 64) return false;
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    return true;
}

TEST(Resume, ReadyFrameOfAProtocol2ConnectionNamesANewConversation) {
    HostProcess host(conversationConfig());
    std::set<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        auto connection = startConversation(host);
        EXPECT_EQ(connection.ready->getValue<int>("protocol"), 2);
        EXPECT_EQ(connection.lastSeq(), 0);
        EXPECT_TRUE(isConversationId(connection.conversationId())) << connection.conversationId();
        ids.insert(connection.conversationId());
    }
    EXPECT_EQ(ids.size(), 5u) << "every connection starts its own conversation";
}

TEST(Resume, TurnFramesCarrySeqAndTurnAndTheSenderGetsItsUserFrame) {
    HostProcess host(conversationConfig());
    auto connection = startConversation(host);
    auto frames = talk(*connection.client, {"one", "two"});
    ASSERT_EQ(frames.size(), 6u) << describeFrames(frames);
    const std::vector<std::string> types{"user", "message", "complete",
                                         "user", "message", "complete"};
    for (std::size_t i = 0; i < frames.size(); ++i) {
        EXPECT_EQ(typeOf(frames[i]), types[i]);
        EXPECT_EQ(seqOf(frames[i]), static_cast<std::int64_t>(i + 1));
        EXPECT_EQ(turnOf(frames[i]), i < 3 ? 1 : 2);
        EXPECT_FALSE(isReplay(frames[i])) << canonical(frames[i]);
        EXPECT_TRUE(frames[i]->has("timestamp"));
    }
    EXPECT_EQ(frames[0]->getValue<std::string>("content"), "one");
    EXPECT_EQ(frames[3]->getValue<std::string>("content"), "two");
}

TEST(Resume, AQueuedMessageIsNumberedWhenAcceptedNotWhenItsTurnStarts) {
    HostProcess host(conversationConfig("repeat = 10\ninterval_ms = 100\n"));
    auto connection = startConversation(host, "slow");
    connection->sendMessage("first");
    auto head = connection->readUntil(isType("message"));  // turn 1 is streaming
    connection->sendMessage("second");
    auto rest = connection->readUntil(terminalOfTurn(2), 20s);
    head.insert(head.end(), rest.begin(), rest.end());
    const Transcript transcript = transcriptOf(head);
    expectNoProblems(transcript);
    // The second user frame sits between pieces of turn 1, already numbered turn 2.
    std::size_t secondUser = 0, lastOfTurn1 = 0;
    for (std::size_t i = 0; i < head.size(); ++i) {
        if (typeOf(head[i]) == "user" && turnOf(head[i]) == 2) secondUser = i;
        if (turnOf(head[i]) == 1) lastOfTurn1 = i;
    }
    EXPECT_GT(secondUser, 0u) << describeFrames(head);
    EXPECT_LT(secondUser, lastOfTurn1) << describeFrames(head);
    EXPECT_EQ(transcript.text(), repeated("first", 10) + repeated("second", 10));
}

TEST(Resume, ReplayedFramesAreTheLiveFramesFieldForField) {
    HostProcess host(conversationConfig());
    auto first = startConversation(host);
    const auto live = talk(*first.client, {"alpha", "beta", "gamma"});
    const std::string id = first.conversationId();

    for (Way way : {Way::Url, Way::Frame}) {
        SCOPED_TRACE(way == Way::Url ? "by URL" : "by frame");
        Connection again =
            way == Way::Url ? resumeByUrl(host, "echo", id, 0) : startConversation(host);
        if (way == Way::Frame) {
            auto resumed = sendResume(*again.client, id, 0);
            ASSERT_EQ(typeOf(resumed), "resumed") << canonical(resumed);
            EXPECT_EQ(resumed->getValue<std::int64_t>("last_seq"), 9);
            EXPECT_FALSE(resumed->getValue<bool>("running"));
        } else {
            EXPECT_EQ(again.lastSeq(), 9);
        }
        auto replay = again->readUntil(seqAtLeast(9));
        ASSERT_EQ(replay.size(), live.size()) << describeFrames(replay);
        for (std::size_t i = 0; i < live.size(); ++i) {
            EXPECT_TRUE(isReplay(replay[i])) << canonical(replay[i]);
            EXPECT_EQ(canonical(replay[i]), canonical(live[i]));
        }
        expectSilence(*again.client, 300ms);
    }
}

TEST(Resume, ResumedFrameHasExactlyTheSpecifiedFields) {
    HostProcess host(conversationConfig());
    auto first = startConversation(host);
    talk(*first.client, {"x"});
    auto second = startConversation(host);
    auto resumed = sendResume(*second.client, first.conversationId(), 3);
    ASSERT_EQ(typeOf(resumed), "resumed") << canonical(resumed);
    std::vector<std::string> names;
    resumed->getNames(names);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"conversation_id", "last_seq", "running",
                                               "timestamp", "type"}));
    EXPECT_EQ(conversationIdOf(resumed), first.conversationId());
    EXPECT_EQ(resumed->getValue<std::int64_t>("last_seq"), 3);
    expectSilence(*second.client, 300ms);  // nothing after seq 3 to replay
}

TEST(Resume, UrlWithoutAfterSeqReplaysEverything) {
    HostProcess host(conversationConfig());
    auto first = startConversation(host);
    talk(*first.client, {"all of it"});
    auto again = connectTo(host, protocol2Path("echo") + "&conversation=" + first.conversationId());
    EXPECT_EQ(again.conversationId(), first.conversationId());
    auto replay = again->readUntil(seqAtLeast(3));
    EXPECT_EQ(describeFrames(replay), "user#1r message#2r complete#3r");
}

TEST(Resume, TheResumedConnectionContinuesTheConversation) {
    HostProcess host(conversationConfig());
    auto first = startConversation(host);
    talk(*first.client, {"one"});
    first->drop();
    for (Way way : {Way::Url, Way::Frame}) {
        SCOPED_TRACE(way == Way::Url ? "by URL" : "by frame");
        const int turn = way == Way::Url ? 2 : 3;
        Connection again = way == Way::Url ? resumeByUrl(host, "echo", first.conversationId(), 3)
                                           : startConversation(host);
        if (way == Way::Frame) {
            ASSERT_EQ(typeOf(sendResume(*again.client, first.conversationId(), 6)), "resumed");
        }
        again->sendMessage("next");
        auto frames = again->readUntil(terminalOfTurn(turn));
        ASSERT_EQ(frames.size(), 3u) << describeFrames(frames);
        EXPECT_EQ(seqOf(frames[0]), turn * 3 - 2);
        EXPECT_EQ(typeOf(frames[0]), "user");
        EXPECT_EQ(turnOf(frames[0]), turn);
        EXPECT_EQ(typeOf(frames[2]), "complete");
        again->drop();
    }
}

TEST(Resume, AResumeFrameTurnsAProtocol1ConnectionIntoProtocol2) {
    HostProcess host(conversationConfig());
    auto first = startConversation(host);
    talk(*first.client, {"one"});
    auto legacy = connectTo(host, "/api/echo/ws");
    EXPECT_EQ(legacy.ready->getValue<int>("protocol"), 1);
    auto resumed = sendResume(*legacy.client, first.conversationId(), 3);
    ASSERT_EQ(typeOf(resumed), "resumed") << canonical(resumed);
    legacy->sendMessage("two");
    auto frames = legacy->readUntil(terminalOfTurn(2));
    EXPECT_EQ(describeFrames(frames), "user#4 message#5 complete#6")
        << "a protocol 2 connection gets its own user frame";
}

TEST(Resume, ResumingItsOwnConversationDoesNotDoubleTheLiveFrames) {
    HostProcess host(conversationConfig());
    auto connection = startConversation(host);
    talk(*connection.client, {"one"});
    auto resumed = sendResume(*connection.client, connection.conversationId(), 0);
    ASSERT_EQ(typeOf(resumed), "resumed") << canonical(resumed);
    EXPECT_EQ(describeFrames(connection->readUntil(seqAtLeast(3))),
              "user#1r message#2r complete#3r");
    connection->sendMessage("two");
    EXPECT_EQ(describeFrames(connection->readUntil(terminalOfTurn(2))),
              "user#4 message#5 complete#6");
    expectSilence(*connection.client, 300ms);  // each live frame once, not once per attachment
}

TEST(Resume, AConnectionThatResumesAnotherConversationLeavesItsFirst) {
    HostProcess host(conversationConfig("repeat = 30\ninterval_ms = 50\n"));
    auto other = startConversation(host, "slow");
    other->sendMessage("quiet");
    other->readUntil(terminalOfTurn(1), 20s);
    auto connection = startConversation(host, "slow");
    const std::string first = connection.conversationId();
    connection->sendMessage("streaming");
    connection->readUntil(isType("message"));
    sendResumeFrameOnly(*connection.client, other.conversationId(), 32);
    // Frames of the first conversation already on their way may come before "resumed"...
    auto frames = connection->readUntil(isType("resumed"));
    ASSERT_EQ(typeOf(frames.back()), "resumed") << describeFrames(frames);
    // ...but none after it: the connection is on exactly one conversation.
    expectSilence(*connection.client, 1s);
    // The first conversation's turn goes on without it (protocol 2: nothing is cancelled).
    ASSERT_TRUE(waitUntilNotRunning(host, "slow", first));
    auto again = resumeByUrl(host, "slow", first, 0);
    auto all = again->readUntil(terminalOfTurn(1), 20s);
    EXPECT_EQ(transcriptOf(all).text(), repeated("streaming", 30));
}

}  // namespace
}  // namespace agenthost::test
