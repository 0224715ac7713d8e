// HeadParser on heads that arrive in pieces: a head reads the same however the network splits
// it (the property fuzz_http_head checks; these are the inputs it found).
#include <gtest/gtest.h>

#include <string>

#include "http/HeadParser.h"

namespace agenthost::http {
namespace {

// Feeds the growing prefixes `bytes[0, cut)` for each cut, then all of it, as the front end
// does with what it has received so far.
HeadResult parseInPieces(const std::string& bytes, std::initializer_list<std::size_t> cuts) {
    HeadParser parser(HeadLimits{});
    for (std::size_t cut : cuts) {
        HeadResult result = parser.parse(std::string_view(bytes).substr(0, cut));
        if (result.state != HeadResult::State::NeedMore) return result;
    }
    return parser.parse(bytes);
}

// Found by fuzz_http_head: when a read ended after a whole request line but inside the fields,
// Beast had consumed the request line, and the next call handed it to Beast again, which read
// it as a field: 400 "bad field" for a valid request.
TEST(HeadParser, AHeadSplitAfterItsRequestLineIsRead) {
    const std::string head = "GET /metrics?x=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    const HeadResult result = parseInPieces(head, {27});
    ASSERT_EQ(result.state, HeadResult::State::Done) << result.refusal.body;
    EXPECT_EQ(result.consumed, head.size());
    EXPECT_EQ(result.head.target, "/metrics?x=1");
    EXPECT_EQ(result.head.request.path, "/metrics");
    EXPECT_EQ(result.head.request.query, "x=1");
    EXPECT_TRUE(result.head.keepAlive);
}

TEST(HeadParser, AHeadInManyPiecesReadsAsWhole) {
    const std::string head =
        "GET /api/echo/ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    const std::string next = "GET /api/health HTTP/1.1\r\n";
    const std::string bytes = head + next;
    const HeadResult result = parseInPieces(bytes, {1, 18, 26, 27, 40, 45, 80, 120});
    ASSERT_EQ(result.state, HeadResult::State::Done) << result.refusal.body;
    EXPECT_EQ(result.consumed, head.size());
    EXPECT_TRUE(result.head.upgrade);
    EXPECT_EQ(result.head.request.header("Sec-WebSocket-Version"), "13");
}

TEST(HeadParser, ObsoleteFoldingIsRefusedAfterASplitToo) {
    const std::string head = "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n";
    const HeadResult result = parseInPieces(head, {16, 25});
    ASSERT_EQ(result.state, HeadResult::State::Refused);
    EXPECT_EQ(result.refusal.status, 400);
}

TEST(HeadParser, TheLimitCountsTheWholeHeadAcrossPieces) {
    const std::string head = "GET / HTTP/1.1\r\nX-A: " + std::string(3000, 'a') + "\r\n\r\n";
    HeadParser parser(HeadLimits{2048, 100});
    EXPECT_EQ(parser.parse(std::string_view(head).substr(0, 16)).state,
              HeadResult::State::NeedMore);
    const HeadResult result = parser.parse(head);
    ASSERT_EQ(result.state, HeadResult::State::Refused);
    EXPECT_EQ(result.refusal.status, 431);
}

}  // namespace
}  // namespace agenthost::http
