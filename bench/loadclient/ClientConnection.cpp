#include "ClientConnection.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace agenthost::bench {
namespace {

constexpr std::size_t kMaxServerMessage = 1 << 20;
constexpr std::size_t kMaxHandshakeBytes = 16 * 1024;

// Client frames must be masked (RFC 6455 5.3); the masks need not be strong for a benchmark.
const std::uint8_t* nextMask() {
    thread_local std::uint32_t state = 0x9e3779b9u;
    thread_local std::uint8_t mask[4];
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    std::memcpy(mask, &state, sizeof mask);
    return mask;
}

std::string clientText(std::string_view payload) {
    return ws::encodeFrame(ws::Opcode::Text, payload, true, nextMask());
}

}  // namespace

ClientConnection::ClientConnection(int fd, const std::string& upgradeRequest,
                                   const std::string& key)
    : fd_(fd), key_(key), outbound_(upgradeRequest), decoder_(kMaxServerMessage, false) {}

ClientConnection::~ClientConnection() {
    close();
}

void ClientConnection::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

ClientConnection::Event ClientConnection::fail(std::string why) {
    if (phase_ == Phase::Failed) return Event::None;
    phase_ = Phase::Failed;
    error_ = std::move(why);
    close();
    return Event::Failed;
}

ClientConnection::Event ClientConnection::onEvents(std::uint32_t events) {
    if (phase_ == Phase::Failed) return Event::None;
    if (phase_ == Phase::Connecting) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return Event::None;
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) return fail(std::string("connect: ") + std::strerror(error));
        phase_ = Phase::Upgrading;  // the upgrade request is already in outbound_
    }
    if (events & EPOLLOUT) {
        if (auto event = onWritable(); event != Event::None) return event;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) return onReadable();
    return Event::None;
}

ClientConnection::Event ClientConnection::onWritable() {
    while (outboundOffset_ < outbound_.size()) {
        const ssize_t n = ::send(fd_, outbound_.data() + outboundOffset_,
                                 outbound_.size() - outboundOffset_, MSG_NOSIGNAL);
        if (n > 0) {
            outboundOffset_ += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return Event::None;  // the next EPOLLOUT edge continues
        } else {
            return fail(std::string("send: ") + std::strerror(errno));
        }
    }
    outbound_.clear();
    outboundOffset_ = 0;
    return Event::None;
}

ClientConnection::Event ClientConnection::queue(std::string bytes) {
    outbound_.append(bytes);
    if (phase_ == Phase::Connecting) return Event::None;
    return onWritable();
}

ClientConnection::Event ClientConnection::onReadable() {
    char buffer[16 * 1024];
    Event result = Event::None;
    while (phase_ != Phase::Failed) {
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n == 0) return fail("the server closed the connection");
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return fail(std::string("recv: ") + std::strerror(errno));
        }
        const auto size = static_cast<std::size_t>(n);
        const Event event =
            phase_ == Phase::Upgrading ? onHandshakeBytes(buffer, size) : onFrames(buffer, size);
        if (event == Event::Failed) return event;
        if (event != Event::None) result = event;
    }
    return result;
}

ClientConnection::Event ClientConnection::onHandshakeBytes(const char* data, std::size_t size) {
    handshake_.append(data, size);
    const auto end = handshake_.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (handshake_.size() > kMaxHandshakeBytes) return fail("handshake response too long");
        return Event::None;
    }
    if (handshake_.rfind("HTTP/1.1 101", 0) != 0)
        return fail("upgrade refused: " + handshake_.substr(0, handshake_.find("\r\n")));
    const std::string rest = handshake_.substr(end + 4);
    handshake_.clear();
    handshake_.shrink_to_fit();
    phase_ = Phase::Authenticating;
    if (queue(clientText(key_)) == Event::Failed) return Event::Failed;
    return rest.empty() ? Event::None : onFrames(rest.data(), rest.size());
}

ClientConnection::Event ClientConnection::onFrames(const char* data, std::size_t size) {
    std::vector<ws::Message> messages;
    if (const auto code = decoder_.feed(data, size, messages); code != 0)
        return fail("bad frame from the server (close code " + std::to_string(code) + ")");
    Event result = Event::None;
    for (const auto& message : messages) {
        const Event event = onMessage(message);
        if (event == Event::Failed) return event;
        if (event != Event::None) result = event;
    }
    return result;
}

ClientConnection::Event ClientConnection::onMessage(const ws::Message& message) {
    switch (message.opcode) {
        case ws::Opcode::Text:
            return onText(message.payload);
        case ws::Opcode::Ping:
            return queue(ws::encodeFrame(ws::Opcode::Pong, message.payload, true, nextMask()));
        case ws::Opcode::Close:
            return fail("the server sent Close " +
                        std::to_string(ws::closeCodeOf(message.payload)));
        default:
            return Event::None;
    }
}

ClientConnection::Event ClientConnection::onText(const std::string& text) {
    if (phase_ == Phase::Authenticating && !authenticated_) {
        if (text != "authenticated") return fail("authentication answered: " + text);
        authenticated_ = true;
        return Event::None;
    }
    Poco::JSON::Object::Ptr frame;
    try {
        frame = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        return fail("not a JSON object: " + text);
    }
    const std::string type = frame->optValue<std::string>("type", "");
    if (phase_ == Phase::Authenticating) {
        if (type != "ready") return fail("expected the ready frame, got: " + text);
        phase_ = Phase::Ready;
        return Event::BecameReady;
    }
    if (phase_ != Phase::AwaitingReply) return fail("unexpected frame while idle: " + text);
    if (type == "message") {
        received_ += frame->optValue<std::string>("content", "");
        return Event::None;
    }
    if (type != "complete") return fail("expected message or complete, got: " + text);
    if (received_ != expected_) return fail("the echo differs from the message sent");
    phase_ = Phase::Ready;
    return Event::RoundTripDone;
}

ClientConnection::Event ClientConnection::sendMessage(const std::string& content,
                                                      const std::string& frameJson) {
    expected_ = content;
    received_.clear();
    phase_ = Phase::AwaitingReply;
    sentAt_ = Clock::now();
    return queue(clientText(frameJson));
}

}  // namespace agenthost::bench
