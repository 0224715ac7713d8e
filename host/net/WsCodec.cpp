#include "net/WsCodec.h"

#include <Poco/Base64Encoder.h>
#include <Poco/SHA1Engine.h>

#include <sstream>

#include "util/Utf8.h"

namespace agenthost::ws {
namespace {

bool isControl(std::uint8_t opcode) {
    return (opcode & 0x8) != 0;
}

bool isKnown(std::uint8_t opcode) {
    return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);
}

// RFC 6455 5.5.1 and 7.4: a Close body is empty, or a code a peer may send plus UTF-8 text.
std::uint16_t checkClosePayload(std::string_view payload) {
    if (payload.empty()) return 0;
    if (payload.size() == 1) return close_code::kProtocolError;
    const std::uint16_t code = closeCodeOf(payload);
    const bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                          (code >= 3000 && code <= 4999);
    if (!sendable) return close_code::kProtocolError;
    if (!util::isValidUtf8(payload.substr(2))) return close_code::kInvalidPayload;
    return 0;
}

void appendLength(std::string& out, std::uint8_t maskBit, std::size_t length) {
    if (length < 126) {
        out.push_back(static_cast<char>(maskBit | length));
    } else if (length <= 0xFFFF) {
        out.push_back(static_cast<char>(maskBit | 126));
        out.push_back(static_cast<char>((length >> 8) & 0xFF));
        out.push_back(static_cast<char>(length & 0xFF));
    } else {
        out.push_back(static_cast<char>(maskBit | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            out.push_back(static_cast<char>((static_cast<std::uint64_t>(length) >> shift) & 0xFF));
    }
}

// XORs `bytes`, which start `offset` bytes into a frame's payload, with the frame's mask.
void unmask(std::string& bytes, const std::uint8_t* key, std::size_t offset) {
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] ^= static_cast<char>(key[(offset + i) % 4]);
}

// FrameDecoder: how large the decoded prefix of the buffer may grow before it is dropped.
constexpr std::size_t kCompactAfterBytes = 64 * 1024;

}  // namespace

FrameDecoder::FrameDecoder(std::size_t maxMessageBytes, bool requireMask)
    : maxMessageBytes_(maxMessageBytes), requireMask_(requireMask) {}

std::uint16_t FrameDecoder::feed(const char* data, std::size_t size, std::vector<Message>& out,
                                 std::size_t maxMessages, std::size_t maxBytes) {
    buffer_.append(data, size);
    const std::size_t before = out.size();
    const std::size_t start = consumed_;
    bool needMore = false;
    while (!needMore && out.size() - before < maxMessages && consumed_ - start < maxBytes) {
        if (const std::uint16_t error = decodeOne(out, needMore)) return error;
    }
    lastDecoded_ = consumed_ - start;
    backlog_ = !needMore && consumed_ < buffer_.size();
    // The decoded prefix is dropped when all of it is decoded, else once it is large: a peer
    // served a few messages at a time does not cost a move of its whole backlog each time.
    if (consumed_ == buffer_.size()) {
        buffer_.clear();
        consumed_ = 0;
    } else if (consumed_ >= kCompactAfterBytes) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
    return 0;
}

std::uint16_t FrameDecoder::decodeOne(std::vector<Message>& out, bool& needMore) {
    const std::size_t available = buffer_.size() - consumed_;
    const auto* p = reinterpret_cast<const std::uint8_t*>(buffer_.data() + consumed_);
    if (available < 2) {
        needMore = true;
        return 0;
    }
    const bool fin = (p[0] & 0x80) != 0;
    const std::uint8_t opcode = p[0] & 0x0F;
    const bool masked = (p[1] & 0x80) != 0;
    std::uint64_t length = p[1] & 0x7F;
    if ((p[0] & 0x70) != 0 || !isKnown(opcode)) return close_code::kProtocolError;
    if (masked != requireMask_) return close_code::kProtocolError;
    if (isControl(opcode) && (!fin || length > 125)) return close_code::kProtocolError;

    std::size_t header = 2;
    if (length == 126 || length == 127) {
        const std::size_t extra = length == 126 ? 2 : 8;
        if (available < header + extra) {
            needMore = true;
            return 0;
        }
        length = 0;
        for (std::size_t i = 0; i < extra; ++i) length = (length << 8) | p[header + i];
        header += extra;
        // RFC 6455 5.2: a 64-bit length has its most significant bit clear.
        if ((length >> 63) != 0) return close_code::kProtocolError;
    }
    // A continuation with nothing to continue, or a new message inside a fragmented one, is
    // refused from its header.
    if (!isControl(opcode) && (opcode == 0x0) != inFragmentedMessage_)
        return close_code::kProtocolError;
    // Refuse an oversized message from its header, before buffering its payload.
    const std::size_t soFar = isControl(opcode) ? 0 : fragments_.size();
    if (length > maxMessageBytes_ || soFar + length > maxMessageBytes_)
        return close_code::kMessageTooBig;

    const std::size_t maskBytes = masked ? 4 : 0;
    const bool text = opcode == 0x1 || (opcode == 0x0 && fragmentedOpcode_ == Opcode::Text);
    if (available < header + maskBytes + length) {
        needMore = true;
        // Fail fast: what has come of a text frame is checked now, not when it is whole.
        const std::size_t present = available - std::min(available, header + maskBytes);
        if (text && present > frameValidated_) {
            std::string piece(
                reinterpret_cast<const char*>(p + header + maskBytes + frameValidated_),
                present - frameValidated_);
            if (masked) unmask(piece, p + header, frameValidated_);
            if (!textValidator_.feed(piece)) return close_code::kInvalidPayload;
            frameValidated_ = present;
        }
        return 0;
    }
    std::string payload(reinterpret_cast<const char*>(p + header + maskBytes),
                        static_cast<std::size_t>(length));
    if (masked) unmask(payload, p + header, 0);
    consumed_ += header + maskBytes + static_cast<std::size_t>(length);
    const std::size_t validated = frameValidated_;
    frameValidated_ = 0;

    if (isControl(opcode)) {
        if (opcode == 0x8) {
            if (const std::uint16_t error = checkClosePayload(payload)) return error;
        }
        out.push_back({static_cast<Opcode>(opcode), std::move(payload)});
        return 0;
    }
    // Each fragment of a text message is checked as it comes (fail fast), the whole at its end.
    if (text && !textValidator_.feed(std::string_view(payload).substr(validated)))
        return close_code::kInvalidPayload;
    if (opcode == 0x0) {
        fragments_.append(payload);
    } else {
        fragmentedOpcode_ = static_cast<Opcode>(opcode);
        fragments_ = std::move(payload);
    }
    inFragmentedMessage_ = !fin;
    if (fin) {
        if (text && !textValidator_.complete()) return close_code::kInvalidPayload;
        textValidator_.reset();
        out.push_back({fragmentedOpcode_, std::move(fragments_)});
        fragments_.clear();
    }
    return 0;
}

void appendFrame(std::string& out, Opcode opcode, std::string_view payload) {
    out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));
    appendLength(out, 0x00, payload.size());
    out.append(payload);
}

