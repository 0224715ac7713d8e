// Memory under a long, fast chat: what the host keeps per conversation is bounded (a window of
// history, frames until the store has them), so once the load is warm, resident memory must
// come back to its level after any number of further turns. With glibc's defaults it did not:
// it crept up by tens of MB while the live heap stayed flat (util/Heap.h).
#include <thread>

#include "ConversationTest.h"

namespace agenthost::test {
namespace {

// Each client chats `turns` turns as fast as the host answers, all at once.
void chatAtFullSpeed(std::vector<Connection>& clients, int turns) {
    std::vector<std::thread> chatters;
    for (auto& connection : clients) {
        chatters.emplace_back([turns, client = connection.client.get()] {
            for (int i = 0; i < turns; ++i) {
                const std::string text = "turn " + std::to_string(i);
                ASSERT_EQ(client->chat(text).text, text);
            }
        });
    }
    for (auto& chatter : chatters) chatter.join();
}

TEST(Memory, ResidentMemoryReturnsToItsLevelAfterTensOfThousandsOfTurns) {
    if (!kRssIsMeaningful) GTEST_SKIP() << "RSS is no measure under a sanitizer";
    HostProcess host(conversationConfig());
    std::vector<Connection> clients;
    for (int i = 0; i < 4; ++i) clients.push_back(startConversation(host));
    chatAtFullSpeed(clients, 2'000);
    const long warm = host.rssKb();
    const std::string warmParts = host.rssParts();
    chatAtFullSpeed(clients, 25'000);
    // Bursts (a WAL checkpoint stalls the store's writer, and frames queue meanwhile) may raise
    // it for a moment; the host hands free pages back every 2 s.
    const long bound = warm + 4 * 1024;
    EXPECT_TRUE(waitUntil([&] { return host.rssKb() < bound; }, 10s))
        << "RSS was " << warm / 1024 << " MB after 8,000 turns and stays at " << host.rssKb() / 1024
        << " MB after 100,000 more (" << warmParts << "; then " << host.rssParts() << ")";
}

}  // namespace
}  // namespace agenthost::test
