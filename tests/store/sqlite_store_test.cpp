// SqliteStore on a temporary file: every write read back, segments split for any range,
// listing, retention, deletion, open turns, and the migration from schema version 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "StoreTestSupport.h"
#include "store/ListCursor.h"
#include "store/OpenStore.h"
#include "store/Sqlite.h"
#include "store/SqliteSchema.h"

namespace agenthost::store::test {
namespace {

using agenthost::test::TempDir;

TEST(SqliteStore, ReadsBackEveryWrite) {
    TempDir dir;
    auto store = openTestStore(dir);
    store->createConversation(newConversation("conv-a", "phone", "claude", 500));
    store->appendFrame("conv-a", frameRecord(1, 1));
    store->appendFrame("conv-a", frameRecord(2, 1));
    TurnRecord turn = turnRecord(1, TurnStatus::Complete, 600, "hello there");
    turn.stopReason = "end_turn";
    turn.usage = TokenUsage{12, 34};
    store->saveTurn("conv-a", turn);
    TurnRecord failed = turnRecord(2, TurnStatus::Error, 700);
    failed.errorCode = "upstream_error";
    failed.errorMessage = "the upstream said no";
    store->saveTurn("conv-a", failed);
    const std::string state("thread\0with a zero byte", 23);
    const Ticket last = store->savePluginState("conv-a", state);
    store->flush();
    EXPECT_GE(store->committedTicket(), last);

    const auto info = store->find("conv-a");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->id, "conv-a");
    EXPECT_EQ(info->route, "claude");
    EXPECT_EQ(info->keyName, "phone");
    EXPECT_EQ(info->title, "hello there");
    EXPECT_EQ(info->createdAt, 500);
    EXPECT_EQ(info->updatedAt, 701);  // the latest turn's finish
    EXPECT_EQ(info->turns, 2);
    EXPECT_EQ(info->lastSeq, 2);

    const auto frames = store->frames("conv-a", 0, INT64_MAX, 100);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].seq, 1);
    EXPECT_EQ(frames[0].turn, 1);
    EXPECT_EQ(frames[0].json, frameRecord(1, 1).json);
    EXPECT_EQ(frames[1].json, frameRecord(2, 1).json);

    const auto turns = store->turns("conv-a");
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[0].turn, 1);
    EXPECT_EQ(turns[0].user, "hello there");
    EXPECT_EQ(turns[0].assistant, "answer 1");
    EXPECT_EQ(turns[0].status, TurnStatus::Complete);
    EXPECT_EQ(turns[0].stopReason, "end_turn");
    ASSERT_TRUE(turns[0].usage);
    EXPECT_EQ(turns[0].usage->inputTokens, 12u);
    EXPECT_EQ(turns[0].usage->outputTokens, 34u);
    EXPECT_EQ(turns[0].startedAt, 600);
    EXPECT_EQ(turns[0].finishedAt, 601);
    EXPECT_EQ(turns[1].status, TurnStatus::Error);
    EXPECT_FALSE(turns[1].usage);
    EXPECT_EQ(turns[1].errorCode, "upstream_error");
    EXPECT_EQ(turns[1].errorMessage, "the upstream said no");

    EXPECT_EQ(store->pluginState("conv-a"), state);
    EXPECT_TRUE(store->health().ok);
}

TEST(SqliteStore, UnknownConversationsReadAsEmpty) {
    TempDir dir;
    auto store = openTestStore(dir);
    EXPECT_FALSE(store->find("nope"));
    EXPECT_TRUE(store->frames("nope", 0, INT64_MAX, 10).empty());
    EXPECT_TRUE(store->turns("nope").empty());
    EXPECT_EQ(store->pluginState("nope"), "");
}

