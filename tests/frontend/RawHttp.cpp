#include "RawHttp.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/String.h>

#include <stdexcept>

namespace agenthost::test {

RawHttp::RawHttp(std::uint16_t port) {
    socket_.connect(Poco::Net::SocketAddress("127.0.0.1", port), Poco::Timespan(5, 0));
    socket_.setNoDelay(true);
}

void RawHttp::send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size())
        sent += static_cast<std::size_t>(
            socket_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent)));
}

bool RawHttp::receiveSome(std::chrono::milliseconds timeout) {
    return !closed_ && receiveInto(socket_, received_, timeout, closed_);
}

bool receiveInto(Poco::Net::StreamSocket& socket, std::string& into,
                 std::chrono::milliseconds timeout, bool& closed) {
    if (!socket.poll(Poco::Timespan(timeout.count() * 1000), Poco::Net::Socket::SELECT_READ))
        return false;
    char buffer[16384];
    int n = 0;
    try {
        n = socket.receiveBytes(buffer, sizeof buffer);
    } catch (const Poco::Exception&) {
        n = 0;  // reset counts as closed
    }
    if (n <= 0) {
        closed = true;
        return false;
    }
    into.append(buffer, static_cast<std::size_t>(n));
    return true;
}

std::vector<RawResponse> RawHttp::read(std::size_t count, std::chrono::milliseconds timeout,
                                       std::size_t headRequests) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::size_t used = 0;
        auto responses = parseResponses(received_.substr(parsedUpTo_), &used, headRequests);
        if (responses.size() >= count || closed_) {
            parsedUpTo_ += used;
            return responses;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw std::runtime_error("no response in time: " + received_);
        receiveSome(left);
    }
}

bool RawHttp::closedWithin(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        receiveSome(left);
    }
    return true;
}

bool RawHttp::receives(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find(text) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (closed_ || left.count() <= 0) return false;
        receiveSome(left);
    }
    return true;
}

std::vector<RawResponse> parseResponses(const std::string& bytes, std::size_t* used,
                                        std::size_t headRequests) {
    std::vector<RawResponse> responses;
    std::size_t at = 0;
    for (;;) {
        const std::size_t end = bytes.find("\r\n\r\n", at);
        if (end == std::string::npos) break;
        RawResponse response;
        const std::string head = bytes.substr(at, end - at);
        std::size_t line = head.find("\r\n");
        const std::string statusLine = head.substr(0, line);
        if (statusLine.size() < 12) break;
        response.status = std::stoi(statusLine.substr(9, 3));
        while (line != std::string::npos) {
            const std::size_t next = head.find("\r\n", line + 2);
            const std::string field = head.substr(line + 2, next - line - 2);
            const std::size_t colon = field.find(':');
            if (colon != std::string::npos)
                response.headers[Poco::toLower(field.substr(0, colon))] =
                    Poco::trim(field.substr(colon + 1));
            line = next;
        }
        std::size_t length = 0;
        const bool hasBody = responses.size() >= headRequests && response.status != 101;
        if (hasBody && response.headers.count("content-length"))
            length = std::stoul(response.headers["content-length"]);
        if (bytes.size() < end + 4 + length) break;
        response.body = bytes.substr(end + 4, length);
        at = end + 4 + length;
        responses.push_back(std::move(response));
        if (responses.back().status == 101) break;  // WebSocket frames follow
    }
    if (used) *used = at;
    return responses;
}

std::string upgradeRequest(const std::string& path) {
    return "GET " + path +
           " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
}

std::string maskedTextFrame(const std::string& payload) {
    std::string frame;
    frame += static_cast<char>(0x81);
    frame += static_cast<char>(0x80 | payload.size());
    const char mask[4] = {0x11, 0x22, 0x33, 0x44};
    frame.append(mask, 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        frame += static_cast<char>(payload[i] ^ mask[i % 4]);
    return frame;
}

}  // namespace agenthost::test
