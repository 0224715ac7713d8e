#include "StoreTestSupport.h"

#include <gtest/gtest.h>

#include "store/Sqlite.h"

namespace agenthost::store::test {

FrameRecord frameRecord(std::int64_t seq, int turn) {
    return FrameRecord{seq, turn,
                       R"({"type":"message","content":"frame )" + std::to_string(seq) +
                           R"(","seq":)" + std::to_string(seq) + R"(,"turn":)" +
                           std::to_string(turn) + "}"};
}

TurnRecord turnRecord(int turn, TurnStatus status, Millis startedAt, const std::string& user) {
    TurnRecord record;
    record.turn = turn;
    record.user = user.empty() ? "message " + std::to_string(turn) : user;
    record.status = status;
    record.startedAt = startedAt;
    if (status != TurnStatus::Running) {
        record.assistant = "answer " + std::to_string(turn);
        record.finishedAt = startedAt + 1;
    }
    return record;
}

NewConversation newConversation(const std::string& id, const std::string& keyName,
                                const std::string& route, Millis createdAt) {
    return NewConversation{id, route, keyName, createdAt};
}

std::unique_ptr<SqliteStore> openTestStore(const agenthost::test::TempDir& dir,
                                           SqliteStore::Options options) {
    std::string error;
    auto store = SqliteStore::open(dir.file("conversations.db"), &error, options);
    EXPECT_TRUE(store) << error;
    return store;
}

std::int64_t queryInt(const std::string& path, const std::string& sql) {
    SqliteDb db;
    std::string error;
    EXPECT_TRUE(db.open(path, SQLITE_OPEN_READONLY, &error)) << error;
    return db.queryInt(sql);
}

void addConversation(ConversationStore& store, const std::string& id, const std::string& keyName,
                     int turns, Millis updatedAt, const std::string& route) {
    store.createConversation(newConversation(id, keyName, route, updatedAt - 10));
    std::int64_t seq = 0;
    for (int turn = 1; turn <= turns; ++turn) {
        for (int frame = 0; frame < 3; ++frame) store.appendFrame(id, frameRecord(++seq, turn));
        store.saveTurn(id, turnRecord(turn, TurnStatus::Complete, updatedAt - 1));
    }
    store.flush();
}

}  // namespace agenthost::store::test
