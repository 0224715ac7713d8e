// ws::FrameDecoder and the frame encoders against RFC 6455.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "net/WsCodec.h"

namespace agenthost::ws {
namespace {

const std::uint8_t kMask[4] = {0x37, 0xFA, 0x21, 0x3D};
constexpr std::size_t kLimit = 1000;

// A frame as a client sends it: masked.
std::string clientFrame(Opcode opcode, const std::string& payload, bool fin = true) {
    return encodeFrame(opcode, payload, fin, kMask);
}

struct Decoded {
    std::uint16_t error = 0;
    std::vector<Message> messages;
};

Decoded decode(const std::string& bytes, std::size_t limit = kLimit, bool requireMask = true) {
    FrameDecoder decoder(limit, requireMask);
    Decoded d;
    d.error = decoder.feed(bytes.data(), bytes.size(), d.messages);
    return d;
}

Decoded decodeByteByByte(const std::string& bytes, std::size_t limit = kLimit) {
    FrameDecoder decoder(limit);
    Decoded d;
    for (char c : bytes) {
        d.error = decoder.feed(&c, 1, d.messages);
        if (d.error != 0) break;
    }
    return d;
}

// Sets bits of a frame's first byte (FIN, RSV, opcode).
std::string withFirstByte(std::string frame, std::uint8_t firstByte) {
    frame[0] = static_cast<char>(firstByte);
    return frame;
}

TEST(WsDecoder, DecodesAMaskedTextFrame) {
    const auto d = decode(clientFrame(Opcode::Text, "Hello"));
    ASSERT_EQ(d.error, 0);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].opcode, Opcode::Text);
    EXPECT_EQ(d.messages[0].payload, "Hello");
}

TEST(WsDecoder, HandsOutAtMostTheAskedNumberOfMessagesAndKeepsTheRest) {
    std::string bytes;
    for (int i = 0; i < 100'000; ++i) bytes += clientFrame(Opcode::Text, std::to_string(i));
    bytes += clientFrame(Opcode::Text, "a partial fra").substr(0, 9);
    FrameDecoder decoder(kLimit);
    std::vector<Message> out;
    ASSERT_EQ(decoder.feed(bytes.data(), bytes.size(), out, 32), 0);
    ASSERT_EQ(out.size(), 32u);
    for (std::size_t calls = 1; out.size() < 100'000; ++calls) {  // the rest, without new bytes
        const std::size_t before = out.size();
        ASSERT_EQ(decoder.feed(nullptr, 0, out, 32), 0);
        ASSERT_EQ(out.size() - before, std::min<std::size_t>(32, 100'000 - before));
        ASSERT_LT(calls, 100'000u / 32 + 2);
    }
    for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i].payload, std::to_string(i));
    ASSERT_EQ(decoder.feed(nullptr, 0, out, 32), 0);  // the partial frame waits for its end
    EXPECT_EQ(out.size(), 100'000u);
    const std::string rest = clientFrame(Opcode::Text, "a partial fra").substr(9);
    ASSERT_EQ(decoder.feed(rest.data(), rest.size(), out, 32), 0);
    ASSERT_EQ(out.size(), 100'001u);
    EXPECT_EQ(out.back().payload, "a partial fra");
}

TEST(WsDecoder, DecodesTheRfcMaskedSample) {
    // RFC 6455 5.7: a single-frame masked text message containing "Hello".
    const std::string bytes = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    const auto d = decode(bytes);
    ASSERT_EQ(d.error, 0);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].payload, "Hello");
    EXPECT_EQ(clientFrame(Opcode::Text, "Hello"), bytes);
}

TEST(WsDecoder, EncodesTheRfcUnmaskedSample) {
    EXPECT_EQ(encodeFrame(Opcode::Text, "Hello"), "\x81\x05\x48\x65\x6c\x6c\x6f");
    const auto d = decode(encodeFrame(Opcode::Text, "Hello"), kLimit, false);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].payload, "Hello");
}

TEST(WsDecoder, UnmaskedClientFrameIsAProtocolError) {
    EXPECT_EQ(decode(encodeFrame(Opcode::Text, "hi")).error, close_code::kProtocolError);
}

