// Helpers shared by the store tests: records to write and a raw look into the database file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/SqliteStore.h"
#include "support/TempDir.h"

namespace agenthost::store::test {

// {"type":"message","content":"frame <seq>","seq":<seq>,"turn":<turn>}
FrameRecord frameRecord(std::int64_t seq, int turn);
TurnRecord turnRecord(int turn, TurnStatus status, Millis startedAt, const std::string& user = "");
NewConversation newConversation(const std::string& id, const std::string& keyName = "phone",
                                const std::string& route = "echo", Millis createdAt = 1000);

// A store on <dir>/conversations.db; fails the test when it cannot be opened.
std::unique_ptr<SqliteStore> openTestStore(const agenthost::test::TempDir& dir,
                                           SqliteStore::Options options = {});

// The first column of the first row of `sql` run on its own connection to `path`.
std::int64_t queryInt(const std::string& path, const std::string& sql);

// A conversation with `turns` turns of 3 frames each (user, message, complete), committed.
void addConversation(ConversationStore& store, const std::string& id, const std::string& keyName,
                     int turns, Millis updatedAt, const std::string& route = "echo");

}  // namespace agenthost::store::test
