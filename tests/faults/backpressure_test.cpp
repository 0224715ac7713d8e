// Backpressure (conversation/Backpressure.cpp): a response's unsent bytes are bounded by
// max_response_buffer_bytes. A plugin that produces far faster than its client reads (echo
// repeating a long message, a program printing without end through codex_bridgehub) is slowed
// to the client's pace: the host's memory stays within a few MB of where it started and comes
// back after, and the slow client is not dropped and gets every byte, in order.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "support/HostProcess.h"
#include "support/RssPeak.h"
#include "support/SlowReader.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr long kMb = 1024;  // rssKb() is in kB
// What a fast response may cost the host above its resting size: the bound on the response's
// unsent bytes (1 MiB by default), frames the store has not made durable yet (4 times that),
// the store's queue holding the same frames, SQLite's page cache, and the allocator's slack.
constexpr long kAllowedGrowthKb = 32 * kMb;
// What stays after it: the conversation's history keeps up to 1 MiB of the answer.
constexpr long kAllowedAfterKb = 12 * kMb;

// Without a store, so that the 200 MB go at the reader's pace rather than the disk's; the store's
// share of the bound is checked by a later test. `isolation`: the route's isolation key.
HostConfig echoRepeating(long long repeat, const std::string& isolation) {
    HostConfig config;
    config.sections = "[key.test]\nsecret = " + std::string(kTestKey) +
                      "\n\n[plugin.echo]\nlibrary = echo\nisolation = " + isolation +
                      "\nrepeat = " + std::to_string(repeat) +
                      "\n\n[streaming]\nchunk_chars = 16384\n\n[conversations]\nstore = none\n";
    return config;
}

// Echo answers 200 MB to a reader that takes about 30 MB/s: the host's memory stays within
// kAllowedGrowthKb and comes back, and every byte arrives in order.
void hugeAnswerToASlowReader(const std::string& isolation) {
    const std::string message = [] {
        std::string text;
        for (int i = 0; text.size() < 60000; ++i) text += std::to_string(i) + " ";
        return text;
    }();
    const long long total = 200ll * 1024 * 1024 / kSanitizerSlowdown;
    const long long repeat = total / static_cast<long long>(message.size());
    HostProcess host(echoRepeating(repeat, isolation));
    WsClient client(host.port(), "/api/echo/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat("warm up the allocator").text.size(), 21u * repeat);
    const long baseline = host.rssKb();

    RssPeak peak(host);
    client.sendMessage(message);
    SlowReader reader(client);
    std::size_t position = 0;  // in the repeated message
    long long received = 0;
    Poco::JSON::Object::Ptr frame;
    for (frame = reader.next(); frame->getValue<std::string>("type") == "message";
         frame = reader.next()) {
        const auto content = frame->getValue<std::string>("content");
        for (std::size_t at = 0; at < content.size();) {
            const std::size_t n = std::min(content.size() - at, message.size() - position);
            ASSERT_EQ(content.compare(at, n, message, position, n), 0)
                << "out of order at byte " << received + static_cast<long long>(at);
            at += n;
            position = (position + n) % message.size();
        }
        received += static_cast<long long>(content.size());
    }
    const long highest = peak.stop();
    EXPECT_EQ(frame->getValue<std::string>("type"), "complete");
    EXPECT_EQ(received, repeat * static_cast<long long>(message.size()));
    if (!kRssIsMeaningful) return;
    EXPECT_LT(highest - baseline, kAllowedGrowthKb)
        << "RSS went from " << baseline / kMb << " MB to " << highest / kMb << " MB";
    EXPECT_TRUE(waitUntil([&] { return host.rssKb() - baseline < kAllowedAfterKb; }, 10s))
        << "RSS stays at " << host.rssKb() / kMb << " MB after the answer (from " << baseline / kMb
        << " MB)";
}

TEST(Backpressure, AHugeAnswerToASlowReaderCostsAFewMegabytesAndArrivesWhole) {
    hugeAnswerToASlowReader("in_process");
}

// The same through a plugin runner process: SLOW_DOWN reaches the plugin in its runner (as Pace
// frames), so the host does not buffer what the runner sends it.
TEST(Backpressure, AnIsolatedPluginIsSlowedToItsReaderToo) {
    hugeAnswerToASlowReader("process");
}

// A cancel reaches an isolated plugin that its reader holds back: the wait in the runner ends
// on the cancel, the turn ends as cancelled, and the connection goes on.
TEST(Backpressure, ACancelEndsTheWaitOfAnIsolatedPlugin) {
    const std::string message(4000, 'x');
    HostProcess host(echoRepeating(1000000, "process"));  // 4 GB: it never ends by itself
    WsClient client(host.port(), "/api/echo/ws");
    client.authenticate(kTestKey);
    client.sendMessage(message);
    ASSERT_EQ(client.receiveJson()->getValue<std::string>("type"), "message");
    std::this_thread::sleep_for(300ms);  // the client reads nothing for a while: far behind
    client.sendJson(R"({"type":"cancel"})");
    const auto start = Clock::now();
    Poco::JSON::Object::Ptr frame;
    do frame = client.receiveJson(10s);
    while (frame->getValue<std::string>("type") == "message");
    EXPECT_EQ(frame->getValue<std::string>("type"), "complete");
    EXPECT_TRUE(frame->optValue<bool>("cancelled", false));
    EXPECT_LT(Clock::now() - start, 5s * kSanitizerSlowdown);
    client.sendJson(R"({"type":"ping"})");
    EXPECT_EQ(client.receiveJson()->getValue<std::string>("type"), "pong");
}

TEST(Backpressure, AProgramPrintingWithoutEndIsHeldBackByItsSlowReader) {
    HostConfig config;
    config.sections = "[key.test]\nsecret = " + std::string(kTestKey) +
                      "\n\n[plugin.yes]\nlibrary = codex_bridgehub\ncommand = yes\nformat = "
                      "text\n\n[streaming]\nchunk_chars = 16384\n";
    HostProcess host(config);
    WsClient client(host.port(), "/api/yes/ws");
    client.authenticate(kTestKey);
    const long baseline = host.rssKb();

    RssPeak peak(host);
    client.sendMessage("go");
    SlowReader reader(client);
    const long long enough = 40ll * 1024 * 1024 / kSanitizerSlowdown;
    long long received = 0;
    bool nextIsY = true;  // `yes` prints "y\n" over and over: check nothing is lost or repeated
    while (received < enough) {
        auto frame = reader.next();
        ASSERT_EQ(frame->getValue<std::string>("type"), "message");
        for (char c : frame->getValue<std::string>("content")) {
            ASSERT_EQ(c, nextIsY ? 'y' : '\n') << "at byte " << received;
            nextIsY = !nextIsY;
            ++received;
        }
    }
    const long highest = peak.stop();
    client.sendJson(R"({"type":"cancel"})");
    auto rest = client.readUntil(
        [](const Poco::JSON::Object::Ptr& f) {
            return f->getValue<std::string>("type") != "message";
        },
        30s);
    EXPECT_EQ(rest.back()->getValue<std::string>("type"), "complete");
    EXPECT_TRUE(rest.back()->optValue<bool>("cancelled", false));
    if (!kRssIsMeaningful) return;
    EXPECT_LT(highest - baseline, kAllowedGrowthKb)
        << "RSS went from " << baseline / kMb << " MB to " << highest / kMb << " MB";
}

}  // namespace
}  // namespace agenthost::test
