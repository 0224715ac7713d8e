// FrameDecoder (host/net/WsCodec), server side: any bytes, whole or in pieces, and served under
// any message and byte budget, give the same messages and the same close code. Every message it
// accepts is sane (a known opcode, at most the message limit, text and close reasons valid
// UTF-8, a close code a peer may send) and survives a round trip through encodeFrame; close
// codes and UTF-8 reasons survive encodeClose.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "FuzzSupport.h"
#include "net/WsCodec.h"
#include "util/Utf8.h"

namespace ws = agenthost::ws;

namespace {

constexpr std::size_t kMaxMessageBytes = 4096;

struct Decoded {
    std::vector<ws::Message> messages;
    std::uint16_t error = 0;
};

// Feeds the pieces one by one, each served in budgets of `maxMessages` and `maxBytes` as the
// event loop does (a feed without new bytes while a backlog remains).
template <class Pieces>
Decoded decode(const Pieces& pieces, std::size_t maxMessages, std::size_t maxBytes) {
    ws::FrameDecoder decoder(kMaxMessageBytes);
    Decoded result;
    for (std::string_view piece : pieces) {
        result.error =
            decoder.feed(piece.data(), piece.size(), result.messages, maxMessages, maxBytes);
        while (result.error == 0 && decoder.backlog())
            result.error = decoder.feed(nullptr, 0, result.messages, maxMessages, maxBytes);
        if (result.error) break;
    }
    return result;
}

bool sameMessages(const std::vector<ws::Message>& a, const std::vector<ws::Message>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].opcode != b[i].opcode || a[i].payload != b[i].payload) return false;
    return true;
}

void checkMessage(const ws::Message& message) {
    switch (message.opcode) {
        case ws::Opcode::Text:
            FUZZ_CHECK(agenthost::util::isValidUtf8(message.payload));
            [[fallthrough]];
        case ws::Opcode::Binary:
            FUZZ_CHECK(message.payload.size() <= kMaxMessageBytes);
            break;
        case ws::Opcode::Close: {
            FUZZ_CHECK(message.payload.size() <= 125 && message.payload.size() != 1);
            const std::uint16_t code = ws::closeCodeOf(message.payload);
            if (message.payload.empty()) {
                FUZZ_CHECK(code == 1005);
            } else {
                FUZZ_CHECK((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                           (code >= 3000 && code <= 4999));
                FUZZ_CHECK(agenthost::util::isValidUtf8(message.payload.substr(2)));
            }
            break;
        }
        case ws::Opcode::Ping:
        case ws::Opcode::Pong:
            FUZZ_CHECK(message.payload.size() <= 125);
            break;
        case ws::Opcode::Continuation:
            FUZZ_CHECK(!"a continuation frame is never a message of its own");
    }
    // What the decoder accepted, encoded again by a client, decodes to the same message.
    const std::uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    const std::string frame = ws::encodeFrame(message.opcode, message.payload, true, mask);
    const Decoded again = decode(std::vector<std::string_view>{frame}, SIZE_MAX, SIZE_MAX);
    FUZZ_CHECK(again.error == 0);
    FUZZ_CHECK(again.messages.size() == 1);
    FUZZ_CHECK(again.messages[0].opcode == message.opcode);
    FUZZ_CHECK(again.messages[0].payload == message.payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = agenthost::fuzz::seededInput(data, size);
    const Decoded whole = decode(std::vector<std::string_view>{input.bytes}, SIZE_MAX, SIZE_MAX);
    FUZZ_CHECK(whole.error == 0 || whole.error == ws::close_code::kProtocolError ||
               whole.error == ws::close_code::kInvalidPayload ||
               whole.error == ws::close_code::kMessageTooBig);
    for (const ws::Message& message : whole.messages) checkMessage(message);

    const std::size_t maxMessages = 1 + (input.seed >> 24) % 4;
    const std::size_t maxBytes = 1 + (input.seed >> 12) % 512;
    const Decoded split =
        decode(agenthost::fuzz::splitBySeed(input.bytes, input.seed, 97), maxMessages, maxBytes);
    FUZZ_CHECK(split.error == whole.error);
    FUZZ_CHECK(sameMessages(split.messages, whole.messages));

    // A close code and reason taken from the input come back from the frame encodeClose makes.
    const std::uint16_t code = static_cast<std::uint16_t>(input.seed & 0xFFFF);
    const std::string close = ws::encodeClose(code, input.bytes);
    ws::FrameDecoder client(SIZE_MAX, false);  // server frames are not masked
    std::vector<ws::Message> closes;
    client.feed(close.data(), close.size(), closes);
    if (!closes.empty()) FUZZ_CHECK(ws::closeCodeOf(closes[0].payload) == code);
    // A code a peer may send with a UTF-8 reason, however long, makes a frame a client accepts.
    const bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                          (code >= 3000 && code <= 4999);
    if (sendable && agenthost::util::isValidUtf8(input.bytes)) FUZZ_CHECK(closes.size() == 1);
    return 0;
}