TEST(WsDecoder, MaskedFrameIsAnErrorWhenDecodingServerFrames) {
    EXPECT_EQ(decode(clientFrame(Opcode::Text, "hi"), kLimit, false).error,
              close_code::kProtocolError);
}

TEST(WsDecoder, ReservedBitsAreAProtocolError) {
    for (std::uint8_t rsv : {0x40, 0x20, 0x10}) {
        const auto frame = withFirstByte(clientFrame(Opcode::Text, "hi"), 0x81 | rsv);
        EXPECT_EQ(decode(frame).error, close_code::kProtocolError) << int(rsv);
    }
}

TEST(WsDecoder, UnknownOpcodesAreAProtocolError) {
    for (std::uint8_t opcode : {0x3, 0x7, 0xB, 0xF}) {
        const auto frame = withFirstByte(clientFrame(Opcode::Text, "hi"), 0x80 | opcode);
        EXPECT_EQ(decode(frame).error, close_code::kProtocolError) << int(opcode);
    }
}

TEST(WsDecoder, ReassemblesFragmentsWithAControlFrameBetween) {
    const std::string bytes = clientFrame(Opcode::Text, "Hel", false) +
                              clientFrame(Opcode::Ping, "are you there") +
                              clientFrame(Opcode::Continuation, "lo, ", false) +
                              clientFrame(Opcode::Continuation, "world");
    const auto d = decode(bytes);
    ASSERT_EQ(d.error, 0);
    ASSERT_EQ(d.messages.size(), 2u);
    EXPECT_EQ(d.messages[0].opcode, Opcode::Ping);
    EXPECT_EQ(d.messages[0].payload, "are you there");
    EXPECT_EQ(d.messages[1].opcode, Opcode::Text);
    EXPECT_EQ(d.messages[1].payload, "Hello, world");
}

TEST(WsDecoder, ReassemblesBinaryFragmentsAndDecodesTheNextMessage) {
    const std::string bytes = clientFrame(Opcode::Binary, std::string("\x00\xFF", 2), false) +
                              clientFrame(Opcode::Continuation, "\x01") +
                              clientFrame(Opcode::Text, "next");
    const auto d = decode(bytes);
    ASSERT_EQ(d.error, 0);
    ASSERT_EQ(d.messages.size(), 2u);
    EXPECT_EQ(d.messages[0].opcode, Opcode::Binary);
    EXPECT_EQ(d.messages[0].payload, std::string("\x00\xFF\x01", 3));
    EXPECT_EQ(d.messages[1].payload, "next");
}

TEST(WsDecoder, ContinuationWithoutAStartIsAProtocolError) {
    EXPECT_EQ(decode(clientFrame(Opcode::Continuation, "x")).error, close_code::kProtocolError);
}

TEST(WsDecoder, NewDataFrameInsideAFragmentedMessageIsAProtocolError) {
    const std::string bytes =
        clientFrame(Opcode::Text, "a", false) + clientFrame(Opcode::Text, "b");
    EXPECT_EQ(decode(bytes).error, close_code::kProtocolError);
}

TEST(WsDecoder, LongOrFragmentedControlFramesAreAProtocolError) {
    EXPECT_EQ(decode(clientFrame(Opcode::Ping, std::string(126, 'p'))).error,
              close_code::kProtocolError);
    EXPECT_EQ(decode(clientFrame(Opcode::Ping, "p", false)).error, close_code::kProtocolError);
    EXPECT_EQ(decode(clientFrame(Opcode::Close, std::string(200, 'c'))).error,
              close_code::kProtocolError);
    const auto longest = decode(clientFrame(Opcode::Pong, std::string(125, 'p')));
    EXPECT_EQ(longest.error, 0);
    ASSERT_EQ(longest.messages.size(), 1u);
    EXPECT_EQ(longest.messages[0].payload.size(), 125u);
}

TEST(WsDecoder, SingleFrameOverTheLimitIsTooBig) {
    EXPECT_EQ(decode(clientFrame(Opcode::Text, std::string(kLimit + 1, 'x'))).error,
              close_code::kMessageTooBig);
    const auto atLimit = decode(clientFrame(Opcode::Text, std::string(kLimit, 'x')));
    EXPECT_EQ(atLimit.error, 0);
    ASSERT_EQ(atLimit.messages.size(), 1u);
}

