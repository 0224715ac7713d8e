// One misbehaving client must not disturb the others: garbage, oversized frames, protocol
// violations and abrupt disconnects mid-response, while well-behaved sessions keep chatting.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "Helpers.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

// Chats on its own thread until stopped; counts replies and the first wrong one.
class SteadyChatter {
  public:
    SteadyChatter(const HostProcess& host, int id) : client_(host.port(), "/api/echo/ws"), id_(id) {
        client_.authenticate(kTestKey);
        thread_ = std::thread([this] { run(); });
    }
    ~SteadyChatter() { finish(); }

    void finish() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    using Clock = std::chrono::steady_clock;

    int replies() const { return replies_; }
    const std::string& failure() const { return failure_; }
    // The longest a reply took: how long the host left this client waiting.
    Clock::duration slowest() const {
        std::lock_guard<std::mutex> lock(mutex_);
        Clock::duration longest{0};
        for (const auto& [sent, took] : roundTrips_) longest = std::max(longest, took);
        return longest;
    }
    // The median round trip of the messages sent in [from, to): how long a client usually
    // waited then, whatever a scheduler hiccup did to a single one.
    Clock::duration medianBetween(Clock::time_point from, Clock::time_point to) const {
        std::vector<Clock::duration> times;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (const auto& [sent, took] : roundTrips_)
                if (sent >= from && sent < to) times.push_back(took);
        }
        if (times.empty()) return to - from;  // not one reply in all that time
        std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
        return times[times.size() / 2];
    }

  private:
    void run() {
        try {
            while (!stop_) {
                const std::string text = "client " + std::to_string(id_) + " message " +
                                         std::to_string(replies_) + " ünïcödé";
                const auto sent = Clock::now();
                auto reply = client_.chat(text, 5s);
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    roundTrips_.emplace_back(sent, Clock::now() - sent);
                }
                if (reply.text != text || reply.terminalType() != "complete") {
                    failure_ = "wrong reply to \"" + text + "\": \"" + reply.text + "\"";
                    return;
                }
                ++replies_;
            }
        } catch (const std::exception& e) {
            failure_ = std::string("chat failed: ") + e.what();
        }
    }

    WsClient client_;
    int id_;
    std::atomic<bool> stop_{false};
    std::atomic<int> replies_{0};
    mutable std::mutex mutex_;
    std::vector<std::pair<Clock::time_point, Clock::duration>> roundTrips_;  // sent at, took
    std::string failure_;
    std::thread thread_;
};

// Drops the TCP connection with a reset: no Close frame, no FIN handshake.
void resetConnection(WsClient& client) {
    client.socket().setLinger(true, 0);
    client.socket().close();
}

void misbehave(const HostProcess& host) {
    {
        auto garbage = connectAuthenticated(host, "echo");
        for (const char* text : {"{{{", "[]", R"({"type":"x"})"}) garbage->sendText(text);
        garbage->sendBinary(std::string("\x00\xff", 2));
        garbage->sendRaw(
            std::string("\x81\x03"
                        "abc",
                        5));  // unmasked: 1002
        EXPECT_EQ(garbage->waitForClose(), 1002);
    }
    {
        auto oversized = connectAuthenticated(host, "echo");
        oversized->sendMessage(std::string(4096, 'x'));
        EXPECT_EQ(oversized->waitForClose(), 1009);
    }
    {
        auto badUtf8 = connectAuthenticated(host, "echo");
        badUtf8->sendText("\xff\xfe");
        EXPECT_EQ(badUtf8->waitForClose(), 1007);
    }
    for (int i = 0; i < 3; ++i) {  // vanish while a response is being produced
        auto vanishing = connectAuthenticated(host, "slow");
        vanishing->sendMessage("never read");
        vanishing->receiveJson();  // the response has started
        resetConnection(*vanishing);
    }
    {
        WsClient unauthenticated(host.port(), "/api/echo/ws");
        resetConnection(unauthenticated);
    }
}

TEST(Isolation, MisbehavingClientsDoNotDisturbOtherSessions) {
    HostConfig config =
        echoConfig("", "[plugin.slow]\nlibrary = echo\ndelay_ms = 100\nrepeat = 20\n");
    config.server["max_message_bytes"] = "2048";
    HostProcess host(config);
    std::vector<std::unique_ptr<SteadyChatter>> chatters;
    for (int i = 0; i < 3; ++i) chatters.push_back(std::make_unique<SteadyChatter>(host, i));

    misbehave(host);
    std::vector<int> before;
    for (auto& chatter : chatters) before.push_back(chatter->replies());
    std::this_thread::sleep_for(300ms);  // they keep going afterwards too

    for (std::size_t i = 0; i < chatters.size(); ++i) {
        chatters[i]->finish();
        EXPECT_EQ(chatters[i]->failure(), "") << "chatter " << i;
        EXPECT_GT(chatters[i]->replies(), before[i]) << "chatter " << i << " stalled";
    }
    EXPECT_TRUE(host.running());
    EXPECT_TRUE(waitUntil([&] { return healthConnections(host, "slow") == 0; }))
        << "sessions of vanished clients were not released";
    EXPECT_EQ(healthConnections(host, "echo"), 3);
    chatters.clear();
    EXPECT_TRUE(waitUntil([&] { return healthConnections(host, "echo") == 0; }));
}

