// The HTTP API for conversations: list (newest first, cursor pagination, per key, per route),
// get (turns with status and usage), Markdown export, stored frames after a seq, delete; and
// 401 without a valid key.
#include <Poco/URI.h>

#include <string>
#include <vector>

#include "ConversationTest.h"

namespace agenthost::test {
namespace {

// /api/echo/ws answers after 20 ms, so consecutive conversations have distinct updated_at;
// /api/slow/ws answers with the text twice, or streams for long with `slow`.
HostConfig apiConfig(const std::string& slow = "repeat = 2\ninterval_ms = 1\n") {
    return conversationConfig(slow, "delay_ms = 20\n");
}

// A conversation with one finished turn per text; returns its id.
std::string converse(const HostProcess& host, const std::vector<std::string>& texts,
                     const std::string& route = "echo", const std::string& key = kTestKey) {
    auto connection = startConversation(host, route, key);
    int turn = 0;
    for (const auto& text : texts) {
        connection->sendMessage(text);
        connection->readUntil(terminalOfTurn(++turn));
    }
    return connection.conversationId();
}

FramePtr getJson(const HostProcess& host, const std::string& path,
                 const std::string& key = kTestKey) {
    auto result = api(host, "GET", path, key);
    if (result.status != 200)
        throw std::runtime_error("GET " + path + ": " + std::to_string(result.status) + " " +
                                 result.body);
    return parseJson(result.body);
}

std::string encoded(const std::string& value) {
    std::string out;
    Poco::URI::encode(value, "!#$&'()*+,/:;=?@[]%", out);
    return out;
}

// Every page of the list, `limit` at a time; the ids in the order given.
std::vector<std::string> listAll(const HostProcess& host, const std::string& query, int limit,
                                 int* pages = nullptr) {
    std::vector<std::string> ids;
    std::string cursor;
    for (int page = 1; page <= 100; ++page) {
        std::string path = "/api/conversations?limit=" + std::to_string(limit) + query;
        if (!cursor.empty()) path += "&before=" + encoded(cursor);
        auto answer = getJson(host, path);
        auto conversations = answer->getArray("conversations");
        EXPECT_LE(conversations->size(), static_cast<std::size_t>(limit));
        for (std::size_t i = 0; i < conversations->size(); ++i)
            ids.push_back(conversations->getObject(i)->getValue<std::string>("conversation_id"));
        if (pages) *pages = page;
        if (!answer->has("next") || answer->isNull("next")) return ids;
        cursor = answer->getValue<std::string>("next");
    }
    ADD_FAILURE() << "the list did not end after 100 pages";
    return ids;
}

std::size_t codePoints(const std::string& text) {
    std::size_t count = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80) ++count;
    return count;
}

void expectFields(const FramePtr& object, const std::vector<std::string>& names) {
    for (const auto& name : names) EXPECT_TRUE(object->has(name)) << "no \"" << name << "\"";
}

TEST(HttpApi, WithoutAValidKeyEveryRequestIs401) {
    HostProcess host(apiConfig());
    const std::string id = converse(host, {"secret"});
    const std::vector<std::pair<std::string, std::string>> requests{
        {"GET", "/api/conversations"},
        {"GET", "/api/conversations/" + id},
        {"GET", "/api/conversations/" + id + "?format=markdown"},
        {"GET", "/api/conversations/" + id + "/frames?after_seq=0"},
        {"DELETE", "/api/conversations/" + id}};
    for (const auto& [method, path] : requests) {
        SCOPED_TRACE(method + " " + path);
        EXPECT_EQ(host.request(method, path).status, 401);
        EXPECT_EQ(host.request(method, path, bearer("wrong-key-0123456789")).status, 401);
        EXPECT_EQ(host.request(method, path, {{"Authorization", std::string(kTestKey)}}).status,
                  401)
            << "the key without the Bearer scheme";
    }
    EXPECT_NE(getConversation(host, id), nullptr) << "nothing was deleted";
}

TEST(HttpApi, ListIsNewestFirstWithCursorPagination) {
    HostProcess host(apiConfig());
    std::vector<std::string> created;
    for (const char* title : {"first", "second", "third", "fourth", "fifth"})
        created.push_back(converse(host, {title}));
    const std::vector<std::string> newestFirst(created.rbegin(), created.rend());

    auto page = getJson(host, "/api/conversations?limit=2");
    auto conversations = page->getArray("conversations");
    ASSERT_EQ(conversations->size(), 2u);
    auto newest = conversations->getObject(0);
    expectFields(newest, {"conversation_id", "route", "title", "created_at", "updated_at", "turns",
                          "last_seq", "running"});
    EXPECT_EQ(newest->getValue<std::string>("conversation_id"), created[4]);
    EXPECT_EQ(newest->getValue<std::string>("route"), "echo");
    EXPECT_EQ(newest->getValue<std::string>("title"), "fifth");
    EXPECT_EQ(newest->getValue<int>("turns"), 1);
    EXPECT_EQ(newest->getValue<int>("last_seq"), 3);
    EXPECT_FALSE(newest->getValue<bool>("running"));
    EXPECT_FALSE(page->isNull("next"));

    int pages = 0;
    EXPECT_EQ(listAll(host, "", 2, &pages), newestFirst);
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(listAll(host, "", 50), newestFirst);

    // A new turn makes a conversation the newest.
    auto again = resumeByUrl(host, "echo", created[1], 3);
    again->sendMessage("more");
    again->readUntil(terminalOfTurn(2));
    auto ids = listAll(host, "", 10);
    ASSERT_FALSE(ids.empty());
    EXPECT_EQ(ids.front(), created[1]);
    EXPECT_EQ(ids.size(), 5u);
}

TEST(HttpApi, ListFiltersByRouteAndShowsOnlyTheKeysOwn) {
    HostProcess host(apiConfig());
    const std::string onEcho = converse(host, {"e"}, "echo");
    const std::string onSlow = converse(host, {"s"}, "slow");
    const std::string others = converse(host, {"o"}, "echo", kOtherKey);
    EXPECT_EQ(listAll(host, "", 10), (std::vector<std::string>{onSlow, onEcho}));
    EXPECT_EQ(listAll(host, "&route=slow", 10), (std::vector<std::string>{onSlow}));
    EXPECT_EQ(listAll(host, "&route=echo", 10), (std::vector<std::string>{onEcho}));
    auto otherList = getJson(host, "/api/conversations", kOtherKey)->getArray("conversations");
    ASSERT_EQ(otherList->size(), 1u);
    EXPECT_EQ(otherList->getObject(0)->getValue<std::string>("conversation_id"), others);
    EXPECT_EQ(getJson(host, "/api/conversations", kThirdKey)->getArray("conversations")->size(),
              0u);
}

TEST(HttpApi, AConversationIsStoredAndListedOnlyOnceItHasATurn) {
    HostProcess host(apiConfig());
    std::string id;
    {
        auto idle = startConversation(host);
        id = idle.conversationId();
        // Attachable by the same key while a connection is on it.
        auto second = resumeByUrl(host, "echo", id, 0);
        EXPECT_EQ(second.conversationId(), id);
        EXPECT_TRUE(listAll(host, "", 10).empty());
    }
    ASSERT_TRUE(waitUntil([&] { return healthConnections(host) == 0; }, 10s));
    auto later = connectTo(host, protocol2Path("echo"));
    auto error = sendResume(*later.client, id, 0);
    EXPECT_EQ(codeOf(error), "conversation_not_found")
        << "a conversation without turns is not kept after its connections left";

    auto used = startConversation(host);
    used->sendMessage("now it counts");
    used->readUntil(terminalOfTurn(1));
    EXPECT_EQ(listAll(host, "", 10), (std::vector<std::string>{used.conversationId()}));
}

TEST(HttpApi, TitleIsTheFirstUserMessageCutTo80CodePoints) {
    HostProcess host(apiConfig());
    std::string longText;
    for (int i = 0; i < 100; ++i) longText += "é";
    const std::string id = converse(host, {longText, "second message"});
    auto list = getJson(host, "/api/conversations")->getArray("conversations");
    ASSERT_EQ(list->size(), 1u);
    const std::string title = list->getObject(0)->getValue<std::string>("title");
    EXPECT_EQ(codePoints(title), 80u);
    EXPECT_EQ(title, longText.substr(0, 160));
}

TEST(HttpApi, GetReturnsTheTurnsWithStatusAndUsage) {
    HostProcess host(apiConfig("repeat = 50\ninterval_ms = 100\n"));
    auto connection = startConversation(host, "slow");
    const std::string id = connection.conversationId();
    connection->sendMessage("long");
    connection->readUntil(isType("message"));

    auto running = getJson(host, "/api/conversations/" + id);
    expectFields(running, {"conversation_id", "route", "created_at", "updated_at", "last_seq",
                           "running", "turns"});
    EXPECT_EQ(running->getValue<std::string>("conversation_id"), id);
    EXPECT_EQ(running->getValue<std::string>("route"), "slow");
    EXPECT_TRUE(running->getValue<bool>("running"));
    ASSERT_EQ(running->getArray("turns")->size(), 1u);
    EXPECT_EQ(running->getArray("turns")->getObject(0)->getValue<std::string>("status"), "running");

    connection->sendJson(R"({"type":"cancel"})");
    connection->readUntil(terminalOfTurn(1));
    ASSERT_TRUE(waitUntilIdle(host, id));
    auto turns = getJson(host, "/api/conversations/" + id)->getArray("turns");
    ASSERT_EQ(turns->size(), 1u);
    auto cancelled = turns->getObject(0);
    expectFields(cancelled, {"turn", "user", "assistant", "status", "stop_reason", "usage", "error",
                             "started_at", "finished_at"});
    EXPECT_EQ(cancelled->getValue<int>("turn"), 1);
    EXPECT_EQ(cancelled->getValue<std::string>("user"), "long");
    EXPECT_EQ(cancelled->getValue<std::string>("status"), "cancelled");
}

TEST(HttpApi, GetOfAFinishedConversation) {
    HostProcess host(apiConfig());
    const std::string id = converse(host, {"one", "two"}, "slow");
    auto conversation = getJson(host, "/api/conversations/" + id);
    EXPECT_EQ(conversation->getValue<int>("last_seq"), 8);  // user, 2 pieces, complete; twice
    EXPECT_FALSE(conversation->getValue<bool>("running"));
    auto turns = conversation->getArray("turns");
    ASSERT_EQ(turns->size(), 2u);
    for (unsigned i = 0; i < 2; ++i) {
        auto turn = turns->getObject(i);
        const std::string user = i == 0 ? "one" : "two";
        expectFields(turn, {"turn", "user", "assistant", "status", "stop_reason", "usage", "error",
                            "started_at", "finished_at"});
        EXPECT_EQ(turn->getValue<int>("turn"), static_cast<int>(i + 1));
        EXPECT_EQ(turn->getValue<std::string>("user"), user);
        EXPECT_EQ(turn->getValue<std::string>("assistant"), user + user);
        EXPECT_EQ(turn->getValue<std::string>("status"), "complete");
    }
}

TEST(HttpApi, MarkdownExport) {
    HostProcess host(apiConfig());
    const std::string id = converse(host, {"question one", "question two"}, "slow");
    auto result = api(host, "GET", "/api/conversations/" + id + "?format=markdown");
    ASSERT_EQ(result.status, 200);
    EXPECT_EQ(result.header("Content-Type").rfind("text/markdown", 0), 0u)
        << result.header("Content-Type");
    const std::string& markdown = result.body;
    const auto firstAnswer = markdown.find("question onequestion one");
    const auto secondAnswer = markdown.find("question twoquestion two");
    ASSERT_NE(firstAnswer, std::string::npos) << markdown;
    ASSERT_NE(secondAnswer, std::string::npos) << markdown;
    EXPECT_LT(firstAnswer, secondAnswer) << markdown;
    const auto secondQuestion = markdown.find("question two");
    EXPECT_GT(secondQuestion, firstAnswer) << "turns in order, each question before its answer";
}

TEST(HttpApi, FramesAfterASeqWithALimit) {
    HostProcess host(apiConfig());
    auto connection = startConversation(host);
    Frames live;
    for (int turn = 1; turn <= 3; ++turn) {
        connection->sendMessage("turn " + std::to_string(turn));
        auto frames = connection->readUntil(terminalOfTurn(turn));
        live.insert(live.end(), frames.begin(), frames.end());
    }
    ASSERT_EQ(live.size(), 9u);
    const std::string base = "/api/conversations/" + connection.conversationId() + "/frames";

    auto page = getJson(host, base + "?after_seq=2&limit=3");
    EXPECT_EQ(page->getValue<int>("last_seq"), 9);
    auto frames = page->getArray("frames");
    ASSERT_EQ(frames->size(), 3u);
    for (unsigned i = 0; i < 3; ++i)
        EXPECT_EQ(canonical(frames->getObject(i)), canonical(live[2 + i]))
            << "stored frames are the frames as sent";

    EXPECT_EQ(getJson(host, base + "?after_seq=0")->getArray("frames")->size(), 9u);
    EXPECT_EQ(getJson(host, base + "?after_seq=7")->getArray("frames")->size(), 2u);
    EXPECT_EQ(getJson(host, base + "?after_seq=9")->getArray("frames")->size(), 0u);
}

TEST(HttpApi, DeleteIs204AndTheConversationIsGone) {
    HostProcess host(apiConfig());
    const std::string id = converse(host, {"forget me"});
    const std::string kept = converse(host, {"keep me"});
    auto deleted = api(host, "DELETE", "/api/conversations/" + id);
    EXPECT_EQ(deleted.status, 204);
    EXPECT_TRUE(deleted.body.empty());
    EXPECT_EQ(api(host, "GET", "/api/conversations/" + id).status, 404);
    EXPECT_EQ(api(host, "GET", "/api/conversations/" + id + "/frames?after_seq=0").status, 404);
    EXPECT_EQ(api(host, "DELETE", "/api/conversations/" + id).status, 404);
    EXPECT_EQ(listAll(host, "", 10), (std::vector<std::string>{kept}));

    auto byUrl = connectTo(host, resumePath("echo", id, 0));
    EXPECT_NE(byUrl.conversationId(), id);
    EXPECT_EQ(codeOf(byUrl->receiveJson()), "conversation_not_found");
    auto byFrame = startConversation(host);
    EXPECT_EQ(codeOf(sendResume(*byFrame.client, id, 0)), "conversation_not_found");
}

TEST(HttpApi, DeletingMovesAttachedConnectionsToANewConversation) {
    HostProcess host(apiConfig("repeat = 100\ninterval_ms = 50\n"));
    auto phone = startConversation(host, "slow");
    const std::string id = phone.conversationId();
    auto laptop = resumeByUrl(host, "slow", id, 0);
    phone->sendMessage("being deleted");
    phone->readUntil(isType("message"));
    laptop->readUntil(isType("message"));

    ASSERT_EQ(api(host, "DELETE", "/api/conversations/" + id).status, 204);
    for (Connection* device : {&phone, &laptop}) {
        auto frames = (*device)->readUntil(errorWithCode("conversation_deleted"), 10s);
        for (const auto& frame : frames)
            EXPECT_TRUE(typeOf(frame) == "message" || typeOf(frame) == "error" ||
                        typeOf(frame) == "complete")
                << canonical(frame);
        // The running turn was cancelled: nothing more of it comes. A ready frame naming the
        // new conversation may (the spec leaves open how the move is told).
        while (auto frame = (*device)->receive(500ms)) {
            ASSERT_TRUE(frame->isText()) << "opcode " << frame->opcode;
            auto json = parseJson(frame->payload);
            EXPECT_EQ(typeOf(json), "ready") << "after conversation_deleted: " << frame->payload;
            EXPECT_NE(conversationIdOf(json), id);
            EXPECT_EQ(json->optValue<int>("last_seq", -1), 0);
        }
    }
    // Both are on new conversations now: a message starts turn 1 there.
    phone->sendMessage("fresh start");
    auto user = phone->receiveJson();
    EXPECT_EQ(typeOf(user), "user") << canonical(user);
    EXPECT_EQ(seqOf(user), 1) << canonical(user);
    EXPECT_EQ(turnOf(user), 1) << canonical(user);
    auto ids = listAll(host, "", 10);
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_NE(ids.front(), id);
    EXPECT_EQ(api(host, "GET", "/api/conversations/" + id).status, 404);
}

}  // namespace
}  // namespace agenthost::test
