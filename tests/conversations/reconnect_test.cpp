// The hard part of resume: the hand-over from replay to live frames while a response is
// streaming at that very moment. A client reconnects 50 times during one long stream, each
// time from a random seq it has already seen, alternating URL and frame resumes and the three
// ways a connection ends; rendered by seq as the client recipe says, the text must be the whole
// response with nothing twice and no seq missing.
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ConversationTest.h"

namespace agenthost::test {
namespace {

constexpr int kPieces = 3000;  // 2 ms apart: about 6 s of streaming, more than 50 reconnects take
constexpr int kReconnects = 50;
constexpr std::int64_t kLastSeq = kPieces + 2;  // user, the pieces, complete

// One connection of the loop: resumes after `afterSeq`, renders until it has rendered
// `newFrames` more frames or the turn ended, then goes away the given way.
class LoopConnection {
  public:
    LoopConnection(const HostProcess& host, const std::string& id, std::int64_t afterSeq,
                   bool byUrl, Transcript& transcript)
        : transcript_(transcript), afterSeq_(afterSeq) {
        transcript_.beginConnection(afterSeq);
        if (byUrl) {
            connection_ = resumeByUrl(host, "slow", id, afterSeq);
            EXPECT_EQ(connection_.conversationId(), id);
        } else {
            connection_ = startConversation(host, "slow");
            auto resumed = sendResume(*connection_.client, id, afterSeq);
            EXPECT_EQ(typeOf(resumed), "resumed") << canonical(resumed);
        }
    }

    void render(int newFrames) {
        if (afterSeq_ == transcript_.highestSeq() && transcript_.rendered("complete"))
            return;  // the turn is over and this client has all of it: nothing will come
        int rendered = 0;
        bool sawLive = false;
        connection_->readUntil(
            [&](const FramePtr& frame) {
                if (seqOf(frame) < 0) return false;
                // Replayed frames first, then live ones: never a replay after a live frame.
                if (isReplay(frame)) {
                    EXPECT_FALSE(sawLive) << "replayed seq " << seqOf(frame) << " after live";
                }
                sawLive = sawLive || !isReplay(frame);
                const bool isNew = transcript_.take(frame);
                if (isNew) ++rendered;
                const bool terminal = typeOf(frame) == "complete" || typeOf(frame) == "error";
                return rendered >= newFrames || terminal;
            },
            20s);
    }

    void leave(int how) {
        if (how == 0) connection_->close();
        if (how == 1) connection_->drop(false);
        if (how == 2) connection_->drop(true);
    }

  private:
    Transcript& transcript_;
    std::int64_t afterSeq_;
    Connection connection_;
};

TEST(ReconnectLoop, FiftyReconnectsDuringOneStreamShowEveryPieceOnce) {
    HostProcess host(
        conversationConfig("repeat = " + std::to_string(kPieces) + "\ninterval_ms = 2\n"));
    const unsigned seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);

    Transcript transcript;
    auto first = startConversation(host, "slow");
    const std::string id = first.conversationId();
    transcript.beginConnection(0);
    first->sendMessage("abc");
    for (const auto& frame : first->readUntil(seqAtLeast(5))) transcript.take(frame);
    first->drop();

    int whileStreaming = 0;
    for (int i = 0; i < kReconnects && !HasFatalFailure(); ++i) {
        const std::int64_t afterSeq =
            std::uniform_int_distribution<std::int64_t>(0, transcript.highestSeq())(random);
        LoopConnection connection(host, id, afterSeq, i % 2 == 0, transcript);
        connection.render(std::uniform_int_distribution<int>(1, 20)(random));
        if (!transcript.rendered("complete")) ++whileStreaming;
        connection.leave(i % 3);
    }

    LoopConnection last(host, id, transcript.highestSeq(), true, transcript);
    if (!transcript.rendered("complete")) last.render(kPieces + 2);

    expectNoProblems(transcript);
    EXPECT_EQ(transcript.highestSeq(), kLastSeq);
    EXPECT_EQ(transcript.frames().size(), static_cast<std::size_t>(kLastSeq));
    EXPECT_TRUE(transcript.text() == repeated("abc", kPieces))
        << "rendered " << transcript.text().size() << " characters of " << 3 * kPieces;
    ASSERT_FALSE(transcript.frames().empty());
    EXPECT_EQ(typeOf(transcript.frames().back()), "complete");
    // The point is the hand-over while frames are produced: most reconnects must fall inside
    // the stream (all of them do unless the machine is badly overloaded).
    EXPECT_GE(whileStreaming, kReconnects * 4 / 5);
}

TEST(ReconnectLoop, TenClientsResumingAtOnceDuringAStreamEachSeeEverySeqOnce) {
    HostProcess host(conversationConfig("repeat = 1000\ninterval_ms = 2\n"));
    auto first = startConversation(host, "slow");
    const std::string id = first.conversationId();
    first->sendMessage("xyz");
    first->readUntil(seqAtLeast(50));
    std::vector<std::thread> clients;
    std::vector<std::string> failures(10);
    for (int i = 0; i < 10; ++i) {
        clients.emplace_back([&, i] {
            try {
                const std::int64_t afterSeq = i * 5;
                Connection connection = i % 2 ? resumeByUrl(host, "slow", id, afterSeq)
                                              : startConversation(host, "slow");
                if (i % 2 == 0) sendResumeFrameOnly(*connection.client, id, afterSeq);
                Transcript transcript(afterSeq);
                connection->readUntil(
                    [&](const FramePtr& frame) {
                        transcript.take(frame);
                        return typeOf(frame) == "complete";
                    },
                    60s);
                if (!transcript.problems().empty())
                    failures[i] = testing::PrintToString(transcript.problems());
                else if (transcript.highestSeq() != 1002)
                    failures[i] = "ended at seq " + std::to_string(transcript.highestSeq());
            } catch (const std::exception& e) {
                failures[i] = e.what();
            }
        });
    }
    for (auto& client : clients) client.join();
    for (int i = 0; i < 10; ++i) EXPECT_EQ(failures[i], "") << "client " << i;
}

}  // namespace
}  // namespace agenthost::test
