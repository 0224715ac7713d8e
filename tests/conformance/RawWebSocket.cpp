#include "RawWebSocket.h"

#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>

#include <stdexcept>

#include "frontend/RawHttp.h"

namespace agenthost::test {
namespace {

constexpr unsigned char kMask[4] = {0x37, 0xFA, 0x21, 0x3D};

void appendMaskedPayload(std::string& out, std::string_view payload) {
    out.append(reinterpret_cast<const char*>(kMask), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(static_cast<char>(payload[i] ^ static_cast<char>(kMask[i % 4])));
}

void appendLength(std::string& out, std::uint64_t length) {
    if (length < 126) {
        out.push_back(static_cast<char>(0x80 | length));
    } else if (length <= 0xFFFF) {
        out.push_back(static_cast<char>(0x80 | 126));
        out.push_back(static_cast<char>(length >> 8));
        out.push_back(static_cast<char>(length & 0xFF));
    } else {
        out.push_back(static_cast<char>(0x80 | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            out.push_back(static_cast<char>((length >> shift) & 0xFF));
    }
}

}  // namespace

int WireFrame::closeCode() const {
    if (payload.size() < 2) return 1005;
    return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

std::string WireFrame::describe() const {
    std::string text = "opcode " + std::to_string(opcode);
    if (!fin) text += " (not final)";
    if (rsv != 0) text += " rsv " + std::to_string(rsv);
    if (opcode == 0x8) return text + " Close " + std::to_string(closeCode());
    return text + " \"" + payload.substr(0, 80) + (payload.size() > 80 ? "...\"" : "\"");
}

std::string clientFrame(int opcode, std::string_view payload, bool fin, int rsv) {
    std::string frame;
    frame.push_back(static_cast<char>((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0xF)));
    appendLength(frame, payload.size());
    appendMaskedPayload(frame, payload);
    return frame;
}

std::string clientClose(int code, std::string_view reason) {
    std::string payload;
    payload.push_back(static_cast<char>((code >> 8) & 0xFF));
    payload.push_back(static_cast<char>(code & 0xFF));
    payload.append(reason);
    return clientFrame(0x8, payload);
}

std::string clientFrameHeader(int opcode, std::uint64_t announcedLength, std::string_view payload) {
    std::string frame;
    frame.push_back(static_cast<char>(0x80 | (opcode & 0xF)));
    appendLength(frame, announcedLength);
    appendMaskedPayload(frame, payload);
    return frame;
}

RawWebSocket::RawWebSocket(std::uint16_t port, const std::string& path,
                           const std::string& extraHeaders) {
    socket_.connect(Poco::Net::SocketAddress("127.0.0.1", port), Poco::Timespan(5, 0));
    socket_.setNoDelay(true);
    send("GET " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
         extraHeaders + "\r\n");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !receiveSome(left))
            throw std::runtime_error("no upgrade answer: " + buffer_);
    }
    responseHead_ = buffer_.substr(0, end + 4);
    buffer_.erase(0, end + 4);
    if (responseHead_.rfind("HTTP/1.1 101", 0) != 0)
        throw std::runtime_error("upgrade refused: " + responseHead_);
}

bool RawWebSocket::send(std::string_view bytes, std::size_t chop) {
    if (chop == 0) chop = bytes.size();
    try {
        for (std::size_t at = 0; at < bytes.size();) {
            const std::size_t piece = std::min(chop, bytes.size() - at);
            at += static_cast<std::size_t>(
                socket_.sendBytes(bytes.data() + at, static_cast<int>(piece)));
        }
    } catch (const Poco::Exception&) {
        return false;  // reset or broken pipe: the server has closed
    }
    return true;
}

bool RawWebSocket::receiveSome(std::chrono::milliseconds timeout) {
    return !closed_ && receiveInto(socket_, buffer_, timeout, closed_);
}

std::optional<WireFrame> RawWebSocket::parseFrame() {
    if (buffer_.size() < 2) return std::nullopt;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(buffer_[i]); };
    WireFrame frame;
    frame.fin = (byte(0) & 0x80) != 0;
    frame.rsv = (byte(0) >> 4) & 7;
    frame.opcode = byte(0) & 0xF;
    frame.masked = (byte(1) & 0x80) != 0;
    std::uint64_t length = byte(1) & 0x7F;
    std::size_t header = 2;
    const std::size_t extra = length == 126 ? 2 : length == 127 ? 8 : 0;
    if (buffer_.size() < header + extra) return std::nullopt;
    if (extra != 0) {
        length = 0;
        for (std::size_t i = 0; i < extra; ++i) length = (length << 8) | byte(header + i);
        header += extra;
    }
    if (frame.masked) header += 4;
    if (buffer_.size() < header + length) return std::nullopt;
    frame.payload = buffer_.substr(header, static_cast<std::size_t>(length));
    buffer_.erase(0, header + static_cast<std::size_t>(length));
    return frame;
}

std::optional<WireFrame> RawWebSocket::next(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto frame = parseFrame()) return frame;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !receiveSome(left)) return std::nullopt;
    }
}

bool RawWebSocket::closesWithin(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        receiveSome(left);
    }
    return buffer_.empty();
}

}  // namespace agenthost::test
