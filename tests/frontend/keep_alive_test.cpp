// HTTP/1.1 keep-alive and pipelining for plain requests, the idle timeout between requests,
// and an upgrade whose first WebSocket frame arrives in the same packet as its head.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "RawHttp.h"
#include "support/HostProcess.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

std::string get(const std::string& path, const std::string& extra = "") {
    return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n";
}

TEST(KeepAlive, SeveralRequestsOnOneConnection) {
    HostProcess host;
    RawHttp client(host.port());
    for (const char* path : {"/api/health", "/api/status", "/api/health"}) {
        SCOPED_TRACE(path);
        client.send(get(path));
        auto responses = client.read(1);
        ASSERT_EQ(responses.size(), 1u);
        EXPECT_EQ(responses[0].status, 200);
        EXPECT_EQ(responses[0].headers["connection"], "keep-alive");
        EXPECT_FALSE(parseJson(responses[0].body)->getValue<std::string>("status").empty());
    }
}

// Found by fuzz_http_head (tests/unit/head_parser_test.cpp has the parser's side): a head
// whose first packet ended after the request line was refused with 400.
TEST(KeepAlive, AHeadSentInTwoPacketsIsAnswered) {
    HostProcess host;
    RawHttp client(host.port());
    client.socket().setNoDelay(true);
    client.send("GET /api/health HTTP/1.1\r\n");
    // Nothing to wait for: the server answers only a whole head. The pause lets it read the
    // request line on its own, as it does when a large head is split across TCP segments.
    std::this_thread::sleep_for(200ms);
    client.send("Host: x\r\nCookie: " + std::string(2000, 'c') + "\r\n\r\n");
    auto responses = client.read(1);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].status, 200) << responses[0].body;
}

TEST(KeepAlive, PipelinedRequestsAreAnsweredInOrder) {
    HostProcess host;
    RawHttp client(host.port());
    client.send("HEAD /api/health HTTP/1.1\r\nHost: x\r\n\r\n" + get("/api/status") +
                get("/api/health") + get("/api/echo/ws") + get("/api/health"));
    auto responses = client.read(4, 5s, 1);
    ASSERT_EQ(responses.size(), 4u) << client.received();
    EXPECT_EQ(responses[0].status, 200);
    EXPECT_TRUE(responses[0].body.empty()) << "HEAD has no body";
    EXPECT_NE(responses[0].headers["content-length"], "0");
    EXPECT_EQ(responses[1].status, 200);
    EXPECT_EQ(parseJson(responses[1].body)->getValue<std::string>("status"), "running");
    EXPECT_EQ(responses[2].status, 200);
    EXPECT_EQ(parseJson(responses[2].body)->getValue<std::string>("status"), "ok");
    EXPECT_EQ(responses[3].status, 426);  // a refusal closes: the last request is not answered
    EXPECT_TRUE(client.closedWithin(3s));
    EXPECT_EQ(parseResponses(client.received(), nullptr, 1).size(), 4u);
}

TEST(KeepAlive, AHundredPipelinedRequestsAreAllAnsweredInOrder) {
    HostProcess host;
    RawHttp client(host.port());
    std::string burst;
    for (int i = 0; i < 100; ++i) burst += get(i % 2 ? "/api/status" : "/api/health");
    client.send(burst);
    auto responses = client.read(100, 10s);
    ASSERT_EQ(responses.size(), 100u);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(responses[i].status, 200);
        EXPECT_EQ(parseJson(responses[i].body)->getValue<std::string>("status"),
                  i % 2 ? "running" : "ok");
    }
}

TEST(KeepAlive, AClientThatPipelinesFarMoreThanItReadsIsRefused) {
    HostProcess host;
    RawHttp client(host.port());
    std::string flood;
    for (int i = 0; i < 4000; ++i) flood += get("/api/health");  // about 150 kB
    client.send(flood);
    EXPECT_TRUE(client.closedWithin(10s));
    auto responses = parseResponses(client.received());
    ASSERT_FALSE(responses.empty());
    EXPECT_LT(responses.size(), 4000u);
    EXPECT_EQ(responses.back().status, 429);
    EXPECT_EQ(parseJson(responses.back().body)->getValue<std::string>("error"),
              "too_many_requests");
    EXPECT_EQ(host.get("/api/health").status, 200);
}

TEST(KeepAlive, ConnectionCloseIsHonoured) {
    HostProcess host;
    RawHttp client(host.port());
    client.send(get("/api/health", "Connection: close\r\n") + get("/api/health"));
    auto responses = client.read(1);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].headers["connection"], "close");
    EXPECT_TRUE(client.closedWithin(3s));
    EXPECT_EQ(parseResponses(client.received()).size(), 1u);
}

TEST(KeepAlive, Http10ClosesAfterTheResponse) {
    HostProcess host;
    RawHttp client(host.port());
    client.send("GET /api/health HTTP/1.0\r\n\r\n");
    auto responses = client.read(1);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].status, 200);
    EXPECT_TRUE(client.closedWithin(3s));
}

TEST(KeepAlive, AnIdleConnectionIsClosedAfterTheKeepAliveTimeout) {
    HostConfig config;
    config.server["keep_alive_timeout_s"] = "1";
    HostProcess host(config);
    RawHttp client(host.port());
    client.send(get("/api/health"));
    ASSERT_EQ(client.read(1).size(), 1u);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(client.closedWithin(4s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
    EXPECT_EQ(parseResponses(client.received()).size(), 1u) << "no answer to an idle connection";
}

TEST(Upgrade, FramesSentWithTheHeadAreRead) {
    HostProcess host;
    RawHttp client(host.port());
    client.send(
        "GET /api/echo/ws?protocol=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" +
        maskedTextFrame(kTestKey));
    auto responses = client.read(1);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].status, 101);
    EXPECT_EQ(responses[0].headers["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    // The key frame was read from the same packet: the ready frame follows.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (client.received().find("\"ready\"") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
        client.closedWithin(100ms);
    EXPECT_NE(client.received().find("\"ready\""), std::string::npos) << client.received();
}

}  // namespace
}  // namespace agenthost::test
