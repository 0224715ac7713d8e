// Per-key limits against the real binary: each limit hit (with its exact code and
// retry_after_s) and freed again, one key at its token budget while another keeps working,
// tokens counted for a response whose client left, token totals surviving a restart, GET
// /api/usage, and a SIGHUP that changes a limit without resetting what was used.
//
// The windows are shortened through the host's environment (AGENTHOST_TEST_MINUTE_MS,
// AGENTHOST_TEST_DAY_MS) so that a limit is seen to free up within seconds.
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "support/HostProcess.h"
#include "support/Http.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;
using FramePtr = Poco::JSON::Object::Ptr;

constexpr const char* kPhoneKey = "phone-key-0123456789";
constexpr const char* kLaptopKey = "laptop-key-0123456789";
constexpr const char* kPath = "/api/metered/ws";

// Two keys: "phone" with `phoneLimits` (ini lines), "laptop" without limits; the metered
// fixture at /api/metered/ws; `conversations` for the [conversations] section.
HostConfig limitsConfig(const std::string& phoneLimits,
                        const std::map<std::string, std::string>& environment = {},
                        const std::string& conversations = "store = none") {
    HostConfig config;
    config.pluginDirectory = LIMITS_FIXTURE_DIR;
    config.sections = "[key.phone]\nsecret = " + std::string(kPhoneKey) + "\n" + phoneLimits +
                      "\n[key.laptop]\nsecret = " + kLaptopKey +
                      "\n\n[plugin.metered]\nlibrary = metered\n\n[conversations]\n" +
                      conversations + "\n";
    config.environment = environment;
    return config;
}

std::unique_ptr<WsClient> connect(const HostProcess& host, const std::string& key,
                                  const std::string& path = kPath) {
    auto client = std::make_unique<WsClient>(host.port(), path);
    client->authenticate(key);
    return client;
}

// The refusal of a limit: an error frame with `code`, a sentence naming the limit, and
// retry_after_s of at least 1 second.
void expectRefusal(const FramePtr& frame, const std::string& code, const std::string& limitName) {
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->optValue<std::string>("type", ""), "error");
    EXPECT_EQ(frame->optValue<std::string>("code", ""), code);
    EXPECT_NE(frame->optValue<std::string>("content", "").find(limitName), std::string::npos)
        << frame->optValue<std::string>("content", "");
    ASSERT_TRUE(frame->has("retry_after_s"));
    EXPECT_GE(frame->getValue<int>("retry_after_s"), 1);
    EXPECT_FALSE(frame->has("seq"));  // not part of the conversation
}

// Sends `content` until it is answered by a complete frame (the limit freed up).
bool completesWithin(WsClient& client, const std::string& content,
                     std::chrono::milliseconds timeout) {
    return waitUntil([&] { return client.chat(content).terminalType() == "complete"; }, timeout);
}

FramePtr usageOf(const HostProcess& host, const std::string& key) {
    const auto result = host.get("/api/usage", bearer(key));
    if (result.status != 200) throw std::runtime_error("GET /api/usage: " + result.body);
    return parseJson(result.body);
}

std::uint64_t used(const FramePtr& usage, const std::string& limit) {
    return usage->getObject(limit)->getValue<std::uint64_t>("used");
}

// A WebSocket upgrade with a Bearer key that the server refuses: its status, Retry-After and
// body.
struct UpgradeAnswer {
    int status = 0;
    std::string retryAfter;
    std::string body;
};
UpgradeAnswer bearerUpgrade(const HostProcess& host, const std::string& key) {
    Poco::Net::HTTPClientSession session("127.0.0.1", host.port());
    session.setTimeout(Poco::Timespan(5, 0));
    session.setKeepAlive(true);  // else the session sends "Connection: close", not "Upgrade"
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, kPath,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Connection", "Upgrade");
    request.set("Upgrade", "websocket");
    request.set("Sec-WebSocket-Version", "13");
    request.set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    request.set("Authorization", "Bearer " + key);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    UpgradeAnswer answer;
    answer.status = response.getStatus();
    answer.retryAfter = response.get("Retry-After", "");
    if (answer.status != 101) Poco::StreamCopier::copyToString(in, answer.body);
    return answer;
}

