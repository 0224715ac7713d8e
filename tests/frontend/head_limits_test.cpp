// Malformed, oversized and slow request heads: each gets its exact status with a JSON error
// body, the connection is closed, and the server keeps serving everyone else.
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

struct BadHead {
    const char* name;
    std::string bytes;
    int status;
    const char* error;
};

std::string manyHeaders(int count) {
    std::string fields;
    for (int i = 0; i < count; ++i) fields += "X-F" + std::to_string(i) + ": v\r\n";
    return fields;
}

const std::vector<BadHead>& badHeads() {
    static const std::vector<BadHead> heads = {
        {"no_version", "GET /api/health\r\nHost: x\r\n\r\n", 400, "bad_request"},
        {"bad_method", "GE(T /api/health HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
        {"space_in_method", "G T /api/health HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
        {"header_without_colon", "GET /api/health HTTP/1.1\r\nHost x\r\n\r\n", 400, "bad_request"},
        {"obs_fold", "GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400,
         "bad_request"},
        {"obs_fold_tab", "GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n", 400,
         "bad_request"},
        {"duplicate_content_length",
         "GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
         400, "bad_request"},
        {"conflicting_content_length",
         "GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n",
         400, "bad_request"},
        {"transfer_encoding_then_content_length",
         "POST /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
         "Content-Length: 5\r\n\r\n",
         400, "bad_request"},
        {"content_length_then_transfer_encoding",
         "POST /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
         "Transfer-Encoding: gzip\r\n\r\n",
         400, "bad_request"},
        {"target_not_a_path", "GET api/health HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
        {"body", "POST /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 413,
         "body_not_accepted"},
        {"chunked_body",
         "POST /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 413,
         "body_not_accepted"},
        {"oversized_field",
         "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n",
         431, "headers_too_large"},
        {"oversized_target", "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
         431, "headers_too_large"},
        {"too_many_fields", "GET /api/health HTTP/1.1\r\nHost: x\r\n" + manyHeaders(150) + "\r\n",
         431, "headers_too_large"},
        {"http_2", "GET /api/health HTTP/2.0\r\nHost: x\r\n\r\n", 400, "bad_request"},
    };
    return heads;
}

class HeadLimits : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { host_ = new HostProcess(); }
    static void TearDownTestSuite() {
        delete host_;
        host_ = nullptr;
    }
    static HostProcess* host_;
};
HostProcess* HeadLimits::host_ = nullptr;

TEST_F(HeadLimits, EachBadHeadGetsItsStatusWithAJsonBodyAndTheServerKeepsServing) {
    for (const auto& bad : badHeads()) {
        SCOPED_TRACE(bad.name);
        RawHttp client(host_->port());
        client.send(bad.bytes);
        auto responses = client.read(1);
        ASSERT_EQ(responses.size(), 1u) << client.received();
        EXPECT_EQ(responses[0].status, bad.status);
        EXPECT_EQ(responses[0].headers["content-type"], "application/json");
        EXPECT_EQ(responses[0].headers["connection"], "close");
        auto body = parseJson(responses[0].body);
        EXPECT_EQ(body->getValue<std::string>("error"), bad.error);
        EXPECT_FALSE(body->getValue<std::string>("message").empty());
        EXPECT_TRUE(client.closedWithin(3s)) << "the connection stays open after a refusal";
        EXPECT_EQ(host_->get("/api/health").status, 200);
    }
}

TEST_F(HeadLimits, AHeadJustUnderTheLimitIsServed) {
    RawHttp client(host_->port());
    const std::string prefix = "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    client.send(prefix + std::string(16384 - prefix.size() - 200, 'a') + "\r\n\r\n");
    auto responses = client.read(1);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].status, 200);
}

TEST_F(HeadLimits, ABrokenUpgradeIsRefusedLikeAnyOtherHead) {
    RawHttp client(host_->port());
    client.send(
        "GET /api/echo/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "X-A: a\r\n b\r\n\r\n");
    auto responses = client.read(1);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].status, 400);
    EXPECT_TRUE(client.closedWithin(3s));
}

TEST(HeadTimeout, AHeadTricklingOneBytePerSecondIsClosedAtTheHeadTimeout) {
    HostConfig config;
    config.server["request_head_timeout_s"] = "2";
    HostProcess host(config);
    const std::string head = "GET /api/health HTTP/1.1\r\nHost: trickle\r\n\r\n";
    RawHttp client(host.port());
    const auto start = std::chrono::steady_clock::now();
    bool closed = false;
    for (char byte : head) {
        try {
            client.send(std::string(1, byte));
        } catch (const Poco::Exception&) {
            closed = true;  // reset after the server closed
            break;
        }
        if (client.closedWithin(1s)) {
            closed = true;
            break;
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(closed) << "the whole head trickled in and was served";
    EXPECT_GE(seconds, 1.9);
    EXPECT_LT(seconds, 3.5);
    auto responses = parseResponses(client.received());
    ASSERT_EQ(responses.size(), 1u) << client.received();
    EXPECT_EQ(responses[0].status, 408);
    EXPECT_EQ(parseJson(responses[0].body)->getValue<std::string>("error"), "request_timeout");
    EXPECT_EQ(host.get("/api/health").status, 200);
}

TEST(HeadTimeout, AConnectionThatSendsNothingIsClosedAtTheHeadTimeout) {
    HostConfig config;
    config.server["request_head_timeout_s"] = "1";
    HostProcess host(config);
    RawHttp client(host.port());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(client.closedWithin(4s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
}

}  // namespace
}  // namespace agenthost::test