std::string encodeFrame(Opcode opcode, std::string_view payload, bool fin,
                        const std::uint8_t* mask) {
    std::string frame;
    frame.reserve(payload.size() + 14);
    frame.push_back(static_cast<char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode)));
    appendLength(frame, mask ? 0x80 : 0x00, payload.size());
    if (!mask) {
        frame.append(payload);
        return frame;
    }
    frame.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        frame.push_back(static_cast<char>(payload[i] ^ static_cast<char>(mask[i % 4])));
    return frame;
}

std::string encodeClose(std::uint16_t code, std::string_view reason, const std::uint8_t* mask) {
    std::string payload;
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    // At most 125 bytes in a control frame; cut between characters, since a peer fails the
    // connection on a reason that is not UTF-8.
    payload.append(util::withoutTruncatedEnd(reason.substr(0, 123)));
    return encodeFrame(Opcode::Close, payload, true, mask);
}

std::uint16_t closeCodeOf(std::string_view closePayload) {
    if (closePayload.size() < 2) return 1005;
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(closePayload[0]) << 8) |
                                      static_cast<std::uint8_t>(closePayload[1]));
}

std::string acceptKey(const std::string& clientKey) {
    Poco::SHA1Engine sha1;
    sha1.update(clientKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    const auto& digest = sha1.digest();
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.write(reinterpret_cast<const char*>(digest.data()),
                  static_cast<std::streamsize>(digest.size()));
    encoder.close();
    return out.str();
}

}  // namespace agenthost::ws