TEST(KeyLimits, MaxConnectionsRefusesTheKeyFrameAndFreesUpWhenOneCloses) {
    HostProcess host(limitsConfig("max_connections = 2\n"));
    auto first = connect(host, kPhoneKey);
    auto second = connect(host, kPhoneKey);

    WsClient third(host.port(), kPath);
    third.sendText(kPhoneKey);
    EXPECT_EQ(third.receiveText(), "error:rate_limited");
    expectRefusal(third.receiveJson(), "rate_limited", "max_connections");
    EXPECT_EQ(third.waitForClose(), 1013);

    // Another key is not affected; the refused one still works on its open connections.
    auto laptop = connect(host, kLaptopKey);
    EXPECT_EQ(laptop->chat("1 1").terminalType(), "complete");
    EXPECT_EQ(first->chat("1 1").terminalType(), "complete");

    second->close();
    EXPECT_TRUE(waitUntil(
        [&] {
            try {
                connect(host, kPhoneKey);
                return true;
            } catch (const std::exception&) {
                return false;
            }
        },
        5s));
}

TEST(KeyLimits, MaxConnectionsRefusesABearerUpgradeWith429AndRetryAfter) {
    HostProcess host(limitsConfig("max_connections = 1\n"));
    auto open = connect(host, kPhoneKey);

    const auto refused = bearerUpgrade(host, kPhoneKey);
    EXPECT_EQ(refused.status, 429);
    ASSERT_FALSE(refused.retryAfter.empty());
    EXPECT_GE(std::stoi(refused.retryAfter), 1);
    EXPECT_EQ(parseJson(refused.body)->getValue<std::string>("error"), "rate_limited");
    EXPECT_EQ(parseJson(refused.body)->getValue<int>("retry_after_s"),
              std::stoi(refused.retryAfter));
    EXPECT_EQ(handshakeStatus(host.port(), kPath,
                              {{"Authorization", "Bearer " + std::string(kLaptopKey)}}),
              101);

    open->close();
    EXPECT_TRUE(waitUntil(
        [&] {
            return handshakeStatus(host.port(), kPath,
                                   {{"Authorization", "Bearer " + std::string(kPhoneKey)}}) == 101;
        },
        5s));
}

TEST(KeyLimits, RequestsPerMinuteRefusesAndTheRollingWindowFreesUp) {
    HostProcess host(
        limitsConfig("requests_per_minute = 3\n", {{"AGENTHOST_TEST_MINUTE_MS", "1500"}}));
    auto phone = connect(host, kPhoneKey);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(phone->chat("1 1").terminalType(), "complete");

    const auto refused = phone->chat("1 1");
    EXPECT_EQ(refused.frames.size(), 1u);
    expectRefusal(refused.terminal, "rate_limited", "requests_per_minute");
    EXPECT_EQ(refused.terminal->getValue<int>("retry_after_s"), 2);  // within the 1.5 s window

    // The connection stays usable, and another key is not affected.
    phone->sendJson(R"({"type":"ping"})");
    EXPECT_EQ(phone->receiveJson()->getValue<std::string>("type"), "pong");
    auto laptop = connect(host, kLaptopKey);
    EXPECT_EQ(laptop->chat("1 1").terminalType(), "complete");

    EXPECT_TRUE(completesWithin(*phone, "1 1", 5s));
}

