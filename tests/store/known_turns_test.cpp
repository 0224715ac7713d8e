// KnownTurns: when the writer may leave out the DELETE of superseded turn rows and of ended
// running turns.
#include <gtest/gtest.h>

#include "store/KnownTurns.h"

namespace agenthost::store::test {
namespace {

TEST(KnownTurns, ARowSupersedesOnlyWhatMayStartWithinIt) {
    KnownTurns::Conversation known(0, {});  // no rows yet
    EXPECT_FALSE(known.maySupersede(1));
    known.wroteRow(1);                    // [1, 3]
    EXPECT_FALSE(known.maySupersede(3));  // [3, 4]: [1, 3] starts before it
    known.wroteRow(3);
    EXPECT_TRUE(known.maySupersede(3));  // [3, 3] again: the row [3, 4] may go
    EXPECT_FALSE(known.maySupersede(4));
    // Read from the database: rows up to turn 9 may start anywhere up to it.
    EXPECT_TRUE(KnownTurns::Conversation(9, {}).maySupersede(9));
    EXPECT_FALSE(KnownTurns::Conversation(9, {}).maySupersede(10));
    const KnownTurns::Conversation top(INT32_MAX, {});
    EXPECT_TRUE(top.maySupersede(INT32_MAX));
}

TEST(KnownTurns, RunningTurnsAreTrackedAsTheyStartAndEnd) {
    KnownTurns::Conversation known(0, {7, 2});
    EXPECT_TRUE(known.mayBeRunning(1, 2));
    EXPECT_FALSE(known.mayBeRunning(3, 6));
    EXPECT_TRUE(known.mayBeRunning(3, 7));
    known.ended(1, 2);
    EXPECT_FALSE(known.mayBeRunning(1, 6));
    known.started(4);
    known.started(4);
    EXPECT_TRUE(known.mayBeRunning(4, 4));
    known.ended(4, 7);
    EXPECT_FALSE(known.mayBeRunning(0, INT32_MAX));
}

TEST(KnownTurns, ForgetsAConversationEverythingOrWhenFull) {
    KnownTurns known;
    EXPECT_EQ(known.find("a"), nullptr);
    known.learn("a", KnownTurns::Conversation(0, {1}));
    known.learn("b", KnownTurns::Conversation(0, {}));
    ASSERT_NE(known.find("a"), nullptr);
    EXPECT_TRUE(known.find("a")->mayBeRunning(1, 1));
    known.forget("a");
    EXPECT_EQ(known.find("a"), nullptr);
    EXPECT_NE(known.find("b"), nullptr);
    known.forgetAll();
    EXPECT_EQ(known.find("b"), nullptr);
    for (std::size_t i = 0; i <= KnownTurns::kMaxConversations; ++i)
        known.learn("c" + std::to_string(i), KnownTurns::Conversation(0, {}));
    EXPECT_EQ(known.find("c0"), nullptr);
    EXPECT_NE(known.find("c" + std::to_string(KnownTurns::kMaxConversations)), nullptr);
}

}  // namespace
}  // namespace agenthost::store::test
