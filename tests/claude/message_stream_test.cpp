// The Messages API stream: text deltas, usage, stop reason, errors; with the recorded streams.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "MessageStream.h"

namespace agenthost::claude {
namespace {

std::string readData(const std::string& name) {
    std::ifstream in(std::string(CLAUDE_TEST_DATA) + "/" + name, std::ios::binary);
    if (!in) throw std::runtime_error("missing test data " + name);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string withCrLf(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

struct Outcome {
    std::vector<std::string> pieces;
    std::string text;
    std::vector<std::string> thinkingPieces;
    std::string thinking;
    int redactedBlocks = 0;
    TokenUsage usage;
    std::string stopReason;
    bool finished = false;
    std::optional<StreamError> error;
};

Outcome run(const std::string& bytes, const std::vector<std::size_t>& cuts = {}) {
    Outcome out;
    StreamSinks sinks;
    sinks.text = [&](std::string_view piece) {
        out.pieces.emplace_back(piece);
        out.text.append(piece);
    };
    sinks.thinking = [&](std::string_view piece) {
        out.thinkingPieces.emplace_back(piece);
        out.thinking.append(piece);
    };
    sinks.redactedThinking = [&] { ++out.redactedBlocks; };
    MessageStream stream(std::move(sinks));
    std::size_t at = 0;
    for (std::size_t cut : cuts) {
        stream.feed(std::string_view(bytes).substr(at, cut - at));
        at = cut;
    }
    stream.feed(std::string_view(bytes).substr(at));
    out.usage = stream.usage();
    out.stopReason = stream.stopReason();
    out.finished = stream.finished();
    out.error = stream.error();
    return out;
}

std::vector<std::size_t> everyByte(const std::string& bytes) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < bytes.size(); ++i) cuts.push_back(i);
    return cuts;
}

void expectExample(const Outcome& o) {
    EXPECT_EQ(o.pieces, (std::vector<std::string>{"Hello", "!"}));
    EXPECT_EQ(o.usage.inputTokens, 25u);
    EXPECT_EQ(o.usage.outputTokens, 15u);
    EXPECT_EQ(o.stopReason, "end_turn");
    EXPECT_TRUE(o.finished);
    EXPECT_FALSE(o.error);
}

void expectRecorded(const Outcome& o) {
    // The recording has spaces before closing braces; they are just JSON whitespace.
    EXPECT_EQ(o.pieces, (std::vector<std::string>{"[", "12", "345,", "67890]"}));
    EXPECT_EQ(o.text, "[12345,67890]");
    EXPECT_EQ(o.usage.inputTokens, 135u);
    EXPECT_EQ(o.usage.outputTokens, 10u);
    EXPECT_EQ(o.stopReason, "end_turn");
    EXPECT_TRUE(o.finished);
    EXPECT_FALSE(o.error);
}

TEST(MessageStream, ReadsTheDocumentedExample) {
    const std::string bytes = readData("anthropic-stream-example.txt");
    expectExample(run(bytes));
    expectExample(run(bytes, everyByte(bytes)));
    expectExample(run(withCrLf(bytes), everyByte(withCrLf(bytes))));
}

void expectThinking(const Outcome& o) {
    EXPECT_EQ(
        o.thinkingPieces,
        (std::vector<std::string>{
            "I need the GCD of 1071 and 462, by Euclid's algorithm.\n\n1071 = 2 \xC3\x97 462 + 147",
            "\n462 = 3 \xC3\x97 147 + 21\n147 = 7 \xC3\x97 21 + 0 \xE2\x80\x94 so it is 21."}));
    EXPECT_EQ(o.pieces, (std::vector<std::string>{"The greatest common divisor of 1071 and 462 is ",
                                                  "**21**."}));
    EXPECT_EQ(o.redactedBlocks, 0);
    EXPECT_EQ(o.usage.inputTokens, 52u);
    EXPECT_EQ(o.usage.outputTokens, 187u);
    EXPECT_EQ(o.stopReason, "end_turn");
    EXPECT_TRUE(o.finished);
    EXPECT_FALSE(o.error);
}

// The documented shape of a response with extended thinking: the signature is not shown.
TEST(MessageStream, ReadsThinkingBeforeTheAnswerByteByByte) {
    const std::string bytes = readData("anthropic-stream-thinking.txt");
    expectThinking(run(bytes));
    expectThinking(run(bytes, everyByte(bytes)));
    expectThinking(run(withCrLf(bytes), everyByte(withCrLf(bytes))));
}

TEST(MessageStream, ReadsTheRecordedStream) {
    const std::string bytes = readData("anthropic-stream-recorded.txt");
    expectRecorded(run(bytes));
    expectRecorded(run(bytes, everyByte(bytes)));
    expectRecorded(run(withCrLf(bytes), everyByte(withCrLf(bytes))));
}

TEST(MessageStream, RandomSplitsOfBothRecordingsGiveTheSameResult) {
    std::mt19937 random(42);
    for (const char* name : {"anthropic-stream-example.txt", "anthropic-stream-recorded.txt",
                             "anthropic-stream-thinking.txt"}) {
        for (const std::string& bytes : {readData(name), withCrLf(readData(name))}) {
            const Outcome whole = run(bytes);
            for (int round = 0; round < 200; ++round) {
                std::vector<std::size_t> cuts;
                for (std::size_t i = 1; i < bytes.size(); ++i)
                    if (random() % 7 == 0) cuts.push_back(i);
                const Outcome split = run(bytes, cuts);
                EXPECT_EQ(split.pieces, whole.pieces) << name << " round " << round;
                EXPECT_EQ(split.thinkingPieces, whole.thinkingPieces) << name << " round " << round;
                EXPECT_EQ(split.usage.outputTokens, whole.usage.outputTokens);
                EXPECT_TRUE(split.finished);
            }
        }
    }
}

std::string event(const std::string& type, const std::string& data) {
    return "event: " + type + "\ndata: " + data + "\n\n";
}

std::string textDelta(const std::string& jsonText) {
    return event("content_block_delta",
                 R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":)" +
                     jsonText + "}}");
}

TEST(MessageStream, Utf8SplitAcrossReadsArrivesWhole) {
    const std::string bytes = textDelta("\"h\xC3\xA9llo \xF0\x9F\x98\x80\"") +
                              textDelta(R"("\u00e9\ud83d\ude00")") +
                              event("message_stop", R"({"type":"message_stop"})");
    const Outcome o = run(bytes, everyByte(bytes));
    EXPECT_EQ(o.pieces, (std::vector<std::string>{"h\xC3\xA9llo \xF0\x9F\x98\x80",
                                                  "\xC3\xA9\xF0\x9F\x98\x80"}));
    EXPECT_TRUE(o.finished);
}

TEST(MessageStream, OnlyTextDeltasReachTheClient) {
    const std::string bytes =
        event(
            "content_block_start",
            R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})") +
        event(
            "content_block_delta",
            R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}})") +
        event(
            "content_block_delta",
            R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}})") +
        event(
            "content_block_delta",
            R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}})") +
        textDelta(R"("answer")") + event("message_stop", R"({"type":"message_stop"})");
    const Outcome o = run(bytes);
    EXPECT_EQ(o.text, "answer");
    EXPECT_TRUE(o.finished);
}