TEST(KeyLimits, MaxConcurrentRequestsCountsRunningResponsesNotQueuedMessages) {
    HostProcess host(limitsConfig("max_concurrent_requests = 1\n"));
    auto busy = connect(host, kPhoneKey, std::string(kPath) + "?protocol=2");
    busy->sendMessage("1 1 30000");
    busy->readUntil([](const FramePtr& f) { return f->getValue<std::string>("type") == "user"; });
    // A message queued behind the running response of the same conversation is accepted.
    busy->sendMessage("1 1");
    busy->readUntil([](const FramePtr& f) {
        return f->getValue<std::string>("type") == "user" && f->getValue<int>("turn") == 2;
    });

    auto other = connect(host, kPhoneKey);
    const auto refused = other->chat("1 1");
    expectRefusal(refused.terminal, "rate_limited", "max_concurrent_requests");
    EXPECT_EQ(usageOf(host, kPhoneKey)->getObject("max_concurrent_requests")->getValue<int>("used"),
              1);

    busy->sendJson(R"({"type":"cancel"})");
    busy->readUntil([](const FramePtr& f) {
        return f->getValue<std::string>("type") == "complete" && f->getValue<int>("turn") == 2;
    });
    EXPECT_TRUE(completesWithin(*other, "1 1", 5s));
}

TEST(KeyLimits, AKeyAtItsTokenBudgetIsRefusedWhileAnotherKeepsWorking) {
    HostProcess host(limitsConfig("tokens_per_day = 100\n"));
    auto phone = connect(host, kPhoneKey);
    const auto reply = phone->chat("60 50");  // 110: over the budget after this one
    ASSERT_EQ(reply.terminalType(), "complete");

    const auto refused = phone->chat("1 1");
    expectRefusal(refused.terminal, "quota_exceeded", "tokens_per_day");
    EXPECT_LE(refused.terminal->getValue<int>("retry_after_s"), 86400);

    auto laptop = connect(host, kLaptopKey);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(laptop->chat("60 50").terminalType(), "complete");
    EXPECT_EQ(used(usageOf(host, kPhoneKey), "tokens_per_day"), 110u);
    EXPECT_EQ(used(usageOf(host, kLaptopKey), "tokens_per_day"), 330u);
}

TEST(KeyLimits, TheTokenBudgetFreesUpWhenTheDayTurns) {
    HostProcess host(limitsConfig("tokens_per_day = 100\n", {{"AGENTHOST_TEST_DAY_MS", "3000"}}));
    auto phone = connect(host, kPhoneKey);
    // Until a refusal: a day boundary may pass between the first answer and the next message.
    EXPECT_TRUE(waitUntil(
        [&] {
            return phone->chat("60 50").terminal->optValue<std::string>("code", "") ==
                   "quota_exceeded";
        },
        10s));
    EXPECT_TRUE(completesWithin(*phone, "1 1", 6s));
}

TEST(KeyLimits, TokensOfAResponseCountEvenWhenItsClientLeft) {
    HostProcess host(limitsConfig("tokens_per_day = 1000\n"));
    {
        auto leaving = connect(host, kPhoneKey);
        leaving->sendMessage("30 40 30000");
        // The host cancels a protocol 1 client's response when it leaves; the plugin reports
        // the usage of what it did before it finishes.
        EXPECT_TRUE(waitUntil(
            [&] {
                return usageOf(host, kPhoneKey)
                           ->getObject("max_concurrent_requests")
                           ->getValue<int>("used") == 1;
            },
            5s));
        leaving->close();
    }
    EXPECT_TRUE(
        waitUntil([&] { return used(usageOf(host, kPhoneKey), "tokens_per_day") == 70; }, 10s));
}

TEST(KeyLimits, TokenTotalsSurviveARestartWithTheSqliteStore) {
    HostProcess host(limitsConfig("tokens_per_day = 100\n", {}, "store = sqlite"));
    {
        auto phone = connect(host, kPhoneKey);
        ASSERT_EQ(phone->chat("60 50").terminalType(), "complete");
        auto laptop = connect(host, kLaptopKey);
        ASSERT_EQ(laptop->chat("5 6").terminalType(), "complete");
    }
    ASSERT_EQ(host.stop(), 0);
    host.restart();

    EXPECT_EQ(used(usageOf(host, kPhoneKey), "tokens_per_day"), 110u);
    EXPECT_EQ(used(usageOf(host, kLaptopKey), "tokens_per_day"), 11u);
    auto phone = connect(host, kPhoneKey);
    expectRefusal(phone->chat("1 1").terminal, "quota_exceeded", "tokens_per_day");
}