TEST(Isolation, AClientThatStopsReadingIsDroppedWithoutStallingOthers) {
    // 20000 pieces of 16 KB (320 MB): far more than the kernel's socket buffers hold, and enough
    // that producing it all on the event loop would hold up the others for seconds. The plugin
    // is slowed to its reader's pace (max_response_buffer_bytes), so a client that reads nothing
    // holds a bounded backlog until send_timeout_s drops it.
    HostConfig config = echoConfig("",
                                   "[plugin.big]\nlibrary = echo\nrepeat = 20000\n\n"
                                   "[streaming]\nchunk_chars = 16384\n");
    config.server["max_outbound_bytes"] = "1048576";
    config.server["send_timeout_s"] = "2";
    HostProcess host(config);
    std::vector<std::unique_ptr<SteadyChatter>> chatters;
    for (int i = 0; i < 2; ++i) chatters.push_back(std::make_unique<SteadyChatter>(host, i));

    std::vector<std::unique_ptr<WsClient>> stalled;
    for (int i = 0; i < 5; ++i) {
        stalled.push_back(connectAuthenticated(host, "big"));
        stalled.back()->sendMessage(std::string(16384, 'y'));  // and never reads the answer
    }
    EXPECT_TRUE(
        waitUntil([&] { return healthConnections(host, "big") == 0; }, 10s * kSanitizerSlowdown))
        << "clients that read nothing were kept with their output piling up";

    for (std::size_t i = 0; i < chatters.size(); ++i) {
        chatters[i]->finish();
        EXPECT_EQ(chatters[i]->failure(), "") << "chatter " << i;
        EXPECT_GT(chatters[i]->replies(), 0) << "chatter " << i;
        // An echo takes about a millisecond; the bound leaves room for a loaded machine.
        EXPECT_LT(chatters[i]->slowest(), 2s * kSanitizerSlowdown)
            << "chatter " << i << " was held up while the stalled clients' answers were produced";
    }
}

TEST(Isolation, AFloodOfFramesFromOneClientDoesNotDelayTheOthers) {
    // 300,000 empty text frames, each answered with an error frame, from a client that reads
    // nothing until it is done. Handled all at once per read, they made every other client wait
    // most of a second per round trip while the host worked through them.
    HostConfig config = echoConfig();
    config.server["max_outbound_bytes"] = std::to_string(256u << 20);  // not dropped early
    HostProcess host(config);
    std::vector<std::unique_ptr<SteadyChatter>> chatters;
    for (int i = 0; i < 2; ++i) chatters.push_back(std::make_unique<SteadyChatter>(host, i));

    auto flooder = connectAuthenticated(host, "echo");
    std::string emptyFrames;
    for (int i = 0; i < 100'000; ++i) emptyFrames += std::string("\x81\x80\0\0\0\0", 6);
    const auto floodStarted = SteadyChatter::Clock::now();
    for (int i = 0; i < 3; ++i) flooder->sendRaw(emptyFrames);
    // The host has worked through the flood when the message after it is answered.
    flooder->sendMessage("after the flood");
    std::size_t errors = 0;
    for (std::string text = flooder->receiveText(30s * kSanitizerSlowdown);
         text.find(R"("type":"complete")") == std::string::npos;
         text = flooder->receiveText(30s * kSanitizerSlowdown))
        if (text.find(R"("type":"error")") != std::string::npos) ++errors;
    const auto floodHandled = SteadyChatter::Clock::now();
    EXPECT_EQ(errors, 300'000u);

    for (std::size_t i = 0; i < chatters.size(); ++i) {
        chatters[i]->finish();
        EXPECT_EQ(chatters[i]->failure(), "") << "chatter " << i;
        // An echo takes about a millisecond; the bound leaves room for a loaded machine.
        EXPECT_LT(chatters[i]->medianBetween(floodStarted, floodHandled), 50ms * kSanitizerSlowdown)
            << "chatter " << i << " waited behind the flood";
    }
}

}  // namespace
}  // namespace agenthost::test
