// The conversations HTTP API called directly on a temporary SqliteStore: authentication, each
// key seeing only its own, listing with pages, get as JSON and Markdown, frames, delete.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "StoreTestSupport.h"
#include "conversation/HttpApi.h"

namespace agenthost::conversation {
namespace {

using agenthost::test::TempDir;
using http::PlainRequest;
using http::PlainResponse;
using Poco::JSON::Object;
using namespace store::test;
using store::TurnRecord;
using store::TurnStatus;

const std::string kPhoneId = "phone-conversation-1";
const std::string kPhoneOther = "phone-conversation-2";
const std::string kLaptopId = "laptop-conversation-1";

class FakeLive final : public LiveConversations {
  public:
    bool running(const std::string& id) override { return runningIds.count(id) > 0; }
    void deleted(const std::string& id) override { deletedIds.push_back(id); }
    std::set<std::string> runningIds;
    std::vector<std::string> deletedIds;
};

std::optional<std::string> checkKey(const std::string& key) {
    static const std::map<std::string, std::string> keys = {{"phone-secret", "phone"},
                                                            {"laptop-secret", "laptop"}};
    const auto it = keys.find(key);
    if (it == keys.end()) return std::nullopt;
    return it->second;
}

PlainRequest request(const std::string& method, const std::string& path,
                     const std::string& query = "", const std::string& key = "phone-secret") {
    PlainRequest r{method, path, query, {}, "127.0.0.1"};
    if (!key.empty()) r.headers.emplace_back("Authorization", "Bearer " + key);
    return r;
}

Object::Ptr json(const PlainResponse& response) {
    EXPECT_EQ(response.contentType, "application/json");
    Poco::JSON::Parser parser;
    return parser.parse(response.body).extract<Object::Ptr>();
}

class HttpApiTest : public ::testing::Test {
  protected:
    void SetUp() override {
        store_ = openTestStore(dir_);
        addConversation(*store_, kPhoneId, "phone", 2, 1'764'000'000'000, "claude");
        addConversation(*store_, kPhoneOther, "phone", 1, 1'764'000'001'000, "echo");
        addConversation(*store_, kLaptopId, "laptop", 1, 1'764'000'002'000, "echo");
        TurnRecord failed = turnRecord(3, TurnStatus::Error, 1'764'000'000'500, "third");
        failed.errorCode = "upstream_error";
        failed.errorMessage = "the upstream failed";
        failed.assistant = "partial";
        store_->saveTurn(kPhoneId, failed);
        store_->flush();
        api_ = std::make_unique<HttpApi>(store_.get(), checkKey, &live_);
    }

    PlainResponse call(const PlainRequest& r) { return api_->handle(r); }