TEST(SqliteStore, SurvivesReopening) {
    TempDir dir;
    {
        auto store = openTestStore(dir);
        addConversation(*store, "kept", "phone", 2, 5000);
        store->appendFrame("kept", frameRecord(7, 3));  // left to the destructor to commit
    }
    auto store = openTestStore(dir);
    ASSERT_TRUE(store->find("kept"));
    EXPECT_EQ(store->find("kept")->lastSeq, 7);
    EXPECT_EQ(store->frames("kept", 0, INT64_MAX, 100).size(), 7u);
    EXPECT_EQ(store->turns("kept").size(), 2u);
}

TEST(SqliteStore, TitleIsTheFirstMessageCutTo80CodePoints) {
    TempDir dir;
    auto store = openTestStore(dir);
    std::string message;
    for (int i = 0; i < 100; ++i) message += "\xC3\xA9";  // é, two bytes each
    store->createConversation(newConversation("titled"));
    store->saveTurn("titled", turnRecord(1, TurnStatus::Running, 100, message));
    store->saveTurn("titled", turnRecord(2, TurnStatus::Running, 200, "a later message"));
    store->flush();
    EXPECT_EQ(store->find("titled")->title, message.substr(0, 160));
    EXPECT_EQ(conversationTitle("short"), "short");
    EXPECT_EQ(conversationTitle(std::string(80, 'x') + "\xF0\x9F\x98\x80"), std::string(80, 'x'));
}

// Frames written over several commits (so over several segments, one with a change of turn)
// read back exactly for every window and limit.
TEST(SqliteStore, FramesSplitCorrectlyForAnyRange) {
    TempDir dir;
    auto store = openTestStore(dir);
    store->createConversation(newConversation("split"));
    std::vector<FrameRecord> all;
    std::int64_t seq = 0;
    for (int commit = 0; commit < 4; ++commit) {
        for (int i = 0; i < 5; ++i) {
            const int turn = commit == 1 && i >= 2 ? 3 : commit + 1;
            all.push_back(frameRecord(++seq, turn));
            store->appendFrame("split", all.back());
        }
        store->flush();
    }
    ASSERT_EQ(queryInt(store->path(), "SELECT count(*) FROM frame_segments"), 4);
    for (std::int64_t after = 0; after <= 21; ++after) {
        for (std::int64_t upTo = after; upTo <= 22; ++upTo) {
            for (std::size_t limit : {std::size_t{0}, std::size_t{1}, std::size_t{3},
                                      std::size_t{7}, std::size_t{100}}) {
                std::vector<FrameRecord> expected;
                for (const FrameRecord& f : all)
                    if (f.seq > after && f.seq <= upTo && expected.size() < limit)
                        expected.push_back(f);
                const auto got = store->frames("split", after, upTo, limit);
                ASSERT_EQ(got.size(), expected.size())
                    << "after " << after << " upTo " << upTo << " limit " << limit;
                for (std::size_t i = 0; i < got.size(); ++i) {
                    EXPECT_EQ(got[i].seq, expected[i].seq);
                    EXPECT_EQ(got[i].turn, expected[i].turn);
                    EXPECT_EQ(got[i].json, expected[i].json);
                }
            }
        }
    }
}

