// Retention: conversations untouched for retention_days are deleted (at startup and in the
// background), and beyond max_per_key a key's oldest conversations are deleted. The age is
// made by writing an old updated_at into the store's file, with the host stopped or, for the
// background run, through SQLite's own locking while it runs.
#include <signal.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "ConversationTest.h"
#include "SqliteFile.h"

namespace agenthost::test {
namespace {

std::string databaseOf(const HostProcess& host) {
    return host.dir().file("state") + "/conversations.db";
}

std::string converse(const HostProcess& host, const std::string& text,
                     const std::string& key = kTestKey) {
    auto connection = startConversation(host, "echo", key);
    connection->sendMessage(text);
    connection->readUntil(terminalOfTurn(1));
    return connection.conversationId();
}

// The ids the HTTP API lists for `key`, newest first; {"(list failed)"} when it does not answer.
std::vector<std::string> listed(const HostProcess& host, const std::string& key = kTestKey) {
    auto answer = api(host, "GET", "/api/conversations?limit=100", key);
    if (answer.status != 200) return {"(list failed: " + std::to_string(answer.status) + ")"};
    std::vector<std::string> ids;
    auto conversations = parseJson(answer.body)->getArray("conversations");
    for (std::size_t i = 0; i < conversations->size(); ++i)
        ids.push_back(conversations->getObject(i)->getValue<std::string>("conversation_id"));
    return ids;
}

bool contains(const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Whether a resume of the conversation by `key` succeeds (a WebSocket-only check).
bool exists(const HostProcess& host, const std::string& id, const std::string& key = kTestKey) {
    auto probe = startConversation(host, "echo", key);
    auto answer = sendResume(*probe.client, id, 0);
    if (typeOf(answer) == "resumed") return true;
    EXPECT_EQ(codeOf(answer), "conversation_not_found") << canonical(answer);
    return false;
}

void expectGone(const HostProcess& host, const std::string& id) {
    EXPECT_FALSE(exists(host, id)) << id;
    EXPECT_EQ(api(host, "GET", "/api/conversations/" + id).status, 404);
    auto again = connectTo(host, resumePath("echo", id, 0));
    EXPECT_EQ(codeOf(again->receiveJson()), "conversation_not_found");
}

TEST(Retention, ConversationsUntouchedForRetentionDaysAreGoneAfterARestart) {
    HostProcess host(conversationConfig("repeat = 1\n", "", "retention_days = 30\n"));
    const std::string old = converse(host, "thirty-one days ago");
    const std::string recent = converse(host, "twenty-nine days ago");
    const std::string fresh = converse(host, "today");
    ASSERT_EQ(host.stop(SIGTERM), 0) << host.output();
    {
        SqliteFile file(databaseOf(host));
        ASSERT_GT(file.ageConversation(old, 31), 0) << "no updated_at column found for " << old;
        ASSERT_GT(file.ageConversation(recent, 29), 0);
    }
    host.restart();
    expectGone(host, old);
    EXPECT_TRUE(exists(host, recent));
    EXPECT_TRUE(exists(host, fresh));
    auto ids = listed(host);
    EXPECT_FALSE(contains(ids, old));
    EXPECT_TRUE(contains(ids, recent)) << testing::PrintToString(ids);
    EXPECT_TRUE(contains(ids, fresh)) << testing::PrintToString(ids);
}

TEST(Retention, RunsInTheBackgroundToo) {
    HostProcess host(
        conversationConfig("repeat = 1\n", "", "retention_days = 30\nretention_interval_s = 1\n"));
    const std::string old = converse(host, "going");
    const std::string kept = converse(host, "staying");
    {
        SqliteFile file(databaseOf(host));
        // The turn's last write reaches the file within the store's 100 ms; age the row only
        // after that, or the host's own write would make it young again.
        ASSERT_TRUE(waitUntil([&] { return file.ageConversation(old, 40) > 0; }))
            << "no updated_at column found for " << old;
        std::this_thread::sleep_for(300ms);
        ASSERT_GT(file.ageConversation(old, 40), 0);
    }
    EXPECT_TRUE(waitUntil([&] { return !exists(host, old); }, 20s))
        << "still there after 20 s with retention_interval_s = 1";
    EXPECT_TRUE(exists(host, kept));
    expectGone(host, old);
    EXPECT_FALSE(contains(listed(host), old));
    EXPECT_TRUE(contains(listed(host), kept)) << testing::PrintToString(listed(host));
}

TEST(Retention, MaxPerKeyKeepsEachKeysNewest) {
    HostProcess host(conversationConfig("repeat = 1\n", "delay_ms = 20\n",
                                        "max_per_key = 3\nretention_interval_s = 1\n"));
    std::vector<std::string> mine;
    for (int i = 1; i <= 5; ++i) mine.push_back(converse(host, "mine " + std::to_string(i)));
    const std::vector<std::string> others{converse(host, "other 1", kOtherKey),
                                          converse(host, "other 2", kOtherKey)};
    EXPECT_TRUE(waitUntil([&] { return !exists(host, mine[0]) && !exists(host, mine[1]); }, 20s))
        << "the oldest beyond max_per_key = 3 are still there after 20 s";
    for (int i = 2; i < 5; ++i) EXPECT_TRUE(exists(host, mine[i])) << "mine " << i + 1;
    for (const auto& id : others)
        EXPECT_TRUE(exists(host, id, kOtherKey)) << "another key's conversations do not count";
    EXPECT_EQ(listed(host), (std::vector<std::string>{mine[4], mine[3], mine[2]}));
    EXPECT_EQ(listed(host, kOtherKey), (std::vector<std::string>{others[1], others[0]}));

    // At startup as well.
    ASSERT_EQ(host.stop(SIGTERM), 0) << host.output();
    host.writeConfig(conversationConfig("repeat = 1\n", "delay_ms = 20\n", "max_per_key = 2\n"));
    host.restart();
    EXPECT_FALSE(exists(host, mine[2]));
    EXPECT_TRUE(exists(host, mine[3]));
    EXPECT_TRUE(exists(host, mine[4]));
    EXPECT_EQ(listed(host), (std::vector<std::string>{mine[4], mine[3]}));
}

TEST(Retention, ASweepLargerThanOneSliceDeletesEverythingDue) {
    // The host deletes in slices of 50 conversations; 59 due take two of them. The answer's
    // delay keeps each conversation's updated_at (in ms) apart from the next one's.
    HostProcess host(conversationConfig("repeat = 1\n", "delay_ms = 3\n", "max_per_key = 100\n"));
    std::vector<std::string> ids;
    for (int i = 1; i <= 60; ++i) ids.push_back(converse(host, "number " + std::to_string(i)));
    ASSERT_EQ(host.stop(SIGTERM), 0) << host.output();
    host.writeConfig(conversationConfig("repeat = 1\n", "delay_ms = 3\n", "max_per_key = 1\n"));
    host.restart();
    EXPECT_TRUE(host.waitForOutput("retention: deleted 59 conversation(s)")) << host.output();
    EXPECT_EQ(listed(host), (std::vector<std::string>{ids.back()}));
    expectGone(host, ids[0]);
    expectGone(host, ids[58]);
}

}  // namespace
}  // namespace agenthost::test
