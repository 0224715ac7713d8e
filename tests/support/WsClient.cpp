#include "support/WsClient.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "support/Tls.h"

namespace agenthost::test {

using Poco::Net::WebSocket;

int Frame::closeCode() const {
    if (payload.size() < 2) return 1005;
    return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

std::string Reply::terminalType() const {
    return terminal ? terminal->getValue<std::string>("type") : "";
}

Poco::JSON::Object::Ptr parseJson(const std::string& text) {
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

WsClient::WsClient(std::uint16_t port, const std::string& path,
                   const std::map<std::string, std::string>& headers,
                   const std::string& sourceAddress)
    : session_(clientSession(port, sourceAddress)) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) request.set(name, value);
    if (!request.has("Host")) request.setHost("127.0.0.1", port);
    Poco::Net::HTTPResponse response;
    transport_ = session_->socket();  // the same socket (and TLS state) the WebSocket takes over
    socket_ = std::make_unique<WebSocket>(*session_, request, response);
    socket_->setReceiveTimeout(Poco::Timespan(5, 0));
}

WsClient::~WsClient() {
    if (dropped_) return;
    try {
        socket_->shutdown();
    } catch (...) {
    }
}

Poco::JSON::Object::Ptr WsClient::authenticate(const std::string& key) {
    sendText(key);
    return awaitReady();
}

Poco::JSON::Object::Ptr WsClient::awaitReady(std::chrono::milliseconds timeout) {
    const std::string answer = receiveText(timeout);
    if (answer != "authenticated") throw std::runtime_error("authentication failed: " + answer);
    auto ready = receiveJson(timeout);
    if (ready->getValue<std::string>("type") != "ready")
        throw std::runtime_error("expected the ready frame");
    return ready;
}

void WsClient::sendText(const std::string& text) {
    socket_->sendFrame(text.data(), static_cast<int>(text.size()), WebSocket::FRAME_TEXT);
}

void WsClient::sendMessage(const std::string& content) {
    Poco::JSON::Object message;
    message.set("content", content);
    std::ostringstream out;
    message.stringify(out);
    sendText(out.str());
}

void WsClient::sendBinary(const std::string& data) {
    socket_->sendFrame(data.data(), static_cast<int>(data.size()), WebSocket::FRAME_BINARY);
}

void WsClient::sendPing(const std::string& payload) {
    socket_->sendFrame(
        payload.data(), static_cast<int>(payload.size()),
        static_cast<int>(WebSocket::FRAME_FLAG_FIN) | static_cast<int>(WebSocket::FRAME_OP_PING));
}

void WsClient::sendFrame(const std::string& payload, int flags) {
    socket_->sendFrame(payload.data(), static_cast<int>(payload.size()), flags);
}

void WsClient::sendRaw(const std::string& bytes) {
    // Below the WebSocket layer: the bytes go out unframed.
    if (testsUseTls()) {  // through the TLS connection the WebSocket runs on
        for (std::size_t sent = 0; sent < bytes.size();)
            sent += static_cast<std::size_t>(
                transport_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent)));
        return;
    }
    Poco::Net::StreamSocket raw(*socket_);
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n =
            ::send(raw.impl()->sockfd(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Poco::Net::NetException("sendRaw: " + std::string(std::strerror(errno)));
        sent += static_cast<std::size_t>(n);
    }
}

void WsClient::close(int code) {
    socket_->shutdown(static_cast<Poco::UInt16>(code));
}

void WsClient::drop(bool reset) {
    dropped_ = true;
    try {
        if (reset) {
            socket_->setLinger(true, 0);
            socket_->close();
        } else {
            socket_->impl()->shutdown();
        }
    } catch (const Poco::Exception&) {
        // Already gone: that is what was asked for.
    }
}

std::optional<Frame> WsClient::receive(std::chrono::milliseconds timeout, bool returnPings) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        socket_->setReceiveTimeout(Poco::Timespan(left.count()));
        Poco::Buffer<char> buffer(0);
        int flags = 0;
        int n = 0;
        try {
            n = socket_->receiveFrame(buffer, flags);
        } catch (const Poco::TimeoutException&) {
            return std::nullopt;
        }
        Frame frame;
        frame.opcode = flags & WebSocket::FRAME_OP_BITMASK;
        frame.payload.assign(buffer.begin(), static_cast<std::size_t>(n));
        if (n == 0 && flags == 0) {  // connection closed without a Close frame
            frame.opcode = 0x8;
            frame.payload.clear();
            return frame;
        }
        if (frame.opcode == WebSocket::FRAME_OP_PING && !returnPings) {
            socket_->sendFrame(frame.payload.data(), static_cast<int>(frame.payload.size()),
                               static_cast<int>(WebSocket::FRAME_FLAG_FIN) |
                                   static_cast<int>(WebSocket::FRAME_OP_PONG));
            continue;
        }
        return frame;
    }
}

