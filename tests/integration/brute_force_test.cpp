// Brute-force protection: failed authentications are counted per client address; past
// auth_failures_per_minute that address gets 429 on upgrades and Bearer requests and
// `error:rate_limited` for key frames, for auth_cooldown_s, logged once per episode without
// the key, while clients from other addresses go on. The "attacker" connects from 127.0.0.2,
// the honest client from 127.0.0.1 (Linux routes all of 127.0.0.0/8 to loopback).
#include <Poco/Net/NetException.h>

#include <string>

#include "Helpers.h"
#include "support/Http.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAttacker = "127.0.0.2";
constexpr const char* kHonest = "127.0.0.1";
constexpr const char* kWrongKey = "guessed-key-0000000001";
constexpr const char* kAdminKey = "admin-key-0123456789";

HostConfig throttledConfig(int failuresPerMinute, int cooldownS) {
    HostConfig config =
        echoConfig("", "[key.admin]\nsecret = " + std::string(kAdminKey) + "\nadmin = true\n");
    config.server["auth_failures_per_minute"] = std::to_string(failuresPerMinute);
    config.server["auth_cooldown_s"] = std::to_string(cooldownS);
    return config;
}

// A key frame with a wrong key from `source`: refused as before the throttle.
void failKeyFrame(const HostProcess& host, const std::string& source) {
    WsClient client(host.port(), "/api/echo/ws", {}, source);
    client.sendText(kWrongKey);
    EXPECT_EQ(client.receiveText(), "error:invalid_api_key");
    EXPECT_EQ(client.waitForClose(), 1008);
}

void expectRateLimited(const HttpResult& answer, int cooldownS) {
    EXPECT_EQ(answer.status, 429) << answer.body;
    const int retryAfter = std::atoi(answer.header("Retry-After").c_str());
    EXPECT_GE(retryAfter, 1);
    EXPECT_LE(retryAfter, cooldownS);
    const auto body = parseJson(answer.body);
    EXPECT_EQ(body->getValue<std::string>("error"), "rate_limited");
    EXPECT_EQ(body->getValue<int>("retry_after_s"), retryAfter);
}

std::size_t occurrences(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
    return count;
}

const std::string kEpisodeLine = "authentication from 127.0.0.2 refused for ";

TEST(BruteForce, OneAddressIsThrottledWhileAnotherAuthenticates) {
    HostProcess host(throttledConfig(3, 60));
    // A keyless connection opened before the cool-down: its key frame comes during it.
    WsClient early(host.port(), "/api/echo/ws", {}, kAttacker);
    for (int i = 0; i < 3; ++i) failKeyFrame(host, kAttacker);

    // The attacker's address: every way in is refused, the right key included.
    expectRateLimited(upgradeAttempt(host.port(), "/api/echo/ws", {}, kAttacker), 60);
    expectRateLimited(
        upgradeAttempt(host.port(), "/api/echo/ws",
                       {{"Authorization", "Bearer " + std::string(kTestKey)}}, kAttacker),
        60);
    early.sendText(kTestKey);
    EXPECT_EQ(early.receiveText(), "error:rate_limited");
    EXPECT_EQ(early.waitForClose(), 1008);

    // Another address is not affected, by key frame or by Bearer.
    WsClient honest(host.port(), "/api/echo/ws", {}, kHonest);
    honest.authenticate(kTestKey);
    EXPECT_EQ(honest.chat("still here").text, "still here");
    WsClient bearer(host.port(), "/api/echo/ws",
                    {{"Authorization", "Bearer " + std::string(kTestKey)}});
    bearer.awaitReady();

    // One log line for the episode, naming the address; no key anywhere in the log.
    ASSERT_TRUE(host.waitForOutput(kEpisodeLine));
    EXPECT_EQ(occurrences(host.output(), kEpisodeLine), 1u) << host.output();
    EXPECT_EQ(host.output().find(kWrongKey), std::string::npos) << host.output();
    EXPECT_EQ(host.output().find(kTestKey), std::string::npos) << host.output();
}

TEST(BruteForce, TheThrottleEndsAfterTheCooldownAndEachEpisodeIsLoggedOnce) {
    HostProcess host(throttledConfig(2, 1));
    for (int episode = 1; episode <= 2; ++episode) {
        SCOPED_TRACE(episode);
        for (int i = 0; i < 2; ++i) failKeyFrame(host, kAttacker);
        expectRateLimited(upgradeAttempt(host.port(), "/api/echo/ws", {}, kAttacker), 1);
        ASSERT_TRUE(waitUntil([&] {
            return occurrences(host.output(), kEpisodeLine) == static_cast<std::size_t>(episode);
        }));
        // After the cool-down the address authenticates again.
        ASSERT_TRUE(waitUntil(
            [&] {
                return upgradeAttempt(host.port(), "/api/echo/ws",
                                      {{"Authorization", "Bearer " + std::string(kTestKey)}},
                                      kAttacker)
                           .status == 101;
            },
            5s));
        WsClient client(host.port(), "/api/echo/ws", {}, kAttacker);
        client.authenticate(kTestKey);
    }
    EXPECT_EQ(occurrences(host.output(), kEpisodeLine), 2u) << host.output();
}

TEST(BruteForce, BearerFailuresOverHttpCountTooAndAreRefusedDuringTheCooldown) {
    HostProcess host(throttledConfig(3, 60));
    const auto wrong = bearer(kWrongKey);
    // One failure each way: a Bearer upgrade, the conversations API, /api/status?detail=full.
    EXPECT_EQ(upgradeAttempt(host.port(), "/api/echo/ws", wrong, kAttacker).status, 401);
    EXPECT_EQ(httpRequest(host.port(), "GET", "/api/conversations", wrong, "", kAttacker).status,
              401);
    EXPECT_EQ(
        httpRequest(host.port(), "GET", "/api/status?detail=full", wrong, "", kAttacker).status,
        403);
    expectRateLimited(
        httpRequest(host.port(), "GET", "/api/conversations", bearer(kTestKey), "", kAttacker), 60);
    expectRateLimited(httpRequest(host.port(), "GET", "/api/status?detail=full", bearer(kAdminKey),
                                  "", kAttacker),
                      60);
    // Requests that present no key are not refused.
    EXPECT_EQ(httpRequest(host.port(), "GET", "/api/status", {}, "", kAttacker).status, 200);
    // The other address keeps its access.
    EXPECT_EQ(
        httpRequest(host.port(), "GET", "/api/conversations", bearer(kTestKey), "", kHonest).status,
        200);
    EXPECT_EQ(
        httpRequest(host.port(), "GET", "/api/status?detail=full", bearer(kAdminKey), "", kHonest)
            .status,
        200);
    EXPECT_EQ(host.output().find(kWrongKey), std::string::npos) << host.output();
}

TEST(BruteForce, FailuresBelowTheThresholdAndValidKeysNeverThrottle) {
    HostProcess host(throttledConfig(3, 60));
    for (int i = 0; i < 2; ++i) failKeyFrame(host, kAttacker);
    for (int i = 0; i < 5; ++i) {  // right keys and forbidden routes are no failures
        WsClient client(host.port(), "/api/echo/ws", {}, kAttacker);
        client.authenticate(kTestKey);
    }
    EXPECT_EQ(upgradeAttempt(host.port(), "/api/echo/ws", bearer(kTestKey), kAttacker).status, 101);
    EXPECT_EQ(host.output().find(kEpisodeLine), std::string::npos) << host.output();
}

}  // namespace
}  // namespace agenthost::test