// Everything written before one flush is one batch (the window is long): a conversation's
// consecutive frames become one row, and only the last save of a turn is written.
TEST(SqliteStore, CoalescesABatch) {
    TempDir dir;
    SqliteStore::Options options;
    options.batchWindow = std::chrono::seconds(5);
    auto store = openTestStore(dir, options);
    for (const char* id : {"one", "two"})
        store->createConversation(newConversation(id, "phone", "echo", 10));
    for (int seq = 1; seq <= 6; ++seq) {
        store->appendFrame("one", frameRecord(seq, 1));
        store->appendFrame("two", frameRecord(seq, 1));
        store->saveTurn("one", turnRecord(1, TurnStatus::Running, seq));
    }
    store->appendFrame("two", frameRecord(10, 2));  // not consecutive: a row of its own
    store->saveTurn("one", turnRecord(1, TurnStatus::Complete, 50));
    store->flush();

    EXPECT_EQ(queryInt(store->path(),
                       "SELECT count(*) FROM frame_segments WHERE conversation_id = 'one'"),
              1);
    EXPECT_EQ(queryInt(store->path(),
                       "SELECT count(*) FROM frame_segments WHERE conversation_id = 'two'"),
              2);
    EXPECT_EQ(store->frames("one", 0, INT64_MAX, 100).size(), 6u);
    const auto two = store->frames("two", 4, INT64_MAX, 100);
    ASSERT_EQ(two.size(), 3u);
    EXPECT_EQ(two[2].seq, 10);
    EXPECT_EQ(two[2].turn, 2);
    const auto turns = store->turns("one");
    ASSERT_EQ(turns.size(), 1u);
    EXPECT_EQ(turns[0].status, TurnStatus::Complete);
    EXPECT_EQ(store->find("two")->lastSeq, 10);
    EXPECT_EQ(store->find("one")->updatedAt, 51);
}

TEST(SqliteStore, ListsNewestFirstWithPagesAndOnlyConversationsWithATurn) {
    TempDir dir;
    auto store = openTestStore(dir);
    // Two pairs share an updated_at: ties go by id, descending.
    addConversation(*store, "c1", "phone", 1, 1000);
    addConversation(*store, "c2", "phone", 1, 3000);
    addConversation(*store, "c3", "phone", 2, 2000);
    addConversation(*store, "c4", "phone", 1, 2000);
    addConversation(*store, "c5", "phone", 1, 4000, "claude");
    addConversation(*store, "c6", "phone", 1, 4000);
    addConversation(*store, "other", "laptop", 1, 9000);
    store->createConversation(newConversation("empty", "phone", "echo", 99999));  // no turn
    store->flush();

    std::vector<std::string> ids;
    std::string cursor;
    int pages = 0;
    do {
        const ListPage page = store->list(ListQuery{"phone", "", 4, cursor});
        for (const auto& c : page.conversations) ids.push_back(c.id);
        cursor = page.next;
        ++pages;
    } while (!cursor.empty() && pages < 10);
    EXPECT_EQ(ids, (std::vector<std::string>{"c6", "c5", "c2", "c4", "c3", "c1"}));
    EXPECT_EQ(pages, 2);

    const ListPage echoOnly = store->list(ListQuery{"phone", "echo", 2, ""});
    ASSERT_EQ(echoOnly.conversations.size(), 2u);
    EXPECT_EQ(echoOnly.conversations[0].id, "c6");
    EXPECT_EQ(echoOnly.conversations[1].id, "c2");
    EXPECT_FALSE(echoOnly.next.empty());
    const ListPage exact = store->list(ListQuery{"laptop", "", 1, ""});
    ASSERT_EQ(exact.conversations.size(), 1u);
    EXPECT_TRUE(exact.next.empty());  // a full last page says there is no more
    EXPECT_EQ(exact.conversations[0].turns, 1);
    EXPECT_EQ(exact.conversations[0].lastSeq, 3);

    EXPECT_TRUE(store->find("empty"));  // stored early, but not listed
    EXPECT_TRUE(store->list(ListQuery{"phone", "", 50, "zz"}).conversations.empty());
    EXPECT_FALSE(decodeListCursor("zz"));
    EXPECT_FALSE(decodeListCursor(""));
    const auto roundTrip = decodeListCursor(encodeListCursor({1234, "id:with:colons"}));
    ASSERT_TRUE(roundTrip);
    EXPECT_EQ(roundTrip->updatedAt, 1234);
    EXPECT_EQ(roundTrip->id, "id:with:colons");
}

