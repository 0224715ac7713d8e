// Many concurrent sessions: each authenticates and chats correctly, and the host serves them
// without a thread per connection; between messages, the threads that only wait for work sleep.
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "Helpers.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

constexpr int kClientThreads = 10;

// Connections spread over kClientThreads client threads; each thread drives its share.
class ClientFleet {
  public:
    explicit ClientFleet(const HostProcess& host) : host_(host), shares_(kClientThreads) {}

    // Opens and authenticates connections until there are `total`, in parallel.
    void growTo(int total) {
        forEachShare([&](int share, std::vector<std::unique_ptr<WsClient>>& clients) {
            const int want = total / kClientThreads + (share < total % kClientThreads ? 1 : 0);
            while (static_cast<int>(clients.size()) < want) {
                clients.push_back(std::make_unique<WsClient>(host_.port(), "/api/echo/ws"));
                clients.back()->authenticate(kTestKey);
            }
        });
    }

    // Every connection sends one message per round, then reads every reply of the round.
    void chatRounds(int rounds) {
        forEachShare([&](int share, std::vector<std::unique_ptr<WsClient>>& clients) {
            for (int round = 0; round < rounds; ++round) {
                for (std::size_t i = 0; i < clients.size(); ++i)
                    clients[i]->sendMessage(textFor(share, i, round));
                for (std::size_t i = 0; i < clients.size(); ++i) {
                    auto reply = clients[i]->readReply(20s);
                    if (reply.text != textFor(share, i, round) ||
                        reply.terminalType() != "complete")
                        fail("wrong reply for " + textFor(share, i, round) + ": " + reply.text);
                }
            }
        });
    }

    std::vector<std::string> failures() const { return failures_; }

  private:
    static std::string textFor(int share, std::size_t index, int round) {
        return "s" + std::to_string(share) + "-c" + std::to_string(index) + "-r" +
               std::to_string(round) + " ✓";
    }

    void fail(const std::string& what) {
        std::lock_guard<std::mutex> lock(mutex_);
        failures_.push_back(what);
    }

    template <typename Work>
    void forEachShare(Work work) {
        std::vector<std::thread> threads;
        for (int share = 0; share < kClientThreads; ++share)
            threads.emplace_back([&, share] {
                try {
                    work(share, shares_[static_cast<std::size_t>(share)]);
                } catch (const std::exception& e) {
                    fail(std::string("client thread failed: ") + e.what());
                }
            });
        for (auto& thread : threads) thread.join();
    }

    const HostProcess& host_;
    std::vector<std::vector<std::unique_ptr<WsClient>>> shares_;
    std::mutex mutex_;
    std::vector<std::string> failures_;
};

TEST(Scale, ThreeHundredSessionsChatWithoutAThreadPerConnection) {
    HostProcess host;
    ClientFleet fleet(host);

    fleet.growTo(10);
    ASSERT_TRUE(fleet.failures().empty()) << fleet.failures().front();
    std::this_thread::sleep_for(200ms);
    const int threadsAt10 = host.threadCount();

    fleet.growTo(300);
    ASSERT_TRUE(fleet.failures().empty()) << fleet.failures().front();
    EXPECT_EQ(healthConnections(host, "echo"), 300);
    std::this_thread::sleep_for(200ms);
    const int threadsAt300 = host.threadCount();
    // The HTTP handshake pool may grow by a few threads under a burst (it is capped at 8);
    // one thread per connection would add 290.
    EXPECT_LE(threadsAt300, threadsAt10 + 6)
        << "threads: " << threadsAt10 << " with 10 connections, " << threadsAt300 << " with 300";

    std::cout << "host threads: " << threadsAt10 << " with 10 connections, " << threadsAt300
              << " with 300\n";

    fleet.chatRounds(3);
    for (const auto& failure : fleet.failures()) ADD_FAILURE() << failure;
    EXPECT_TRUE(host.running());
}

// The plugin reaper and the log writer wake for work only: a timed wait would wake an idle
// server (and on a VM its idle vCPU) tens of times a second for nothing.
TEST(Scale, BetweenMessagesTheReaperAndTheLogWriterSleep) {
    HostProcess host;
    WsClient client(host.port(), "/api/echo/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat("hello").text, "hello");
    ASSERT_TRUE(host.waitForOutput("agenthost.access: turn"));
    const auto wakeups = [&] {
        return std::make_pair(host.threadWakeups("plugin-reaper"),
                              host.threadWakeups("log-writer"));
    };
    ASSERT_GE(wakeups().first, 0) << "no thread named plugin-reaper";
    ASSERT_GE(wakeups().second, 0) << "no thread named log-writer";
    // The turn's release and its access line are done once neither has woken for 100 ms.
    ASSERT_TRUE(waitUntil([&] {
        const auto before = wakeups();
        std::this_thread::sleep_for(100ms);
        return wakeups() == before;
    })) << "the reaper or the log writer kept waking";
    const auto settled = wakeups();
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(wakeups(), settled)
        << "(reaper, log writer) wake-ups before and after an idle second";
}

// The event loop polled with a 100 ms timeout: ten wake-ups a second, client or not. With no
// client it now sleeps until one comes; with idle clients it wakes for the 250 ms sweep of their
// timeouts alone.
TEST(Scale, TheEventLoopSleepsWithoutClientsAndWakesForItsSweepWithIdleOnes) {
    HostProcess host;
    ASSERT_GE(host.threadWakeups("event-loop"), 0) << "no thread named event-loop";
    const auto wakeupsIn = [&](std::chrono::milliseconds period) {
        return host.threadWakeupsDuring("event-loop", period);
    };
    // Until the start-up check's connection is gone.
    ASSERT_TRUE(waitUntil([&] { return wakeupsIn(300ms) == 0; }))
        << "the event loop kept waking without a client";
    EXPECT_EQ(wakeupsIn(1s), 0) << "wake-ups in an idle second without a client";

    WsClient client(host.port(), "/api/echo/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat("hello").text, "hello");
    ASSERT_TRUE(waitUntil([&] { return wakeupsIn(300ms) <= 2; }));  // the turn's own are over
    EXPECT_LE(wakeupsIn(1s), 5) << "wake-ups in an idle second with one idle client";
}

}  // namespace
}  // namespace agenthost::test
