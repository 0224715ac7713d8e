// Prompt caching through the real host: the request carries cache_control breakpoints on the
// system prompt and on the conversation so far, the mock accounts them as the API does
// (PromptCache), and the complete frame reports the cache's tokens.
#include <gtest/gtest.h>

#include "ClaudeHost.h"
#include "PromptCache.h"

namespace agenthost::test {
namespace {

// Answers `text`, with usage from the mock's prompt cache.
Behaviour cachedAnswer(std::shared_ptr<PromptCache> cache, std::string text) {
    return [cache, text](Exchange& exchange) {
        const CacheUsage usage = cache->account(*exchange.request.json());
        exchange.write(messageStartWithUsage(usageJson(usage, 1)) + textBlock(0, text) +
                       stopEvents("end_turn", 7));
    };
}

bool hasBreakpoint(const Poco::JSON::Object::Ptr& block) {
    auto cache = block->getObject("cache_control");
    return cache && cache->getValue<std::string>("type") == "ephemeral";
}

class ClaudeCaching : public ::testing::Test {
  protected:
    HostProcess& start(std::map<std::string, std::string> extra = {}) {
        extra.emplace("system", "You are a careful assistant.");
        host_ = std::make_unique<HostProcess>(hostWith(claudeSection(mock_, "claude", extra)));
        mock_.setDefault([this](Exchange& exchange) {
            cachedAnswer(cache_, "Answer " + std::to_string(++answers_))(exchange);
        });
        return *host_;
    }

    MockAnthropic mock_;
    std::shared_ptr<PromptCache> cache_ = std::make_shared<PromptCache>();
    std::atomic<int> answers_{0};
    std::unique_ptr<HostProcess> host_;
};

TEST_F(ClaudeCaching, BreakpointsOnTheSystemPromptAndTheLastMessage) {
    auto& host = start();
    auto client = connect(host);
    ASSERT_EQ(client->chat("Question one").terminalType(), "complete");
    ASSERT_EQ(client->chat("Question two").terminalType(), "complete");
    ASSERT_EQ(mock_.requestCount(), 2u);
    const auto body = mock_.requests()[1].json();

    const auto system = body->getArray("system");
    ASSERT_TRUE(system) << mock_.requests()[1].body;
    ASSERT_EQ(system->size(), 1u);
    EXPECT_EQ(system->getObject(0)->getValue<std::string>("text"), "You are a careful assistant.");
    EXPECT_TRUE(hasBreakpoint(system->getObject(0)));

    // The earlier turns as they were; the new message, the prefix's last block, is marked.
    const auto messages = body->getArray("messages");
    ASSERT_EQ(messages->size(), 3u);
    EXPECT_EQ(messages->getObject(0)->getValue<std::string>("content"), "Question one");
    EXPECT_EQ(messages->getObject(1)->getValue<std::string>("content"), "Answer 1");
    const auto last = messages->getObject(2)->getArray("content");
    ASSERT_TRUE(last) << mock_.requests()[1].body;
    ASSERT_EQ(last->size(), 1u);
    EXPECT_EQ(last->getObject(0)->getValue<std::string>("text"), "Question two");
    EXPECT_TRUE(hasBreakpoint(last->getObject(0)));
}

TEST_F(ClaudeCaching, EachTurnReadsTheEarlierTurnsFromTheCache) {
    auto& host = start();
    auto client = connect(host);
    std::uint64_t cachedBefore = 0;  // what the previous turn wrote or read
    for (int turn = 1; turn <= 3; ++turn) {
        const Reply reply = client->chat("Question number " + std::to_string(turn));
        ASSERT_EQ(reply.terminalType(), "complete") << content(reply);
        const auto usage = reply.terminal->getObject("usage");
        ASSERT_TRUE(usage && usage->has("cache_read_input_tokens")) << describeFrames(reply.frames);
        const auto read = usage->getValue<std::uint64_t>("cache_read_input_tokens");
        const auto written = usage->getValue<std::uint64_t>("cache_creation_input_tokens");
        EXPECT_EQ(read, cachedBefore) << "turn " << turn;
        EXPECT_GT(written, 0u) << "turn " << turn;
        // Only what follows the last breakpoint is billed in full: nothing, here.
        EXPECT_EQ(usage->getValue<std::uint64_t>("input_tokens"), 0u) << "turn " << turn;
        EXPECT_EQ(usage->getValue<std::uint64_t>("output_tokens"), 7u);
        cachedBefore = read + written;
    }
}

TEST_F(ClaudeCaching, OffSendsThePlainFormAndReadsNothingFromTheCache) {
    auto& host = start({{"prompt_caching", "false"}});
    auto client = connect(host);
    for (int turn = 1; turn <= 2; ++turn) {
        const Reply reply = client->chat("Question");
        ASSERT_EQ(reply.terminalType(), "complete") << content(reply);
        const auto usage = reply.terminal->getObject("usage");
        EXPECT_EQ(usage->getValue<std::uint64_t>("cache_read_input_tokens"), 0u);
        EXPECT_GT(usage->getValue<std::uint64_t>("input_tokens"), 0u);
    }
    const RecordedRequest second = mock_.requests()[1];
    EXPECT_EQ(second.body.find("cache_control"), std::string::npos) << second.body;
    EXPECT_EQ(second.json()->getValue<std::string>("system"), "You are a careful assistant.");
}

}  // namespace
}  // namespace agenthost::test
