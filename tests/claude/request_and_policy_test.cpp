// Settings, request bodies, the retry policy and the error texts people read.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "AnthropicRequest.h"
#include "ApiErrors.h"
#include "ClaudeConfig.h"
#include "RetryPolicy.h"

namespace agenthost::claude {
namespace {

using namespace std::chrono_literals;

ClaudeConfig configFrom(std::map<std::string, std::string> values, const char* env = nullptr) {
    return ClaudeConfig::fromSettings("claude", Settings(std::move(values)), env);
}

TEST(ClaudeConfig, DefaultsFollowTheSpec) {
    const ClaudeConfig c = configFrom({{"api_key", "k"}});
    EXPECT_EQ(c.model, "claude-sonnet-4-5");
    EXPECT_EQ(c.messagesUrl(), "https://api.anthropic.com/v1/messages");
    EXPECT_EQ(c.maxTokens, 4096);
    EXPECT_EQ(c.anthropicVersion, "2023-06-01");
    EXPECT_EQ(c.maxRetries, 2);
    EXPECT_EQ(c.keepaliveConnections, 32);
    EXPECT_FALSE(c.system);
    EXPECT_FALSE(c.temperature);
    EXPECT_EQ(c.thinkingBudgetTokens, 0);
    EXPECT_TRUE(c.promptCaching);
    EXPECT_EQ(c.maxContinuations, 3);
}

TEST(ClaudeConfig, ApiKeyFallsBackToTheEnvironment) {
    EXPECT_EQ(configFrom({}, "from-env").apiKey, "from-env");
    EXPECT_TRUE(configFrom({}, "from-env").apiKeyFromEnvironment);
    EXPECT_EQ(configFrom({{"api_key", "mine"}}, "from-env").apiKey, "mine");
    EXPECT_TRUE(configFrom({}, nullptr).apiKey.empty());
    EXPECT_TRUE(configFrom({}, "").apiKey.empty());
}

TEST(ClaudeConfig, ReadsEverySetting) {
    const ClaudeConfig c = configFrom({{"model", "any-model-string"},
                                       {"base_url", "http://127.0.0.1:9/"},
                                       {"max_tokens", "12"},
                                       {"system", "Be brief."},
                                       {"temperature", "0.25"},
                                       {"anthropic_version", "2099-01-01"},
                                       {"timeout_s", "1.5"},
                                       {"max_retries", "0"},
                                       {"keepalive_connections", "200"}});
    EXPECT_EQ(c.model, "any-model-string");
    EXPECT_EQ(c.messagesUrl(), "http://127.0.0.1:9/v1/messages");
    EXPECT_EQ(c.maxTokens, 12);
    EXPECT_EQ(*c.system, "Be brief.");
    EXPECT_DOUBLE_EQ(*c.temperature, 0.25);
    EXPECT_EQ(c.anthropicVersion, "2099-01-01");
    EXPECT_EQ(c.timeout, 1500ms);
    EXPECT_EQ(c.maxRetries, 0);
    EXPECT_EQ(c.keepaliveConnections, 200);
}

TEST(ClaudeConfig, RefusesNonsenseWithTheKeyName) {
    for (const auto& [key, value] :
         std::map<std::string, std::string>{{"max_tokens", "0"},
                                            {"max_tokens", "lots"},
                                            {"temperature", "3"},
                                            {"timeout_s", "0"},
                                            {"max_retries", "-1"},
                                            {"keepalive_connections", "0"},
                                            {"base_url", "ftp://x"}}) {
        try {
            configFrom({{key, value}});
            ADD_FAILURE() << key << " = " << value << " was accepted";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    }
}

// The Messages API's rules for extended thinking, each refused with a sentence that names the
// setting and the rule.
TEST(ClaudeConfig, ThinkingBudgetFollowsTheApiRules) {
    EXPECT_EQ(configFrom({{"thinking_budget_tokens", "0"}}).thinkingBudgetTokens, 0);
    EXPECT_EQ(configFrom({{"thinking_budget_tokens", "1024"}}).thinkingBudgetTokens, 1024);
    EXPECT_EQ(configFrom({{"thinking_budget_tokens", "10000"}, {"max_tokens", "16000"}})
                  .thinkingBudgetTokens,
              10000);
    EXPECT_EQ(
        configFrom({{"thinking_budget_tokens", "2000"}, {"temperature", "1"}}).thinkingBudgetTokens,
        2000);
    const std::vector<std::pair<std::map<std::string, std::string>, std::string>> refused = {
        {{{"thinking_budget_tokens", "1023"}}, "at least 1024"},
        {{{"thinking_budget_tokens", "-5"}}, "at least 1024"},
        {{{"thinking_budget_tokens", "many"}}, "thinking_budget_tokens"},
        {{{"thinking_budget_tokens", "4096"}},
         "max_tokens (4096) must be larger than "
         "thinking_budget_tokens (4096)"},
        {{{"thinking_budget_tokens", "2048"}, {"max_tokens", "1500"}},
         "max_tokens (1500) must be larger"},
        {{{"thinking_budget_tokens", "2048"}, {"temperature", "0.5"}},
         "temperature cannot be changed when thinking_budget_tokens is set"}};
    for (const auto& [settings, expected] : refused) {
        try {
            configFrom(settings);
            ADD_FAILURE() << expected << ": accepted";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
        }
    }
}

Poco::JSON::Object::Ptr parse(const std::string& json) {
    Poco::JSON::Parser parser;
    return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

TEST(AnthropicRequest, CarriesTheConversationAndSettings) {
    ClaudeConfig c = configFrom({{"model", "m1"},
                                 {"max_tokens", "99"},
                                 {"system", "sys \"q\""},
                                 {"temperature", "0.5"},
                                 {"prompt_caching", "false"}});
    const std::vector<Turn> history = {{"user", "first \xC3\xA9"}, {"assistant", "answer\nline"}};
    auto body = parse(buildMessagesBody(c, history, "second"));
    EXPECT_EQ(body->getValue<std::string>("model"), "m1");
    EXPECT_EQ(body->getValue<int>("max_tokens"), 99);
    EXPECT_TRUE(body->getValue<bool>("stream"));
    EXPECT_EQ(body->getValue<std::string>("system"), "sys \"q\"");
    EXPECT_DOUBLE_EQ(body->getValue<double>("temperature"), 0.5);
    auto messages = body->getArray("messages");
    ASSERT_EQ(messages->size(), 3u);
    EXPECT_EQ(messages->getObject(0)->getValue<std::string>("role"), "user");
    EXPECT_EQ(messages->getObject(0)->getValue<std::string>("content"), "first \xC3\xA9");
    EXPECT_EQ(messages->getObject(1)->getValue<std::string>("role"), "assistant");
    EXPECT_EQ(messages->getObject(1)->getValue<std::string>("content"), "answer\nline");
    EXPECT_EQ(messages->getObject(2)->getValue<std::string>("content"), "second");
}

const std::vector<Turn> kQuestionAndEmptyAnswer = {{"user", "q"}, {"assistant", ""}};
const std::vector<Turn> kOneTurn = {{"user", "q1"}, {"assistant", "a1"}};

TEST(AnthropicRequest, LeavesOutOptionalFieldsAndEmptyTurns) {
    auto body = parse(buildMessagesBody(configFrom({}), History(kQuestionAndEmptyAnswer), "q2"));
    EXPECT_FALSE(body->has("system"));
    EXPECT_FALSE(body->has("temperature"));
    EXPECT_FALSE(body->has("thinking"));
    EXPECT_EQ(body->getArray("messages")->size(), 2u);
}

TEST(AnthropicRequest, AsksForThinkingWithItsBudget) {
    auto body = parse(buildMessagesBody(
        configFrom({{"thinking_budget_tokens", "2048"}, {"max_tokens", "8000"}}), {}, "q"));
    auto thinking = body->getObject("thinking");
    ASSERT_TRUE(thinking);
    EXPECT_EQ(thinking->getValue<std::string>("type"), "enabled");
    EXPECT_EQ(thinking->getValue<int>("budget_tokens"), 2048);
    EXPECT_EQ(body->getValue<int>("max_tokens"), 8000);
}

TEST(AnthropicRequest, PromptCachingMarksTheSystemPromptAndTheNewMessage) {
    auto body = parse(buildMessagesBody(configFrom({{"system", "sys"}}), History(kOneTurn), "q2"));
    auto system = body->getArray("system");
    ASSERT_TRUE(system);
    EXPECT_EQ(system->getObject(0)->getValue<std::string>("text"), "sys");
    EXPECT_TRUE(system->getObject(0)->getObject("cache_control"));
    auto messages = body->getArray("messages");
    ASSERT_EQ(messages->size(), 3u);
    EXPECT_EQ(messages->getObject(1)->getValue<std::string>("content"), "a1");
    auto last = messages->getObject(2)->getArray("content");
    ASSERT_TRUE(last);
    EXPECT_EQ(last->getObject(0)->getValue<std::string>("text"), "q2");
    EXPECT_EQ(last->getObject(0)->getObject("cache_control")->getValue<std::string>("type"),
              "ephemeral");
}

TEST(AnthropicRequest, KeptBlocksStandInForTheTextOnlyWithThinkingOn) {
    const std::string kept = R"([{"type":"thinking","thinking":"t","signature":"s"},)"
                             R"({"type":"text","text":"a1"}])";
    const std::vector<Turn> history = {{"user", "q1"}, {"assistant", "a1", kept}};
    auto on = parse(buildMessagesBody(
        configFrom({{"thinking_budget_tokens", "2048"}, {"max_tokens", "8000"}}), history, "q2"));
    auto blocks = on->getArray("messages")->getObject(1)->getArray("content");
    ASSERT_TRUE(blocks);
    ASSERT_EQ(blocks->size(), 2u);
    EXPECT_EQ(blocks->getObject(0)->getValue<std::string>("signature"), "s");

    auto off = parse(buildMessagesBody(configFrom({}), history, "q2"));
    EXPECT_EQ(off->getArray("messages")->getObject(1)->getValue<std::string>("content"), "a1");
    // Unreadable data: the text stands in.
    const std::vector<Turn> unreadable = {{"user", "q1"}, {"assistant", "a1", "not json"}};
    auto broken = parse(
        buildMessagesBody(configFrom({{"thinking_budget_tokens", "2048"}, {"max_tokens", "8000"}}),
                          History(unreadable), "q2"));
    EXPECT_EQ(broken->getArray("messages")->getObject(1)->getValue<std::string>("content"), "a1");
}

TEST(AnthropicRequest, AContinuationEndsWithThePartialAnswer) {
    Poco::JSON::Parser parser;
    auto partial =
        parser.parse(R"([{"type":"text","text":"so far"}])").extract<Poco::JSON::Array::Ptr>();
    auto body = parse(buildMessagesBody(configFrom({}), {}, "q", partial));
    auto messages = body->getArray("messages");
    ASSERT_EQ(messages->size(), 2u);
    EXPECT_EQ(messages->getObject(1)->getValue<std::string>("role"), "assistant");
    EXPECT_EQ(
        messages->getObject(1)->getArray("content")->getObject(0)->getValue<std::string>("text"),
        "so far");
}

TEST(RetryPolicy, RetriesTheStatusesTheSdksRetry) {
    for (long status : {408L, 409L, 429L, 500L, 502L, 503L, 529L})
        EXPECT_TRUE(shouldRetryStatus(status, {})) << status;
    for (long status : {400L, 401L, 403L, 404L, 413L, 422L})
        EXPECT_FALSE(shouldRetryStatus(status, {})) << status;
    EXPECT_FALSE(shouldRetryStatus(500, {std::nullopt, false}));
    EXPECT_TRUE(shouldRetryStatus(400, {std::nullopt, true}));
}

TEST(RetryPolicy, HonoursRetryAfter) {
    EXPECT_EQ(parseRetryAfter("", "2"), 2000ms);
    EXPECT_EQ(parseRetryAfter("", "0.25"), 250ms);
    EXPECT_EQ(parseRetryAfter("120", "9"), 120ms);
    EXPECT_FALSE(parseRetryAfter("", "Wed, 21 Oct 2015 07:28:00 GMT"));
    EXPECT_FALSE(parseRetryAfter("", "-3"));
    EXPECT_EQ(retryDelay(0, {1500ms, std::nullopt}, 0.9), 1500ms);
    // A retry-after of minutes is not honoured: the backoff applies.
    EXPECT_LE(retryDelay(0, {120000ms, std::nullopt}, 0.0), 500ms);
}

TEST(RetryPolicy, BacksOffExponentiallyWithJitterAndACap) {
    EXPECT_EQ(retryDelay(0, {}, 0.0), 500ms);
    EXPECT_EQ(retryDelay(1, {}, 0.0), 1000ms);
    EXPECT_EQ(retryDelay(2, {}, 0.0), 2000ms);
    EXPECT_EQ(retryDelay(10, {}, 0.0), 8000ms);
    EXPECT_EQ(retryDelay(1, {}, 1.0), 750ms);
    EXPECT_GE(retryDelay(1, {}, 0.5), 750ms);
    EXPECT_LE(retryDelay(1, {}, 0.5), 1000ms);
}

TEST(ApiErrors, EachStatusSaysWhatToDo) {
    const ClaudeConfig c = configFrom({{"api_key", "sk-secret-value"}});
    const std::string body =
        R"({"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too big"}})";
    const Failure bad = httpFailure(c, 400, body, "req_1");
    EXPECT_EQ(bad.code, "invalid_request");
    EXPECT_NE(bad.message.find("max_tokens: too big"), std::string::npos);
    EXPECT_NE(bad.message.find("req_1"), std::string::npos);

    const Failure key = httpFailure(
        c, 401,
        R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})",
        "");
    EXPECT_EQ(key.code, "invalid_api_key");
    EXPECT_NE(key.message.find("api_key = env:ANTHROPIC_API_KEY"), std::string::npos);
    EXPECT_NE(key.message.find("[plugin.claude]"), std::string::npos);
    EXPECT_EQ(key.message.find("sk-secret-value"), std::string::npos);

    EXPECT_EQ(httpFailure(c, 403, "", "").code, "permission_denied");
    EXPECT_EQ(httpFailure(c, 429, "", "").code, "rate_limited");
    EXPECT_EQ(httpFailure(c, 529, "", "").code, "overloaded");
    EXPECT_EQ(httpFailure(c, 503, "", "").code, "upstream_error");
    const Failure odd = httpFailure(c, 418, "<html>teapot</html>", "");
    EXPECT_NE(odd.message.find("418"), std::string::npos);
    EXPECT_NE(odd.message.find("teapot"), std::string::npos);
}

TEST(ApiErrors, TransportFailuresNameTheBaseUrl) {
    const ClaudeConfig c = configFrom({{"base_url", "http://127.0.0.1:1"}});
    const Failure refused = transportFailure(c, CURLE_COULDNT_CONNECT, "Connection refused");
    EXPECT_EQ(refused.code, "upstream_unreachable");
    EXPECT_NE(refused.message.find("http://127.0.0.1:1"), std::string::npos);
    EXPECT_NE(refused.message.find("Connection refused"), std::string::npos);
    const Failure dns = transportFailure(c, CURLE_COULDNT_RESOLVE_HOST, "");
    EXPECT_EQ(dns.code, "upstream_unreachable");
    EXPECT_NE(dns.message.find("resolve"), std::string::npos);
    EXPECT_EQ(transportFailure(c, CURLE_OPERATION_TIMEDOUT, "").code, "timeout");
    const Failure missing = missingKeyFailure(c);
    EXPECT_EQ(missing.code, "api_key_missing");
    EXPECT_NE(missing.message.find("export ANTHROPIC_API_KEY"), std::string::npos);
}

}  // namespace
}  // namespace agenthost::claude