TEST(SqliteStore, ListLimitIsCappedAt200) {
    TempDir dir;
    auto store = openTestStore(dir);
    for (int i = 0; i < 205; ++i) {
        const std::string id = "conv-" + std::to_string(i);
        store->createConversation(newConversation(id));
        store->saveTurn(id, turnRecord(1, TurnStatus::Complete, 1000 + i));
    }
    store->flush();
    const ListPage page = store->list(ListQuery{"phone", "", 1000, ""});
    EXPECT_EQ(page.conversations.size(), 200u);
    EXPECT_EQ(store->list(ListQuery{"phone", "", 1000, page.next}).conversations.size(), 5u);
}

TEST(SqliteStore, DeletingRemovesTurnsFramesAndState) {
    TempDir dir;
    auto store = openTestStore(dir);
    addConversation(*store, "doomed", "phone", 2, 1000);
    addConversation(*store, "kept", "phone", 1, 1000);
    store->savePluginState("doomed", "state");
    store->deleteConversation("doomed");
    store->appendFrame("doomed", frameRecord(99, 3));  // a late write for it is dropped
    store->flush();
    EXPECT_TRUE(store->health().ok);
    EXPECT_FALSE(store->find("doomed"));
    EXPECT_TRUE(store->frames("doomed", 0, INT64_MAX, 100).empty());
    EXPECT_TRUE(store->turns("doomed").empty());
    EXPECT_EQ(store->pluginState("doomed"), "");
    const std::string& path = store->path();
    EXPECT_EQ(queryInt(path, "SELECT count(*) FROM turn_segments WHERE conversation_id = 'doomed'"),
              0);
    EXPECT_EQ(
        queryInt(path, "SELECT count(*) FROM frame_segments WHERE conversation_id = 'doomed'"), 0);
    EXPECT_EQ(store->frames("kept", 0, INT64_MAX, 100).size(), 3u);
}

TEST(SqliteStore, RetentionDeletesOldConversationsAndEachKeysOldestBeyondTheCap) {
    TempDir dir;
    auto store = openTestStore(dir);
    addConversation(*store, "old-1", "phone", 1, 100);
    addConversation(*store, "old-2", "laptop", 1, 200);
    for (int i = 0; i < 5; ++i)
        addConversation(*store, "p" + std::to_string(i), "phone", 1, 1000 + i);
    for (int i = 0; i < 2; ++i)
        addConversation(*store, "l" + std::to_string(i), "laptop", 1, 1000 + i);

    auto byAge = store->enforceRetention(500, 0, 100);
    std::sort(byAge.begin(), byAge.end());
    EXPECT_EQ(byAge, (std::vector<std::string>{"old-1", "old-2"}));

    auto byCap = store->enforceRetention(500, 3, 100);
    std::sort(byCap.begin(), byCap.end());
    EXPECT_EQ(byCap, (std::vector<std::string>{"p0", "p1"}));
    EXPECT_FALSE(store->find("p1"));
    EXPECT_TRUE(store->find("p2"));
    EXPECT_TRUE(store->find("l0"));
    EXPECT_TRUE(store->enforceRetention(500, 3, 100).empty());
}

TEST(SqliteStore, RetentionDeletesAtMostItsLimitOldestFirst) {
    TempDir dir;
    auto store = openTestStore(dir);
    for (int i = 0; i < 7; ++i)
        addConversation(*store, "old" + std::to_string(i), "phone", 1, 100 + i);
    for (int i = 0; i < 6; ++i)
        addConversation(*store, "p" + std::to_string(i), "phone", 1, 1000 + i);

    // Expired ones first, then the cap fills what the limit leaves of the slice.
    auto first = store->enforceRetention(500, 4, 5);
    std::sort(first.begin(), first.end());
    EXPECT_EQ(first, (std::vector<std::string>{"old0", "old1", "old2", "old3", "old4"}));
    auto second = store->enforceRetention(500, 4, 5);
    std::sort(second.begin(), second.end());
    EXPECT_EQ(second, (std::vector<std::string>{"old5", "old6", "p0", "p1"}));
    EXPECT_TRUE(store->enforceRetention(500, 4, 5).empty());
    EXPECT_TRUE(store->find("p2"));
    EXPECT_TRUE(store->find("p5"));
}