TEST(WsDecoder, ReassembledFragmentsOverTheLimitAreTooBig) {
    const std::string half(kLimit / 2, 'x');
    const std::string bytes = clientFrame(Opcode::Text, half, false) +
                              clientFrame(Opcode::Continuation, half, false) +
                              clientFrame(Opcode::Continuation, "!");
    EXPECT_EQ(decode(bytes).error, close_code::kMessageTooBig);
}

TEST(WsDecoder, OversizeFragmentIsRefusedFromItsHeader) {
    const std::string first = clientFrame(Opcode::Text, std::string(600, 'a'), false);
    const std::string second = clientFrame(Opcode::Continuation, std::string(600, 'b'));
    EXPECT_EQ(decode(first + second.substr(0, 4)).error, close_code::kMessageTooBig);
}

TEST(WsDecoder, OversizeIsRefusedFromTheHeaderBeforeThePayload) {
    // Only the header of a 1 MiB frame (64-bit length) and of a 2000-byte one (16-bit length).
    const std::string huge = clientFrame(Opcode::Text, std::string(1 << 20, 'x')).substr(0, 14);
    EXPECT_EQ(decode(huge).error, close_code::kMessageTooBig);
    const std::string big = clientFrame(Opcode::Binary, std::string(2000, 'x')).substr(0, 8);
    EXPECT_EQ(decode(big).error, close_code::kMessageTooBig);
    const std::string lengthOnly = clientFrame(Opcode::Binary, std::string(2000, 'x')).substr(0, 4);
    EXPECT_EQ(decode(lengthOnly).error, close_code::kMessageTooBig);
}

TEST(WsDecoder, SixteenAndSixtyFourBitLengths) {
    const std::string medium(300, 'm');
    const std::string large(70000, 'L');
    const std::string mediumFrame = clientFrame(Opcode::Binary, medium);
    const std::string largeFrame = clientFrame(Opcode::Binary, large);
    EXPECT_EQ(static_cast<std::uint8_t>(mediumFrame[1]), 0x80 | 126);
    EXPECT_EQ(static_cast<std::uint8_t>(largeFrame[1]), 0x80 | 127);
    EXPECT_EQ(mediumFrame.size(), 2 + 2 + 4 + medium.size());
    EXPECT_EQ(largeFrame.size(), 2 + 8 + 4 + large.size());
    const auto d = decode(mediumFrame + largeFrame, 100000);
    ASSERT_EQ(d.error, 0);
    ASSERT_EQ(d.messages.size(), 2u);
    EXPECT_EQ(d.messages[0].payload, medium);
    EXPECT_EQ(d.messages[1].payload, large);
}

TEST(WsDecoder, BoundaryLengthsUseTheShortestEncoding) {
    EXPECT_EQ(encodeFrame(Opcode::Binary, std::string(125, 'x')).size(), 2u + 125);
    EXPECT_EQ(encodeFrame(Opcode::Binary, std::string(126, 'x')).size(), 4u + 126);
    EXPECT_EQ(encodeFrame(Opcode::Binary, std::string(65535, 'x')).size(), 4u + 65535);
    EXPECT_EQ(encodeFrame(Opcode::Binary, std::string(65536, 'x')).size(), 10u + 65536);
}

TEST(WsDecoder, BytesFedOneAtATime) {
    const std::string bytes = clientFrame(Opcode::Text, "h\xC3\xA9llo", false) +
                              clientFrame(Opcode::Ping, "") +
                              clientFrame(Opcode::Continuation, std::string(300, 'x')) +
                              clientFrame(Opcode::Close, std::string("\x03\xE8", 2));
    const auto d = decodeByteByByte(bytes);
    ASSERT_EQ(d.error, 0);
    ASSERT_EQ(d.messages.size(), 3u);
    EXPECT_EQ(d.messages[0].opcode, Opcode::Ping);
    EXPECT_EQ(d.messages[1].payload, "h\xC3\xA9llo" + std::string(300, 'x'));
    EXPECT_EQ(d.messages[2].opcode, Opcode::Close);
    EXPECT_EQ(closeCodeOf(d.messages[2].payload), 1000);
}

