// The event-stream grammar, whatever the network does to the bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "SseParser.h"

namespace agenthost::claude {
namespace {

std::vector<SseEvent> parseInPieces(const std::string& bytes,
                                    const std::vector<std::size_t>& cuts) {
    SseParser parser;
    std::vector<SseEvent> events;
    std::size_t at = 0;
    for (std::size_t cut : cuts) {
        parser.feed(std::string_view(bytes).substr(at, cut - at),
                    [&](const SseEvent& e) { events.push_back(e); });
        at = cut;
    }
    parser.feed(std::string_view(bytes).substr(at),
                [&](const SseEvent& e) { events.push_back(e); });
    return events;
}

std::vector<SseEvent> parseWhole(const std::string& bytes) {
    return parseInPieces(bytes, {});
}

std::vector<SseEvent> parseByteByByte(const std::string& bytes) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < bytes.size(); ++i) cuts.push_back(i);
    return parseInPieces(bytes, cuts);
}

TEST(SseParser, DispatchesOnBlankLineWithTypeAndData) {
    auto events = parseWhole("event: ping\ndata: {\"type\": \"ping\"}\n\n");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "ping");
    EXPECT_EQ(events[0].data, "{\"type\": \"ping\"}");
}

TEST(SseParser, WaitsForTheBlankLineBeforeDispatching) {
    EXPECT_TRUE(parseWhole("event: ping\ndata: {}\n").empty());
    EXPECT_TRUE(parseWhole("event: ping\ndata: {}").empty());
}

TEST(SseParser, AcceptsCrLfAndLoneCrLineEnds) {
    const std::vector<SseEvent> expected = {{"a", "1"}, {"b", "2"}};
    EXPECT_EQ(parseWhole("event: a\r\ndata: 1\r\n\r\nevent: b\r\ndata: 2\r\n\r\n"), expected);
    EXPECT_EQ(parseWhole("event: a\rdata: 1\r\revent: b\rdata: 2\r\r"), expected);
    EXPECT_EQ(parseByteByByte("event: a\r\ndata: 1\r\n\r\nevent: b\r\ndata: 2\r\n\r\n"), expected);
}

TEST(SseParser, CrLfSplitAcrossReadsIsOneLineEnd) {
    // If "\r" and "\n" were two line ends, the blank line would dispatch too early.
    const std::string bytes = "event: a\r\ndata: 1\r\ndata: 2\r\n\r\n";
    for (std::size_t i = 1; i < bytes.size(); ++i) {
        auto events = parseInPieces(bytes, {i});
        ASSERT_EQ(events.size(), 1u) << "cut at " << i;
        EXPECT_EQ(events[0].data, "1\n2") << "cut at " << i;
    }
}

TEST(SseParser, JoinsDataLinesAndStripsOneSpace) {
    auto events = parseWhole("data:no-space\ndata:  two-spaces\n\n");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "message");
    EXPECT_EQ(events[0].data, "no-space\n two-spaces");
}

TEST(SseParser, IgnoresCommentsIdRetryAndEventsWithoutData) {
    auto events =
        parseWhole(": keepalive\n\nevent: lonely\n\nid: 7\nretry: 10\nevent: x\ndata: y\n\n");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "x");
    EXPECT_EQ(events[0].data, "y");
}

TEST(SseParser, EventTypeDoesNotLeakIntoTheNextEvent) {
    auto events = parseWhole("event: first\ndata: 1\n\ndata: 2\n\n");
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].type, "message");
}

TEST(SseParser, KeepsUtf8SplitInsideALineIntact) {
    const std::string bytes = "data: h\xC3\xA9llo \xF0\x9F\x98\x80\n\n";
    auto events = parseByteByByte(bytes);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].data, "h\xC3\xA9llo \xF0\x9F\x98\x80");
}

TEST(SseParser, RandomSplitsGiveTheSameEvents) {
    const std::string bytes =
        "event: a\r\ndata: {\"x\": 1}\r\n\r\n: comment\r\nevent: b\ndata: 2\ndata: 3\n\n"
        "event: c\rdata: \xE2\x82\xAC\r\r";
    const auto expected = parseWhole(bytes);
    ASSERT_EQ(expected.size(), 3u);
    std::mt19937 random(1234);
    for (int round = 0; round < 500; ++round) {
        std::vector<std::size_t> cuts;
        for (std::size_t i = 1; i < bytes.size(); ++i)
            if (random() % 4 == 0) cuts.push_back(i);
        EXPECT_EQ(parseInPieces(bytes, cuts), expected) << "round " << round;
    }
}

// The documented stream with extended thinking: 13 events, the same however it is split.
TEST(SseParser, ReadsTheThinkingStreamByteByByte) {
    std::ifstream in(std::string(CLAUDE_TEST_DATA) + "/anthropic-stream-thinking.txt",
                     std::ios::binary);
    ASSERT_TRUE(in);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const auto whole = parseWhole(bytes);
    ASSERT_EQ(whole.size(), 13u);
    EXPECT_EQ(whole[2].type, "content_block_delta");
    EXPECT_NE(whole[2].data.find("\"thinking_delta\""), std::string::npos);
    EXPECT_NE(whole[2].data.find("2 \xC3\x97 462"), std::string::npos);
    EXPECT_EQ(whole[5].type, "content_block_delta");
    EXPECT_NE(whole[5].data.find("\"signature_delta\""), std::string::npos);
    EXPECT_EQ(whole[12].type, "message_stop");
    EXPECT_EQ(parseByteByByte(bytes), whole);
}

TEST(SseParser, RefusesAnEndlessLine) {
    SseParser parser;
    const std::string chunk(1024 * 1024, 'x');
    EXPECT_THROW(
        {
            for (int i = 0; i < 9; ++i) parser.feed(chunk, [](const SseEvent&) {});
        },
        std::length_error);
}

}  // namespace
}  // namespace agenthost::claude