TEST(SqliteStore, OpenTurnsAreTheRunningOnes) {
    TempDir dir;
    auto store = openTestStore(dir);
    addConversation(*store, "a", "phone", 1, 1000);
    store->appendFrame("a", frameRecord(4, 2));
    store->saveTurn("a", turnRecord(2, TurnStatus::Running, 2000));
    addConversation(*store, "b", "phone", 1, 1000);
    store->flush();
    const auto open = store->openTurns();
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].conversationId, "a");
    EXPECT_EQ(open[0].turn, 2);
    EXPECT_EQ(open[0].lastSeq, 4);
    store->saveTurn("a", turnRecord(2, TurnStatus::Interrupted, 2000));
    store->flush();
    EXPECT_TRUE(store->openTurns().empty());
}

TEST(SqliteStore, QueuedRunningTurnsStayOpenUntilEachEnds) {
    TempDir dir;
    auto store = openTestStore(dir);
    addConversation(*store, "a", "phone", 1, 1000);
    store->saveTurn("a", turnRecord(2, TurnStatus::Running, 2000));
    store->saveTurn("a", turnRecord(3, TurnStatus::Running, 2001));
    store->flush();
    EXPECT_EQ(store->openTurns().size(), 2u);
    store->saveTurn("a", turnRecord(2, TurnStatus::Cancelled, 2000));
    store->flush();
    const auto open = store->openTurns();
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].turn, 3);
}

// A turn saved again by a later commit is read in its last version, and the row that held
// only its older version is gone.
TEST(SqliteStore, ALaterSaveOfATurnReplacesTheEarlierOne) {
    TempDir dir;
    auto store = openTestStore(dir);
    store->createConversation(newConversation("a", "phone", "echo", 10));
    store->saveTurn("a", turnRecord(1, TurnStatus::Running, 100, "question"));
    store->flush();
    TurnRecord done = turnRecord(1, TurnStatus::Complete, 100, "question");
    done.assistant = "line one\nline \"two\"\t\xC3\xA9 \x01";
    store->saveTurn("a", done);
    store->flush();
    const auto turns = store->turns("a");
    ASSERT_EQ(turns.size(), 1u);
    EXPECT_EQ(turns[0].status, TurnStatus::Complete);
    EXPECT_EQ(turns[0].assistant, done.assistant);
    EXPECT_EQ(queryInt(store->path(), "SELECT count(*) FROM turn_segments"), 1);
}

// The writer leaves out the DELETEs of superseded turn rows and ended running turns when it
// knows they find nothing. A store opened on an existing file knows nothing yet: it reads what
// is there, so a turn left running by the last run still ends, and its old row still goes.
TEST(SqliteStore, ATurnLeftRunningByTheLastRunEndsAfterReopening) {
    TempDir dir;
    {
        auto store = openTestStore(dir);
        store->createConversation(newConversation("a", "phone", "echo", 10));
        store->saveTurn("a", turnRecord(1, TurnStatus::Complete, 100));
        store->saveTurn("a", turnRecord(2, TurnStatus::Running, 200));
        store->saveTurn("a", turnRecord(3, TurnStatus::Running, 300));
    }
    auto store = openTestStore(dir);
    ASSERT_EQ(store->openTurns().size(), 2u);
    store->saveTurn("a", turnRecord(2, TurnStatus::Complete, 200));
    store->flush();
    ASSERT_EQ(store->openTurns().size(), 1u);
    EXPECT_EQ(store->openTurns()[0].turn, 3);
    // Known now: turn 3 ends, its single-turn row is replaced, turn 4 starts and ends.
    store->saveTurn("a", turnRecord(3, TurnStatus::Complete, 300));
    store->flush();
    store->saveTurn("a", turnRecord(4, TurnStatus::Running, 400));
    store->flush();
    EXPECT_EQ(store->openTurns().size(), 1u);
    store->saveTurn("a", turnRecord(4, TurnStatus::Error, 400));
    store->flush();
    EXPECT_TRUE(store->openTurns().empty());
    const auto turns = store->turns("a");
    ASSERT_EQ(turns.size(), 4u);
    for (const TurnRecord& turn : turns) EXPECT_NE(turn.status, TurnStatus::Running);
    // [1, 3] from the first run, [2, 2], [3, 3], and [4, 4] that replaced its running version.
    EXPECT_EQ(queryInt(store->path(), "SELECT count(*) FROM turn_segments"), 4);
}