std::string WsClient::receiveText(std::chrono::milliseconds timeout) {
    auto frame = receive(timeout);
    if (!frame) throw std::runtime_error("timed out waiting for a frame");
    if (!frame->isText())
        throw std::runtime_error(
            "expected a text frame, got opcode " + std::to_string(frame->opcode) +
            (frame->isClose() ? " (close " + std::to_string(frame->closeCode()) + ")" : ""));
    return frame->payload;
}

Poco::JSON::Object::Ptr WsClient::receiveJson(std::chrono::milliseconds timeout) {
    return parseJson(receiveText(timeout));
}

int WsClient::waitForClose(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::optional<Frame> frame;
        try {
            frame = receive(std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now()));
        } catch (const Poco::Exception&) {
            return -1;  // reset
        }
        if (!frame) return -1;
        if (frame->isClose()) return frame->payload.empty() ? -1 : frame->closeCode();
    }
    return -1;
}

Reply WsClient::chat(const std::string& content, std::chrono::milliseconds timeout) {
    sendMessage(content);
    return readReply(timeout);
}

Reply WsClient::readReply(std::chrono::milliseconds timeout) {
    Reply reply;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto frame = receiveJson(left);
        reply.frames.push_back(frame);
        const std::string type = frame->getValue<std::string>("type");
        if (type == "message") reply.text += frame->getValue<std::string>("content");
        if (type == "complete" || type == "error") {
            reply.terminal = frame;
            return reply;
        }
    }
}

std::vector<Poco::JSON::Object::Ptr> WsClient::readUntil(const FramePredicate& done,
                                                         std::chrono::milliseconds timeout) {
    std::vector<Poco::JSON::Object::Ptr> frames;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        try {
            frames.push_back(receiveJson(std::max(left, std::chrono::milliseconds(1))));
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string(e.what()) + " after " +
                                     std::to_string(frames.size()) +
                                     " frames: " + describeFrames(frames));
        }
        if (done(frames.back())) return frames;
    }
}

std::string describeFrames(const std::vector<Poco::JSON::Object::Ptr>& frames) {
    // One entry per run of frames that differ only in seq: "message#2..#901(900)".
    std::string text;
    std::size_t i = 0;
    while (i < frames.size()) {
        const auto& frame = frames[i];
        std::string kind = frame->optValue<std::string>("type", "?");
        if (frame->has("code")) kind += "(" + frame->getValue<std::string>("code") + ")";
        const std::string replay = frame->optValue<bool>("replay", false) ? "r" : "";
        std::size_t end = i + 1;
        while (end < frames.size() && frames[end]->optValue<std::string>("type", "?") == kind &&
               frames[end]->optValue<bool>("replay", false) == !replay.empty())
            ++end;
        auto seq = [](const Poco::JSON::Object::Ptr& f) {
            return f->has("seq") ? "#" + f->get("seq").toString() : std::string();
        };
        if (!text.empty()) text += " ";
        text += kind + seq(frame) + replay;
        if (end - i > 1 && frame->has("seq")) text += ".." + seq(frames[end - 1]) + replay;
        if (end - i > 1) text += "(" + std::to_string(end - i) + ")";
        i = end;
    }
    return text;
}

HttpResult upgradeAttempt(std::uint16_t port, const std::string& path,
                          const std::map<std::string, std::string>& headers,
                          const std::string& sourceAddress) {
    auto session = clientSession(port, sourceAddress);
    session->setTimeout(Poco::Timespan(5, 0));
    session->setKeepAlive(true);  // else "Connection: Upgrade" becomes "Connection: close"
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setHost("127.0.0.1", port);
    request.set("Connection", "Upgrade");
    request.set("Upgrade", "websocket");
    request.set("Sec-WebSocket-Version", "13");
    request.set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    for (const auto& [name, value] : headers) request.set(name, value);
    session->sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    HttpResult result;
    result.status = response.getStatus();
    for (const auto& [name, value] : response) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        result.headers[lower] = value;
    }
    if (result.status != 101) Poco::StreamCopier::copyToString(in, result.body);
    return result;
}

int handshakeStatus(std::uint16_t port, const std::string& path,
                    const std::map<std::string, std::string>& headers, bool upgrade,
                    std::string* body) {
    const HttpResult result =
        upgrade ? upgradeAttempt(port, path, headers) : httpRequest(port, "GET", path, headers);
    if (body && result.status != 101) *body = result.body;
    return result.status;
}

}  // namespace agenthost::test