TEST(KeyLimits, UsageShowsTheKeysOwnLimitsUseAndResetTimes) {
    HostProcess host(
        limitsConfig("max_connections = 5\nrequests_per_minute = 10\nmax_concurrent_requests = 2\n"
                     "tokens_per_day = 1000\n"));
    EXPECT_EQ(host.get("/api/usage").status, 401);
    EXPECT_EQ(host.get("/api/usage", bearer("not-a-key")).status, 401);

    auto phone = connect(host, kPhoneKey);
    ASSERT_EQ(phone->chat("7 8").terminalType(), "complete");
    const auto usage = usageOf(host, kPhoneKey);
    EXPECT_EQ(usage->getValue<std::string>("key"), "phone");
    const auto connections = usage->getObject("max_connections");
    EXPECT_EQ(connections->getValue<int>("limit"), 5);
    EXPECT_EQ(connections->getValue<int>("used"), 1);
    const auto minute = usage->getObject("requests_per_minute");
    EXPECT_EQ(minute->getValue<int>("limit"), 10);
    EXPECT_EQ(minute->getValue<int>("used"), 1);
    EXPECT_EQ(minute->getValue<double>("window_s"), 60.0);
    EXPECT_TRUE(minute->getValue<std::string>("frees_at").ends_with("Z"));
    const auto concurrent = usage->getObject("max_concurrent_requests");
    EXPECT_EQ(concurrent->getValue<int>("limit"), 2);
    EXPECT_EQ(concurrent->getValue<int>("used"), 0);
    const auto day = usage->getObject("tokens_per_day");
    EXPECT_EQ(day->getValue<int>("limit"), 1000);
    EXPECT_EQ(day->getValue<int>("used"), 15);
    const std::string resetsAt = day->getValue<std::string>("resets_at");
    EXPECT_EQ(resetsAt.size(), 24u);
    EXPECT_TRUE(resetsAt.ends_with("T00:00:00.000Z")) << resetsAt;  // the next UTC midnight

    // A key without limits sees nulls, and nothing of another key's use.
    const auto laptop = usageOf(host, kLaptopKey);
    EXPECT_EQ(laptop->getValue<std::string>("key"), "laptop");
    EXPECT_TRUE(laptop->getObject("tokens_per_day")->isNull("limit"));
    EXPECT_TRUE(laptop->getObject("max_connections")->isNull("limit"));
    EXPECT_EQ(used(laptop, "tokens_per_day"), 0u);
}

TEST(KeyLimits, ReloadChangesALimitAndKeepsTheCounters) {
    HostProcess host(limitsConfig("requests_per_minute = 2\ntokens_per_day = 1000\n"));
    auto phone = connect(host, kPhoneKey);
    ASSERT_EQ(phone->chat("10 10").terminalType(), "complete");
    ASSERT_EQ(phone->chat("10 10").terminalType(), "complete");
    expectRefusal(phone->chat("1 1").terminal, "rate_limited", "requests_per_minute");

    host.writeConfig(limitsConfig("requests_per_minute = 3\ntokens_per_day = 1000\n"));
    host.signal(SIGHUP);
    ASSERT_TRUE(waitUntil(
        [&] {
            return usageOf(host, kPhoneKey)
                       ->getObject("requests_per_minute")
                       ->getValue<int>("limit") == 3;
        },
        10s));
    const auto usage = usageOf(host, kPhoneKey);
    EXPECT_EQ(used(usage, "requests_per_minute"), 2u);
    EXPECT_EQ(used(usage, "tokens_per_day"), 40u);

    EXPECT_EQ(phone->chat("1 1").terminalType(), "complete");  // the third of three
    expectRefusal(phone->chat("1 1").terminal, "rate_limited", "requests_per_minute");
    EXPECT_EQ(used(usageOf(host, kPhoneKey), "max_connections"), 1u);
}

}  // namespace
}  // namespace agenthost::test
