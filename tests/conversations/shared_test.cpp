// Several connections of one key on one conversation (a phone and a laptop): all get every
// live frame, messages from any join the one queue in arrival order, the sender gets its own
// user frame, and a cancel from any of them stops the running response.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ConversationTest.h"

namespace agenthost::test {
namespace {

std::vector<std::string> canonicalAll(const Frames& frames) {
    std::vector<std::string> all;
    for (const auto& frame : frames) all.push_back(canonical(frame));
    return all;
}

// A conversation with a phone and a laptop on it; the laptop attached by URL.
struct TwoDevices {
    explicit TwoDevices(const HostProcess& host, const std::string& route)
        : phone(startConversation(host, route)),
          laptop(resumeByUrl(host, route, phone.conversationId(), 0)) {
        EXPECT_EQ(laptop.conversationId(), phone.conversationId());
    }
    Connection phone;
    Connection laptop;
};

TEST(Shared, BothConnectionsGetEveryLiveFrame) {
    HostProcess host(conversationConfig("repeat = 5\ninterval_ms = 50\n"));
    TwoDevices devices(host, "slow");
    devices.phone->sendMessage("hi");
    auto onPhone = devices.phone->readUntil(terminalOfTurn(1));
    auto onLaptop = devices.laptop->readUntil(terminalOfTurn(1));
    EXPECT_EQ(describeFrames(onPhone), "user#1 message#2..#6(5) complete#7");
    EXPECT_EQ(canonicalAll(onLaptop), canonicalAll(onPhone));
    for (const auto& frame : onLaptop) EXPECT_FALSE(isReplay(frame)) << canonical(frame);
}

TEST(Shared, AConnectionAttachedByFrameGetsLiveFramesToo) {
    HostProcess host(conversationConfig("repeat = 5\ninterval_ms = 50\n"));
    auto phone = startConversation(host, "slow");
    auto laptop = startConversation(host, "slow");
    ASSERT_EQ(typeOf(sendResume(*laptop.client, phone.conversationId(), 0)), "resumed");
    laptop->sendMessage("from the laptop");
    auto onLaptop = laptop->readUntil(terminalOfTurn(1));
    auto onPhone = phone->readUntil(terminalOfTurn(1));
    EXPECT_EQ(canonicalAll(onPhone), canonicalAll(onLaptop));
    ASSERT_FALSE(onLaptop.empty());
    EXPECT_EQ(typeOf(onLaptop.front()), "user") << "the sender's acknowledgment";
    EXPECT_EQ(onLaptop.front()->getValue<std::string>("content"), "from the laptop");
}

TEST(Shared, MessagesFromEitherJoinOneQueueInArrivalOrder) {
    HostProcess host(conversationConfig("repeat = 1\n", "delay_ms = 300\n"));
    TwoDevices devices(host, "echo");
    std::map<Connection*, Frames> seen;  // everything each device got, in order
    auto read = [&](Connection* device, const WsClient::FramePredicate& until) {
        auto frames = (*device)->readUntil(until, 20s);
        seen[device].insert(seen[device].end(), frames.begin(), frames.end());
        return frames.back();
    };
    // Each message is sent once the previous one was acknowledged, so the order is defined.
    const std::vector<std::pair<Connection*, std::string>> sends{{&devices.phone, "p1"},
                                                                 {&devices.laptop, "l1"},
                                                                 {&devices.phone, "p2"},
                                                                 {&devices.laptop, "l2"}};
    int turn = 0;
    for (const auto& [sender, text] : sends) {
        (*sender)->sendMessage(text);
        ++turn;
        auto acknowledgment = read(sender, [turn](const FramePtr& frame) {
            return typeOf(frame) == "user" && turnOf(frame) == turn;
        });
        EXPECT_EQ(acknowledgment->getValue<std::string>("content"), text);
    }
    for (Connection* device : {&devices.phone, &devices.laptop}) {
        read(device, terminalOfTurn(4));
        Transcript transcript;
        std::vector<std::string> users;
        for (const auto& frame : seen[device]) {
            transcript.take(frame);
            if (typeOf(frame) == "user") users.push_back(frame->getValue<std::string>("content"));
        }
        expectNoProblems(transcript);
        EXPECT_EQ(users, (std::vector<std::string>{"p1", "l1", "p2", "l2"}));
        EXPECT_EQ(transcript.text(), "p1l1p2l2");
    }
    EXPECT_EQ(canonicalAll(seen[&devices.phone]), canonicalAll(seen[&devices.laptop]));
}

TEST(Shared, TheQueueLimitIsPerConversationAndARefusalGoesOnlyToItsSender) {
    HostProcess host(conversationConfig("repeat = 1\n", "delay_ms = 300\n"));
    TwoDevices devices(host, "echo");
    // One running and 16 waiting fill the conversation's queue.
    for (int i = 1; i <= 17; ++i) devices.phone->sendMessage("m" + std::to_string(i));
    devices.phone->readUntil(
        [](const FramePtr& frame) { return typeOf(frame) == "user" && turnOf(frame) == 17; }, 20s);
    devices.laptop->sendMessage("one too many");
    auto refused = devices.laptop->readUntil(isType("error"), 20s);
    EXPECT_EQ(codeOf(refused.back()), "busy");
    EXPECT_FALSE(refused.back()->has("seq")) << "a refused message is not part of the conversation";
    EXPECT_FALSE(refused.back()->has("turn"));
    auto phoneFrames = devices.phone->readUntil(terminalOfTurn(17), 30s);
    for (const auto& frame : phoneFrames) EXPECT_NE(typeOf(frame), "error") << canonical(frame);
}

TEST(Shared, CancelFromEitherConnectionStopsTheRunningResponse) {
    HostProcess host(conversationConfig("repeat = 50\ninterval_ms = 100\n"));
    TwoDevices devices(host, "slow");
    int turn = 0;
    for (auto [sender, canceller] :
         {std::pair{&devices.phone, &devices.laptop}, std::pair{&devices.laptop, &devices.phone}}) {
        ++turn;
        SCOPED_TRACE("turn " + std::to_string(turn));
        (*sender)->sendMessage("long " + std::to_string(turn));
        (*canceller)->readUntil(isType("message"));
        (*canceller)->sendJson(R"({"type":"cancel"})");
        for (Connection* device : {&devices.phone, &devices.laptop}) {
            auto frames = (*device)->readUntil(terminalOfTurn(turn), 5s);
            EXPECT_EQ(typeOf(frames.back()), "complete");
            EXPECT_TRUE(frames.back()->optValue<bool>("cancelled", false))
                << canonical(frames.back());
        }
    }
}

TEST(Shared, OneDeviceLeavingDoesNotDisturbTheOther) {
    HostProcess host(conversationConfig("repeat = 10\ninterval_ms = 50\n"));
    TwoDevices devices(host, "slow");
    devices.phone->sendMessage("steady");
    devices.phone->readUntil(isType("message"));
    devices.phone->drop(true);
    auto frames = devices.laptop->readUntil(terminalOfTurn(1));
    const Transcript transcript = transcriptOf(frames);
    expectNoProblems(transcript);
    EXPECT_EQ(transcript.text(), repeated("steady", 10));
}

}  // namespace
}  // namespace agenthost::test
