// Client messages and the frames that answer them: both message forms, timestamps, chunking
// by code points, pacing, ping, and invalid input that must not cost the connection.
#include <string>
#include <vector>

#include "Helpers.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

// Code points in well-formed UTF-8: every byte that is not a continuation byte starts one.
std::size_t codePoints(const std::string& text) {
    std::size_t count = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80) ++count;
    return count;
}

// True when no chunk starts with a continuation byte or ends inside a sequence.
bool isWholeUtf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t length = lead < 0x80           ? 1
                                   : (lead >> 5) == 0x6  ? 2
                                   : (lead >> 4) == 0xE  ? 3
                                   : (lead >> 3) == 0x1E ? 4
                                                         : 0;
        if (length == 0 || i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
        i += length;
    }
    return true;
}

HostConfig streamingConfig(const std::string& streaming) {
    return echoConfig("", "[streaming]\n" + streaming + "\n");
}

TEST(Messages, BothMessageFormsAreAnswered) {
    HostProcess host;
    auto client = connectAuthenticated(host);
    expectEcho(*client, "plain form");
    client->sendJson(R"({"type":"message","content":"typed form"})");
    auto reply = client->readReply();
    EXPECT_EQ(reply.text, "typed form");
    EXPECT_EQ(reply.terminalType(), "complete");
}

TEST(Messages, EveryFrameCarriesATimestampAndCompleteSaysSo) {
    HostProcess host;
    auto client = connectAuthenticated(host);
    auto reply = client->chat("stamp me");
    ASSERT_GE(reply.frames.size(), 2u);
    for (const auto& frame : reply.frames) expectTimestamp(frame);
    EXPECT_EQ(typeOf(reply.frames.front()), "message");
    EXPECT_EQ(reply.terminal->getValue<std::string>("content"), "Response complete");
    client->sendJson("{oops");
    expectTimestamp(client->receiveJson());
}

TEST(Messages, ChunksHoldAtMostChunkCharsCodePointsAndNeverSplitUtf8) {
    HostProcess host(streamingConfig("chunk_chars = 5"));
    auto client = connectAuthenticated(host);
    const std::string text = "héllo wörld 😀 ünïcödé";  // 22 code points, 30 bytes
    auto reply = client->chat(text);
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.terminal->getValue<std::string>("content"), "Response complete");
    EXPECT_EQ(reply.text, text);
    std::size_t chunks = 0;
    for (const auto& frame : reply.frames) {
        if (typeOf(frame) != "message") continue;
        const auto chunk = frame->getValue<std::string>("content");
        EXPECT_TRUE(isWholeUtf8(chunk)) << "split UTF-8 sequence in chunk " << chunks;
        EXPECT_GE(codePoints(chunk), 1u);
        EXPECT_LE(codePoints(chunk), 5u) << chunk;
        ++chunks;
    }
    EXPECT_GE(chunks, (codePoints(text) + 4) / 5);
}

TEST(Messages, ChunkDelaySpacesTheFrames) {
    HostProcess host(streamingConfig("chunk_chars = 5\nchunk_delay_ms = 50"));
    auto client = connectAuthenticated(host);
    // Lower bounds from the send time hold however late this thread reads: frame i (the
    // complete frame is i = 4) cannot arrive before i pauses of 50 ms have passed.
    const auto sent = std::chrono::steady_clock::now();
    client->sendMessage("abcdefghijklmnopqrst");  // 4 chunks of 5
    std::string joined;
    for (int i = 0;; ++i) {
        auto frame = client->receiveJson();
        EXPECT_GE(std::chrono::steady_clock::now() - sent, i * 45ms) << "frame " << i << " early";
        if (typeOf(frame) != "message") {
            EXPECT_EQ(typeOf(frame), "complete");
            EXPECT_EQ(i, 4) << "expected 4 chunks of 5 code points";
            break;
        }
        joined += frame->getValue<std::string>("content");
    }
    EXPECT_EQ(joined, "abcdefghijklmnopqrst");
}

TEST(Messages, PingIsAnsweredWithPong) {
    HostProcess host;
    auto client = connectAuthenticated(host);
    client->sendJson(R"({"type":"ping"})");
    auto pong = client->receiveJson();
    EXPECT_EQ(typeOf(pong), "pong");
    expectTimestamp(pong);
    expectEcho(*client, "after ping");
}

TEST(Messages, InvalidFramesGetInvalidMessageAndTheSessionGoesOn) {
    HostProcess host;
    auto client = connectAuthenticated(host);
    const std::vector<std::string> invalid = {
        "{not json",                          // invalid JSON
        "[1,2,3]",                            // not an object
        "\"just a string\"",                  // not an object
        "{}",                                 // no content
        R"({"type":"message"})",              // no content
        R"({"content":42})",                  // content not a string
        R"({"content":null})",                // content not a string
        R"({"type":"dance","content":"x"})",  // unknown type
        R"({"type":7,"content":"x"})",        // type not a string
    };
    for (const auto& text : invalid) {
        SCOPED_TRACE(text);
        client->sendText(text);
        auto error = client->receiveJson();
        EXPECT_EQ(typeOf(error), "error");
        EXPECT_EQ(error->getValue<std::string>("code"), "invalid_message");
        EXPECT_FALSE(error->getValue<std::string>("content").empty());
        expectTimestamp(error);
        expectEcho(*client, "still fine");
    }
}

TEST(Messages, BinaryFrameGetsUnsupportedFrameAndTheSessionGoesOn) {
    HostProcess host;
    auto client = connectAuthenticated(host);
    client->sendBinary(std::string("\x01\x02\x03", 3));
    auto error = client->receiveJson();
    EXPECT_EQ(typeOf(error), "error");
    EXPECT_EQ(error->getValue<std::string>("code"), "unsupported_frame");
    expectTimestamp(error);
    expectEcho(*client, "after binary");
}

TEST(Messages, MaxMessageBytesIsAcceptedAndOneMoreClosesWith1009) {
    HostConfig config;
    config.server["max_message_bytes"] = "1024";
    HostProcess host(config);
    auto client = connectAuthenticated(host);
    const std::string envelope = R"({"content":""})";
    const std::string fits(1024 - envelope.size(), 'a');
    expectEcho(*client, fits);  // exactly 1024 bytes on the wire
    client->sendMessage(fits + "a");
    EXPECT_EQ(client->waitForClose(), 1009);
}

}  // namespace
}  // namespace agenthost::test