TEST(WsDecoder, OversizeIsRefusedWhenBytesComeOneAtATime) {
    const std::string bytes = clientFrame(Opcode::Text, std::string(kLimit + 1, 'x'));
    FrameDecoder decoder(kLimit);
    std::vector<Message> out;
    std::size_t fed = 0;
    std::uint16_t error = 0;
    while (error == 0 && fed < bytes.size()) error = decoder.feed(&bytes[fed++], 1, out);
    EXPECT_EQ(error, close_code::kMessageTooBig);
    EXPECT_EQ(fed, 4u);  // 2 header bytes + the 16-bit length
}

TEST(WsDecoder, InvalidUtf8TextIsInvalidPayload) {
    EXPECT_EQ(decode(clientFrame(Opcode::Text, "bad \xFF")).error, close_code::kInvalidPayload);
    EXPECT_EQ(decode(clientFrame(Opcode::Text, "\xED\xA0\x80")).error, close_code::kInvalidPayload);
    // Binary payloads are not text and may hold any bytes.
    EXPECT_EQ(decode(clientFrame(Opcode::Binary, "\xFF")).error, 0);
}

TEST(WsDecoder, TextSplitInsideASequenceAcrossFragmentsIsValid) {
    const std::string bytes = clientFrame(Opcode::Text, "\xF0\x9F", false) +
                              clientFrame(Opcode::Continuation, "\x98\x80");
    const auto d = decode(bytes);
    ASSERT_EQ(d.error, 0);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].payload, "\xF0\x9F\x98\x80");
}

// Fail fast (RFC 6455 8.1): invalid UTF-8 fails the message when its byte arrives, in a
// fragment before the last one, or in the received part of a frame not yet whole.
TEST(WsDecoder, InvalidUtf8FailsBeforeTheMessageEnds) {
    FrameDecoder decoder(kLimit);
    std::vector<Message> out;
    const std::string first = clientFrame(Opcode::Text, "ok \xF4", false);
    EXPECT_EQ(decoder.feed(first.data(), first.size(), out), 0);
    const std::string second = clientFrame(Opcode::Continuation, "\x90", false);
    EXPECT_EQ(decoder.feed(second.data(), second.size(), out), close_code::kInvalidPayload);

    FrameDecoder partial(kLimit);
    const std::string frame = clientFrame(Opcode::Text, "ok \xED\xA0\x80 and more after it");
    const std::size_t cut = frame.size() - 18;  // the surrogate is in, the rest is not
    EXPECT_EQ(partial.feed(frame.data(), cut, out), close_code::kInvalidPayload);
    EXPECT_TRUE(out.empty());
}

// A text message cut short inside a sequence is invalid when its last fragment ends it.
TEST(WsDecoder, TextEndingInsideASequenceIsInvalidPayload) {
    const std::string bytes =
        clientFrame(Opcode::Text, "ab", false) + clientFrame(Opcode::Continuation, "\xE2\x82");
    EXPECT_EQ(decode(bytes).error, close_code::kInvalidPayload);
    EXPECT_EQ(decodeByteByByte(bytes).error, close_code::kInvalidPayload);
}

TEST(WsDecoder, SixtyFourBitLengthWithTheTopBitSetIsAProtocolError) {
    std::string frame = "\x81\xFF";
    frame += "\x80";
    frame += std::string(7, '\0');
    frame += std::string(reinterpret_cast<const char*>(kMask), 4);
    EXPECT_EQ(decode(frame).error, close_code::kProtocolError);
}

TEST(WsDecoder, EmptyFramesAreMessages) {
    const auto d = decode(clientFrame(Opcode::Text, "") + clientFrame(Opcode::Close, ""));
    ASSERT_EQ(d.error, 0);
    ASSERT_EQ(d.messages.size(), 2u);
    EXPECT_EQ(d.messages[0].payload, "");
    EXPECT_EQ(closeCodeOf(d.messages[1].payload), 1005);
}

TEST(WsClose, EncodesCodeAndReason) {
    const std::string frame = encodeClose(close_code::kMessageTooBig, "too big");
    EXPECT_EQ(frame, std::string("\x88\x09\x03\xF1too big", 11));
    const auto d = decode(frame, kLimit, false);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(closeCodeOf(d.messages[0].payload), 1009);
}