// A conversation deleted and created again under the same id starts with nothing running and
// no rows, whatever the writer knew of it before.
TEST(SqliteStore, TurnsOfADeletedConversationAreNotTakenAsKnown) {
    TempDir dir;
    auto store = openTestStore(dir);
    store->createConversation(newConversation("a", "phone", "echo", 10));
    store->saveTurn("a", turnRecord(1, TurnStatus::Running, 100));
    store->flush();
    store->deleteConversation("a");
    store->createConversation(newConversation("a", "phone", "echo", 10));
    store->saveTurn("a", turnRecord(1, TurnStatus::Running, 100));
    store->flush();
    ASSERT_EQ(store->openTurns().size(), 1u);
    store->saveTurn("a", turnRecord(1, TurnStatus::Complete, 100));
    store->flush();
    EXPECT_TRUE(store->openTurns().empty());
    EXPECT_EQ(queryInt(store->path(), "SELECT count(*) FROM turn_segments"), 1);
}

// A database left by a build with schema version 1 (one row per frame) is migrated on open.
// tokens_per_day's totals: one per key name and day, never lowered by a total saved late,
// days before yesterday dropped, and kept across a reopen.
TEST(SqliteStore, KeepsTheLargestTokenTotalPerKeyAndDay) {
    TempDir dir;
    {
        auto store = openTestStore(dir);
        store->saveKeyTokens({"phone", 100, 50});
        store->saveKeyTokens({"phone", 100, 80});
        store->saveKeyTokens({"phone", 100, 70});  // an older total that arrived late
        store->saveKeyTokens({"laptop", 100, 5});
        store->saveKeyTokens({"phone", 98, 999});  // two days before the newest save
        store->saveKeyTokens({"phone", 101, 1});
        store->flush();
    }
    auto store = openTestStore(dir);
    auto day100 = store->keyTokens(100);
    std::sort(day100.begin(), day100.end(),
              [](const KeyTokens& a, const KeyTokens& b) { return a.keyName < b.keyName; });
    ASSERT_EQ(day100.size(), 2u);
    EXPECT_EQ(day100[0].keyName, "laptop");
    EXPECT_EQ(day100[0].tokens, 5u);
    EXPECT_EQ(day100[1].keyName, "phone");
    EXPECT_EQ(day100[1].tokens, 80u);
    EXPECT_TRUE(store->keyTokens(98).empty());
    ASSERT_EQ(store->keyTokens(101).size(), 1u);
}