    TempDir dir_;
    std::unique_ptr<store::SqliteStore> store_;
    FakeLive live_;
    std::unique_ptr<HttpApi> api_;
};

TEST_F(HttpApiTest, AnswersOnlyItsPaths) {
    EXPECT_TRUE(HttpApi::handles("/api/conversations"));
    EXPECT_TRUE(HttpApi::handles("/api/conversations/x/frames"));
    EXPECT_FALSE(HttpApi::handles("/api/conversationsx"));
    EXPECT_FALSE(HttpApi::handles("/api/claude/ws"));
}

TEST_F(HttpApiTest, WithoutAValidKeyItIs401) {
    for (const PlainRequest& r :
         {request("GET", "/api/conversations", "", ""),
          request("GET", "/api/conversations/" + kPhoneId, "", "wrong"),
          PlainRequest{
              "GET", "/api/conversations", "", {{"Authorization", "Basic eDp5"}}, "127.0.0.1"}}) {
        const PlainResponse response = call(r);
        EXPECT_EQ(response.status, 401);
        EXPECT_EQ(json(response)->getValue<std::string>("error"), "invalid_api_key");
        ASSERT_EQ(response.headers.size(), 1u);
        EXPECT_EQ(response.headers[0].first, "WWW-Authenticate");
    }
}

TEST_F(HttpApiTest, ListsTheKeysOwnConversationsNewestFirstInPages) {
    live_.runningIds.insert(kPhoneOther);
    const PlainResponse first = call(request("GET", "/api/conversations", "limit=1"));
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(first.body.substr(0, 40), R"({"conversations":[{"conversation_id":"ph)");
    const auto page1 = json(first);
    const auto items = page1->getArray("conversations");
    ASSERT_EQ(items->size(), 1u);
    const auto item = items->getObject(0);
    EXPECT_EQ(item->getValue<std::string>("conversation_id"), kPhoneOther);
    EXPECT_EQ(item->getValue<std::string>("route"), "echo");
    EXPECT_EQ(item->getValue<std::string>("title"), "message 1");
    EXPECT_EQ(item->getValue<std::string>("updated_at"), "2025-11-24T16:00:01.000Z");
    EXPECT_EQ(item->getValue<int>("turns"), 1);
    EXPECT_EQ(item->getValue<int>("last_seq"), 3);
    EXPECT_TRUE(item->getValue<bool>("running"));

    const std::string next = page1->getValue<std::string>("next");
    const auto page2 = json(call(request("GET", "/api/conversations", "limit=1&before=" + next)));
    ASSERT_EQ(page2->getArray("conversations")->size(), 1u);
    EXPECT_EQ(
        page2->getArray("conversations")->getObject(0)->getValue<std::string>("conversation_id"),
        kPhoneId);
    EXPECT_FALSE(page2->getArray("conversations")->getObject(0)->getValue<bool>("running"));
    EXPECT_TRUE(page2->isNull("next"));

    const auto claude = json(call(request("GET", "/api/conversations", "route=claude")));
    ASSERT_EQ(claude->getArray("conversations")->size(), 1u);
    const auto laptop = json(call(request("GET", "/api/conversations", "", "laptop-secret")));
    ASSERT_EQ(laptop->getArray("conversations")->size(), 1u);
    EXPECT_EQ(call(request("GET", "/api/conversations", "limit=500")).status, 200);
}

TEST_F(HttpApiTest, BadQueryValuesAre400) {
    for (const auto& [path, query] : std::vector<std::pair<std::string, std::string>>{
             {"/api/conversations", "limit=0"},
             {"/api/conversations", "limit=ten"},
             {"/api/conversations", "before=not-a-cursor"},
             {"/api/conversations/" + kPhoneId, "format=pdf"},
             {"/api/conversations/" + kPhoneId + "/frames", "after_seq=-1"},
             {"/api/conversations/" + kPhoneId + "/frames", "limit=0"}}) {
        const PlainResponse response = call(request("GET", path, query));
        EXPECT_EQ(response.status, 400) << path << "?" << query;
        EXPECT_EQ(json(response)->getValue<std::string>("error"), "invalid_request");
    }
}

TEST_F(HttpApiTest, GetsAConversationWithItsTurns) {
    const PlainResponse response = call(request("GET", "/api/conversations/" + kPhoneId));
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body.substr(0, 59),
              R"({"conversation_id":"phone-conversation-1","route":"claude",)");
    const auto body = json(response);
    EXPECT_EQ(body->getValue<std::string>("created_at"), "2025-11-24T15:59:59.990Z");
    EXPECT_EQ(body->getValue<int>("last_seq"), 6);
    EXPECT_FALSE(body->getValue<bool>("running"));
    const auto turns = body->getArray("turns");
    ASSERT_EQ(turns->size(), 3u);
    const auto first = turns->getObject(0);
    EXPECT_EQ(first->getValue<int>("turn"), 1);
    EXPECT_EQ(first->getValue<std::string>("user"), "message 1");
    EXPECT_EQ(first->getValue<std::string>("assistant"), "answer 1");
    EXPECT_EQ(first->getValue<std::string>("status"), "complete");
    EXPECT_TRUE(first->isNull("stop_reason"));
    EXPECT_TRUE(first->isNull("usage"));
    EXPECT_TRUE(first->isNull("error"));
    EXPECT_EQ(first->getValue<std::string>("finished_at"), "2025-11-24T16:00:00.000Z");
    const auto third = turns->getObject(2);
    EXPECT_EQ(third->getValue<std::string>("status"), "error");
    EXPECT_EQ(third->getObject("error")->getValue<std::string>("code"), "upstream_error");
    EXPECT_EQ(third->getObject("error")->getValue<std::string>("message"), "the upstream failed");
}

TEST_F(HttpApiTest, ExportsMarkdown) {
    const PlainResponse response =
        call(request("GET", "/api/conversations/" + kPhoneId, "format=markdown"));
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.contentType, "text/markdown; charset=utf-8");
    EXPECT_EQ(response.body,
              "# message 1\n"
              "\n**You:**\n\nmessage 1\n\n**Assistant:**\n\nanswer 1\n"
              "\n**You:**\n\nmessage 2\n\n**Assistant:**\n\nanswer 2\n"
              "\n**You:**\n\nthird\n\n**Assistant:**\n\npartial\n"
              "\n> **Error** (`upstream_error`): the upstream failed\n");
}

