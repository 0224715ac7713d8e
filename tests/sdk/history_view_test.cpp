// agenthost::History, the SDK's view of a request's earlier turns: what it reads from the host's
// arrays (with and without ABI 2.1's turn data) and from a plugin's or a test's own Turns.
#include <gtest/gtest.h>

#include <agenthost/plugin.hpp>
#include <string>
#include <vector>

namespace {

agenthost_str str(const char* s) {
    return {s, std::char_traits<char>::length(s)};
}

TEST(SdkHistory, ReadsTheHostsArraysWithTheirTurnData) {
    const agenthost_turn turns[] = {
        {str("user"), str("q1")}, {str("assistant"), str("a1")}, {str("user"), str("q2")}};
    const agenthost_str data[] = {str(""), str("kept"), str("")};
    const agenthost::History history(turns, data, 3);
    ASSERT_EQ(history.size(), 3u);
    EXPECT_FALSE(history.empty());
    EXPECT_EQ(history[1].role, "assistant");
    EXPECT_EQ(history[1].content, "a1");
    EXPECT_EQ(history[1].data, "kept");
    EXPECT_EQ(history.front().content, "q1");
    EXPECT_EQ(history.back().content, "q2");
    std::string seen;
    for (const agenthost::Turn turn : history)
        seen += std::string(turn.role) + ":" + std::string(turn.content) + ";";
    EXPECT_EQ(seen, "user:q1;assistant:a1;user:q2;");
    // The views point into the host's text: nothing was copied.
    EXPECT_EQ(history[2].content.data(), turns[2].content.data);
}

TEST(SdkHistory, AHostWithoutTurnDataGivesEmptyData) {
    const agenthost_turn turns[] = {{str("user"), str("q")}, {str("assistant"), str("a")}};
    const agenthost::History history(turns, nullptr, 2);
    EXPECT_EQ(history[1].content, "a");
    EXPECT_TRUE(history[1].data.empty());
}

TEST(SdkHistory, ViewsAVectorOfTurns) {
    const std::vector<agenthost::Turn> turns = {{"user", "q"}, {"assistant", "a", "d"}};
    const agenthost::History fromVector = turns;
    ASSERT_EQ(fromVector.size(), 2u);
    EXPECT_EQ(fromVector[1].data, "d");
    // As a parameter: a function that takes a History takes a vector of Turn, or nothing.
    auto count = [](const agenthost::History& history) { return history.size(); };
    EXPECT_EQ(
        count(std::vector<agenthost::Turn>{{"user", "q"}, {"assistant", "a"}, {"user", "q2"}}), 3u);
    EXPECT_EQ(count({}), 0u);
    const agenthost::History none;
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(none.begin(), none.end());
}

}  // namespace