std::string blockStart(int index, const std::string& blockJson) {
    return event("content_block_start", R"({"type":"content_block_start","index":)" +
                                            std::to_string(index) + R"(,"content_block":)" +
                                            blockJson + "}");
}

std::string thinkingDelta(int index, const std::string& jsonText) {
    return event("content_block_delta",
                 R"({"type":"content_block_delta","index":)" + std::to_string(index) +
                     R"(,"delta":{"type":"thinking_delta","thinking":)" + jsonText + "}}");
}

// With tools, thinking blocks may come between text blocks (interleaved thinking).
TEST(MessageStream, SeparatesThinkingBlocksAndCountsRedactedOnes) {
    const std::string bytes =
        blockStart(0, R"({"type":"thinking","thinking":""})") + thinkingDelta(0, R"("first")") +
        blockStart(1, R"({"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4a"})") +
        blockStart(2, R"({"type":"text","text":""})") + textDelta(R"("answer")") +
        blockStart(3, R"({"type":"thinking","thinking":""})") + thinkingDelta(3, R"("second")") +
        event("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"refusal"}})") +
        event("message_stop", R"({"type":"message_stop"})");
    const Outcome o = run(bytes, everyByte(bytes));
    EXPECT_EQ(o.thinkingPieces, (std::vector<std::string>{"first", "\n\nsecond"}));
    EXPECT_EQ(o.text, "answer");
    EXPECT_EQ(o.redactedBlocks, 1);
    EXPECT_EQ(o.stopReason, "refusal");
    EXPECT_TRUE(o.finished);
}