TEST_F(HttpApiTest, GivesTheStoredFramesAfterASeq) {
    const PlainResponse response =
        call(request("GET", "/api/conversations/" + kPhoneId + "/frames", "after_seq=2&limit=3"));
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "{\"frames\":[" + frameRecord(3, 1).json + "," +
                                 frameRecord(4, 2).json + "," + frameRecord(5, 2).json +
                                 "],\"last_seq\":6}");
    const auto all = json(call(request("GET", "/api/conversations/" + kPhoneId + "/frames")));
    EXPECT_EQ(all->getArray("frames")->size(), 6u);
    const auto none =
        json(call(request("GET", "/api/conversations/" + kPhoneId + "/frames", "after_seq=6")));
    EXPECT_EQ(none->getArray("frames")->size(), 0u);
}

TEST_F(HttpApiTest, AnotherKeysIdIsNotFoundLikeAnUnknownOne) {
    const PlainResponse foreign = call(request("GET", "/api/conversations/" + kLaptopId));
    const PlainResponse unknown = call(request("GET", "/api/conversations/unknown-conversation-1"));
    const PlainResponse malformed = call(request("GET", "/api/conversations/short"));
    const PlainResponse foreignFrames =
        call(request("GET", "/api/conversations/" + kLaptopId + "/frames"));
    const PlainResponse foreignDelete = call(request("DELETE", "/api/conversations/" + kLaptopId));
    for (const PlainResponse* response :
         {&foreign, &unknown, &malformed, &foreignFrames, &foreignDelete}) {
        EXPECT_EQ(response->status, 404);
        EXPECT_EQ(response->body, R"({"error":"not_found","message":"no such conversation"})");
    }
    EXPECT_TRUE(store_->find(kLaptopId));
    EXPECT_TRUE(live_.deletedIds.empty());
}

TEST_F(HttpApiTest, DeletesAConversation) {
    const PlainResponse response = call(request("DELETE", "/api/conversations/" + kPhoneId));
    EXPECT_EQ(response.status, 204);
    EXPECT_EQ(response.body, "");
    EXPECT_EQ(live_.deletedIds, std::vector<std::string>{kPhoneId});
    EXPECT_EQ(call(request("GET", "/api/conversations/" + kPhoneId)).status, 404);
    EXPECT_EQ(call(request("GET", "/api/conversations/" + kPhoneId + "/frames")).status, 404);
    EXPECT_TRUE(store_->frames(kPhoneId, 0, INT64_MAX, 100).empty());
    EXPECT_EQ(json(call(request("GET", "/api/conversations")))->getArray("conversations")->size(),
              1u);
}

TEST_F(HttpApiTest, OtherMethodsAre405) {
    for (const auto& [method, path, allowed] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"POST", "/api/conversations", "GET"},
             {"DELETE", "/api/conversations", "GET"},
             {"PUT", "/api/conversations/" + kPhoneId, "GET, DELETE"},
             {"DELETE", "/api/conversations/" + kPhoneId + "/frames", "GET"}}) {
        const PlainResponse response = call(request(method, path));
        EXPECT_EQ(response.status, 405) << method << " " << path;
        ASSERT_EQ(response.headers.size(), 1u);
        EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Allow", allowed}));
    }
    EXPECT_TRUE(store_->find(kPhoneId));
}

TEST_F(HttpApiTest, OtherPathsAreNotFound) {
    EXPECT_EQ(call(request("GET", "/api/conversations/" + kPhoneId + "/turns")).status, 404);
    EXPECT_EQ(call(request("GET", "/api/conversations/")).status, 404);
}

TEST(HttpApiWithoutStore, Answers503AfterTheKeyCheck) {
    HttpApi api(nullptr, checkKey, nullptr);
    EXPECT_EQ(api.handle(request("GET", "/api/conversations", "", "")).status, 401);
    const PlainResponse response = api.handle(request("GET", "/api/conversations"));
    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(json(response)->getValue<std::string>("error"), "store_disabled");
}

}  // namespace
}  // namespace agenthost::conversation
