// conversation::History: the arrays a request hands the plugin stay the newest turns, in order,
// as the oldest are dropped turn after turn (keepLast moves its views only now and then).
#include "conversation/History.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace agenthost::conversation {
namespace {

std::string_view text(agenthost_str s) {
    return {s.data, s.size};
}

// Turn i of the conversation: "user"/"assistant" alternately, content "turn i" (long turns too,
// so that some strings live on the heap and some inside their std::string).
std::string contentOf(int i) {
    return i % 3 == 0 ? "turn " + std::to_string(i) + std::string(40, 'x')
                      : "turn " + std::to_string(i);
}

void expectNewest(const History& history, int appended, std::size_t kept) {
    ASSERT_EQ(history.size(), kept);
    for (std::size_t k = 0; k < kept; ++k) {
        const int i = appended - static_cast<int>(kept) + static_cast<int>(k);
        EXPECT_EQ(text(history.data()[k].role), i % 2 == 0 ? "user" : "assistant") << i;
        EXPECT_EQ(text(history.data()[k].content), contentOf(i)) << i;
        EXPECT_EQ(text(history.turnData()[k]), "data " + std::to_string(i)) << i;
    }
}

TEST(History, KeepsTheNewestTurnsInOrderAsTheOldestAreDroppedOneByOne) {
    History history;
    int appended = 0;
    for (; appended < 1000; ++appended) {
        history.append(appended % 2 == 0 ? "user" : "assistant", contentOf(appended),
                       "data " + std::to_string(appended));
        history.keepLast(7);
        // Checked after every turn: the views move down at some of them and not at others.
        expectNewest(history, appended + 1, std::min<std::size_t>(appended + 1, 7));
    }
}

TEST(History, DropsManyAtOnceAndACopyHasTheSameTurns) {
    History history;
    for (int i = 0; i < 50; ++i)
        history.append(i % 2 == 0 ? "user" : "assistant", contentOf(i),
                       "data " + std::to_string(i));
    history.keepLast(30);
    history.keepLast(12);
    expectNewest(history, 50, 12);
    const History copy(history);
    expectNewest(copy, 50, 12);
    EXPECT_NE(copy.data()[0].content.data, history.data()[0].content.data);  // its own text
    history.keepLast(0);
    EXPECT_EQ(history.size(), 0u);
    expectNewest(copy, 50, 12);
}

}  // namespace
}  // namespace agenthost::conversation