TEST(MessageStream, IgnoresUnknownEventsAndPings) {
    const std::string bytes = event("future_event", "not even json") +
                              event("ping", R"({"type": "ping"})") + textDelta(R"("ok")") +
                              event("message_stop", R"({"type":"message_stop"})");
    const Outcome o = run(bytes);
    EXPECT_EQ(o.text, "ok");
    EXPECT_TRUE(o.finished);
    EXPECT_FALSE(o.error);
}

TEST(MessageStream, TypesAnEventWithoutEventLineByItsData) {
    const Outcome o = run(
        "data: "
        "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n"
        "data: {\"type\":\"message_stop\"}\n\n");
    EXPECT_EQ(o.text, "x");
    EXPECT_TRUE(o.finished);
}

TEST(MessageStream, ReportsAnErrorEventAfterTheStart) {
    const std::string bytes =
        textDelta(R"("partial")") +
        event(
            "error",
            R"({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}  })") +
        textDelta(R"("ignored")");
    const Outcome o = run(bytes, everyByte(bytes));
    EXPECT_EQ(o.text, "partial");
    ASSERT_TRUE(o.error);
    EXPECT_EQ(o.error->type, "overloaded_error");
    EXPECT_EQ(o.error->message, "Overloaded");
    EXPECT_FALSE(o.finished);
}

TEST(MessageStream, ReportsUnreadableKnownEvents) {
    const Outcome o = run(event("content_block_delta", "{\"type\": broken"));
    ASSERT_TRUE(o.error);
    EXPECT_EQ(o.error->type, "malformed_stream");
}

TEST(MessageStream, UsageFromMessageStartAndCumulativeMessageDelta) {
    const Outcome o = run(
        event(
            "message_start",
            R"({"type":"message_start","message":{"usage":{"input_tokens":7,"output_tokens":1}}})") +
        event(
            "message_delta",
            R"({"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":3}})") +
        event("message_delta",
              R"({"type":"message_delta","delta":{},"usage":{"output_tokens":9}})") +
        event("message_stop", R"({"type":"message_stop"})"));
    EXPECT_EQ(o.usage.inputTokens, 7u);
    EXPECT_EQ(o.usage.outputTokens, 9u);
    EXPECT_EQ(o.stopReason, "max_tokens");
}

}  // namespace
}  // namespace agenthost::claude

namespace agenthost::claude {
namespace {

TEST(MessageStreamContent, RebuildsTheBlocksWithSignaturesAndReportsUnknownTypes) {
    std::vector<std::string> unknown;
    StreamSinks sinks;
    sinks.unknown = [&](const std::string& what) { unknown.push_back(what); };
    MessageStream stream(sinks);
    stream.feed(readData("anthropic-stream-thinking.txt"));
    ASSERT_TRUE(stream.finished());
    const auto blocks = stream.content().blocks();
    ASSERT_GE(blocks->size(), 2u);
    const auto thinking = blocks->getObject(0);
    EXPECT_EQ(thinking->getValue<std::string>("type"), "thinking");
    EXPECT_EQ(thinking->getValue<std::string>("signature").rfind("EqQBCgIYAhIM", 0), 0u);
    EXPECT_NE(thinking->getValue<std::string>("thinking").find("so it is 21."), std::string::npos);
    EXPECT_FALSE(stream.content().onlyText());
    EXPECT_TRUE(unknown.empty());

    MessageStream future(sinks);
    future.feed(
        "event: surprise\ndata: {\"type\":\"surprise\"}\n\n"
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
        "\"content_block\":{\"type\":\"hologram\",\"x\":1}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"hologram_delta\"}}\n\n"
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    EXPECT_TRUE(future.finished());
    EXPECT_EQ(unknown, (std::vector<std::string>{"event surprise", "content block hologram",
                                                 "delta hologram_delta"}));
    EXPECT_EQ(future.content().blocks()->getObject(0)->getValue<int>("x"), 1);  // kept whole
}

TEST(MessageStreamContent, ReadsThePromptCacheCounts) {
    MessageStream stream([](std::string_view) {});
    stream.feed(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
        "{\"input_tokens\":3,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":"
        "2000,\"output_tokens\":1}}}\n\n");
    EXPECT_TRUE(stream.usage().hasCache);
    EXPECT_EQ(stream.usage().inputTokens, 3u);
    EXPECT_EQ(stream.usage().cacheCreationInputTokens, 100u);
    EXPECT_EQ(stream.usage().cacheReadInputTokens, 2000u);
}

}  // namespace
}  // namespace agenthost::claude