TEST(SqliteStore, MigratesAVersion1Database) {
    TempDir dir;
    const std::string path = dir.file("conversations.db");
    {
        SqliteDb db;
        std::string error;
        ASSERT_TRUE(db.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &error)) << error;
        ASSERT_EQ(schemaMigrations().front().version, 1);
        ASSERT_TRUE(db.exec(schemaMigrations().front().sql, &error)) << error;
        ASSERT_TRUE(db.exec(
            "PRAGMA user_version = 1;"
            "INSERT INTO conversations (id, route, key_name, title, created_at, updated_at, "
            "turns, last_seq) VALUES ('old', 'echo', 'phone', 'hi', 10, 20, 1, 3);"
            "INSERT INTO turns VALUES ('old', 1, 'hi', 'hello', 'running', '', NULL, NULL, '', "
            "'', 10, 0);"
            "INSERT INTO frames VALUES ('old', 1, 1, '{\"seq\":1}'), ('old', 2, 1, '{\"seq\":2}'),"
            " ('old', 3, 1, '{\"seq\":3}');",
            &error))
            << error;
    }
    auto store = openTestStore(dir);
    ASSERT_TRUE(store);
    EXPECT_EQ(queryInt(path, "PRAGMA user_version"), currentSchemaVersion());
    EXPECT_EQ(currentSchemaVersion(), 3);
    EXPECT_EQ(
        queryInt(path, "SELECT count(*) FROM sqlite_master WHERE name IN ('frames', 'turns')"), 0);
    const auto turns = store->turns("old");
    ASSERT_EQ(turns.size(), 1u);
    EXPECT_EQ(turns[0].user, "hi");
    EXPECT_EQ(turns[0].assistant, "hello");
    EXPECT_EQ(turns[0].status, TurnStatus::Running);
    EXPECT_FALSE(turns[0].usage);
    EXPECT_EQ(turns[0].startedAt, 10);
    const auto frames = store->frames("old", 1, INT64_MAX, 10);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].seq, 2);
    EXPECT_EQ(frames[1].json, "{\"seq\":3}");
    ASSERT_EQ(store->openTurns().size(), 1u);
    store->appendFrame("old", frameRecord(4, 1));
    store->flush();
    EXPECT_EQ(store->frames("old", 0, INT64_MAX, 10).size(), 4u);
    EXPECT_EQ(store->find("old")->lastSeq, 4);
}

TEST(SqliteStore, RefusesADatabaseFromANewerSchema) {
    TempDir dir;
    const std::string path = dir.file("conversations.db");
    {
        SqliteDb db;
        std::string error;
        ASSERT_TRUE(db.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &error));
        ASSERT_TRUE(db.exec("PRAGMA user_version = 99", &error));
    }
    std::string error;
    EXPECT_FALSE(SqliteStore::open(path, &error));
    EXPECT_EQ(error, "cannot open the conversation store " + path + ": " + path +
                         " has schema version 99, newer than this agenthost's 3");
}

TEST(OpenStore, MakesTheStoreTheSpecNames) {
    TempDir dir;
    std::string error;
    auto inStateDir = openStore("sqlite", dir.file("state/agenthost"), &error);
    ASSERT_TRUE(inStateDir) << error;
    EXPECT_TRUE(std::filesystem::exists(dir.file("state/agenthost/conversations.db")));

    auto atPath = openStore("sqlite:" + dir.file("elsewhere.db"), dir.path(), &error);
    ASSERT_TRUE(atPath) << error;
    EXPECT_TRUE(std::filesystem::exists(dir.file("elsewhere.db")));

    EXPECT_FALSE(openStore("none", dir.path(), &error));
    EXPECT_EQ(error, "");

    EXPECT_FALSE(openStore("mysql", dir.path(), &error));
    EXPECT_EQ(error,
              "[conversations] store = mysql is not a store this agenthost knows (sqlite, "
              "sqlite:PATH or none)");

    dir.write("not-a-folder", "x");
    EXPECT_FALSE(openStore("sqlite:" + dir.file("not-a-folder/x.db"), dir.path(), &error));
    EXPECT_NE(error.find("cannot open the conversation store " + dir.file("not-a-folder/x.db")),
              std::string::npos)
        << error;

    dir.write("garbage.db", std::string(8192, 'g'));
    EXPECT_FALSE(openStore("sqlite:" + dir.file("garbage.db"), dir.path(), &error));
    EXPECT_NE(error.find("file is not a database"), std::string::npos) << error;
}

}  // namespace
}  // namespace agenthost::store::test
