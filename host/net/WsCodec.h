// RFC 6455 framing for a non-blocking server: a decoder that takes bytes as they arrive and
// yields whole messages (fragments reassembled, limits enforced), and frame encoders.
// Poco 1.11's WebSocket class can only block on a whole frame, which would let one slow
// client hold a worker thread, so the event loop frames bytes itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/Utf8.h"

namespace agenthost::ws {

enum class Opcode : std::uint8_t {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

// Close codes used by the host.
namespace close_code {
constexpr std::uint16_t kNormal = 1000;
constexpr std::uint16_t kGoingAway = 1001;
constexpr std::uint16_t kProtocolError = 1002;
constexpr std::uint16_t kInvalidPayload = 1007;
constexpr std::uint16_t kPolicyViolation = 1008;
constexpr std::uint16_t kMessageTooBig = 1009;
constexpr std::uint16_t kInternalError = 1011;
constexpr std::uint16_t kServiceRestart = 1012;
constexpr std::uint16_t kTryAgainLater = 1013;
}  // namespace close_code

// A whole data message (Text/Binary, fragments joined) or a control frame.
struct Message {
    Opcode opcode;
    std::string payload;
};

class FrameDecoder {
  public:
    // maxMessageBytes bounds one message after reassembly. requireMask is true on the server
    // side (clients must mask) and false when decoding server frames (tests, benchmarks).
    explicit FrameDecoder(std::size_t maxMessageBytes, bool requireMask = true);

    // Consumes `size` bytes and appends the messages they complete to `out`, at most
    // `maxMessages` of them, and decodes frames until at most `maxBytes` of the buffered bytes
    // are used (at least one frame, however large): bytes past those stay buffered for the next
    // call (which may pass no new bytes), so the caller decides how much one peer gets done at
    // a time, in messages and in bytes (control frames and fragments included). Returns 0, or
    // the close code to fail the connection with (1002 protocol, 1007 bad UTF-8, 1009 size).
    // After an error the decoder must not be fed again.
    std::uint16_t feed(const char* data, std::size_t size, std::vector<Message>& out,
                       std::size_t maxMessages = SIZE_MAX, std::size_t maxBytes = SIZE_MAX);
    // Bytes the last feed() decoded, and whether it stopped at a budget with whole frames
    // still buffered (then a feed without new bytes has work to do).
    std::size_t lastDecodedBytes() const { return lastDecoded_; }
    bool backlog() const { return backlog_; }

  private:
    std::uint16_t decodeOne(std::vector<Message>& out, bool& needMore);

    std::size_t maxMessageBytes_;
    bool requireMask_;
    std::string buffer_;        // received bytes not yet decoded
    std::size_t consumed_ = 0;  // decoded prefix of buffer_
    std::size_t lastDecoded_ = 0;
    bool backlog_ = false;
    bool inFragmentedMessage_ = false;
    Opcode fragmentedOpcode_ = Opcode::Text;
    std::string fragments_;
    // UTF-8 of the text message being received, checked as its bytes arrive (fail fast), and
    // how many payload bytes of the frame not yet whole it has checked.
    util::Utf8Validator textValidator_;
    std::size_t frameValidated_ = 0;
};

// One complete frame. With a mask (client side) the payload is masked as RFC 6455 requires.
std::string encodeFrame(Opcode opcode, std::string_view payload, bool fin = true,
                        const std::uint8_t* mask = nullptr);
// The header size of an unmasked frame carrying `payloadSize` bytes.
constexpr std::size_t headerSize(std::size_t payloadSize) {
    return 2 + (payloadSize < 126 ? 0 : payloadSize <= 0xFFFF ? 2 : 8);
}
// Appends one unmasked, final frame (what a server sends) to `out`, without a temporary.
void appendFrame(std::string& out, Opcode opcode, std::string_view payload);
std::string encodeClose(std::uint16_t code, std::string_view reason,
                        const std::uint8_t* mask = nullptr);

// The close code in a Close payload (1005 "no status" when it carries none).
std::uint16_t closeCodeOf(std::string_view closePayload);

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string acceptKey(const std::string& clientKey);

}  // namespace agenthost::ws