TEST(WsClose, LongReasonIsCutToFitAControlFrame) {
    const std::string frame = encodeClose(close_code::kNormal, std::string(300, 'r'));
    EXPECT_EQ(frame.size(), 2u + 125);
    const auto d = decode(encodeClose(close_code::kNormal, std::string(300, 'r'), kMask));
    ASSERT_EQ(d.error, 0);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(closeCodeOf(d.messages[0].payload), 1000);
}

// Found by fuzz_ws_frames: the reason was cut at 123 bytes in the middle of a UTF-8 sequence
// (here U+C502, bytes 121-123), and the peer had to fail the connection on the invalid close.
TEST(WsClose, ALongReasonIsCutBetweenCharacters) {
    std::string reason(127, '\0');
    reason[46] = ' ';
    reason[83] = '\x07';
    reason[84] = '\x13';
    reason[88] = '2';
    reason.replace(121, 3, "\xEC\x94\x82");
    const auto d = decode(encodeClose(0x1300, reason, kMask));
    ASSERT_EQ(d.error, 0);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(closeCodeOf(d.messages[0].payload), 0x1300);
    EXPECT_EQ(d.messages[0].payload.substr(2), reason.substr(0, 121));
    for (std::size_t cut = 120; cut <= 124; ++cut) {  // every place a 4-byte character can sit
        const std::string text = std::string(cut, 'r') + "\xF0\x9F\x98\x80";
        const auto e = decode(encodeClose(close_code::kNormal, text, kMask));
        EXPECT_EQ(e.error, 0) << cut;
    }
}

// Close body from a code and a reason.
std::string closeBody(std::uint16_t code, const std::string& reason = "") {
    return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)} + reason;
}

TEST(WsClose, PeerCloseCodesAreChecked) {
    for (std::uint16_t code :
         {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1014, 3000, 4000, 4999}) {
        const auto d = decode(clientFrame(Opcode::Close, closeBody(code, "bye")));
        EXPECT_EQ(d.error, 0) << code;
        ASSERT_EQ(d.messages.size(), 1u) << code;
        EXPECT_EQ(closeCodeOf(d.messages[0].payload), code);
    }
    // Codes nobody may send: reserved, "no status"/"abnormal" (local only), unassigned.
    for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535})
        EXPECT_EQ(decode(clientFrame(Opcode::Close, closeBody(code))).error,
                  close_code::kProtocolError)
            << code;
}

TEST(WsClose, OneByteBodyIsAProtocolError) {
    EXPECT_EQ(decode(clientFrame(Opcode::Close, "\x03")).error, close_code::kProtocolError);
}

TEST(WsClose, ReasonMustBeUtf8) {
    EXPECT_EQ(decode(clientFrame(Opcode::Close, closeBody(1000, "bad \xFF"))).error,
              close_code::kInvalidPayload);
    EXPECT_EQ(decode(clientFrame(Opcode::Close, closeBody(1000, "caf\xC3\xA9"))).error, 0);
}

TEST(WsClose, CloseCodeOfShortPayloadIsNoStatus) {
    EXPECT_EQ(closeCodeOf(""), 1005);
    EXPECT_EQ(closeCodeOf("\x03"), 1005);
    EXPECT_EQ(closeCodeOf(std::string("\x0F\xA0", 2)), 4000);
}

TEST(WsHandshake, AcceptKeyMatchesTheRfcSample) {
    EXPECT_EQ(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsEncoder, AppendFrameWritesWhatEncodeFrameBuilds) {
    for (std::size_t size : {0u, 5u, 125u, 126u, 65535u, 65536u, 70000u}) {
        SCOPED_TRACE(size);
        const std::string payload(size, 'p');
        std::string out = "already queued";
        appendFrame(out, Opcode::Text, payload);
        const std::string frame = encodeFrame(Opcode::Text, payload);
        EXPECT_EQ(out, "already queued" + frame);
        EXPECT_EQ(frame.size(), headerSize(size) + size);
    }
}

}  // namespace
}  // namespace agenthost::ws
