#include "ClientConnection.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
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
                                   const std::string& key, std::unique_ptr<TlsClient> tls)
    : fd_(fd),
      tls_(std::move(tls)),
      key_(key),
      outbound_(upgradeRequest),
      decoder_(kMaxServerMessage, false),
      sentAt_(Clock::now()) {}

ClientConnection::~ClientConnection() {
    close();
}

void ClientConnection::close() {
    tls_.reset();
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
        if (!tls_) {
            phase_ = Phase::Upgrading;  // the upgrade request is already in outbound_
        } else {
            phase_ = Phase::TlsHandshake;
            return continueHandshake();
        }
    }
    if (phase_ == Phase::TlsHandshake) return continueHandshake();
    if (phase_ == Phase::TlsClosing) return onClosingBytes();
    // Over TLS, a read may be what a pending write waits for (and the reverse).
    if ((events & EPOLLOUT) || (tls_ && !outbound_.empty())) {
        if (auto event = onWritable(); event != Event::None) return event;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) return onReadable();
    return Event::None;
}

ClientConnection::Event ClientConnection::continueHandshake() {
    switch (tls_->handshake()) {
        case TlsClient::Step::Again:
            return Event::None;
        case TlsClient::Step::Failed:
            return fail("TLS handshake: " + tls_->error());
        case TlsClient::Step::Done:
            break;
    }
    if (handshakeOnly_) {
        tls_->shutdown();
        phase_ = Phase::TlsClosing;
        return onClosingBytes();
    }
    return onConnected();
}

// Edge triggered: the bytes that arrived with the end of the handshake raise no new event,
// so the request is sent and the socket read right away.
ClientConnection::Event ClientConnection::onConnected() {
    phase_ = Phase::Upgrading;
    if (auto event = onWritable(); event != Event::None) return event;
    return onReadable();
}

ClientConnection::Event ClientConnection::onClosingBytes() {
    char buffer[4096];
    for (;;) {
        const ssize_t n = receiveSome(buffer, sizeof buffer);
        if (n > 0) continue;  // nothing is expected; whatever comes is dropped
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Event::None;
        break;  // the server hung up (or reset): its side is over
    }
    close();
    phase_ = Phase::Ready;
    return Event::HandshakeDone;
}

ssize_t ClientConnection::receiveSome(char* buffer, std::size_t size) {
    if (tls_) return tls_->read(buffer, size);
    return ::recv(fd_, buffer, size, 0);
}

ssize_t ClientConnection::sendSome(const char* data, std::size_t size) {
    if (tls_) return tls_->write(data, size);
    return ::send(fd_, data, size, MSG_NOSIGNAL);
}

std::string ClientConnection::ioError(const char* what) const {
    if (tls_ && errno == EPROTO) return std::string(what) + ": " + tls_->error();
    return std::string(what) + ": " + std::strerror(errno);
}

ClientConnection::Event ClientConnection::onWritable() {
    while (outboundOffset_ < outbound_.size()) {
        const ssize_t n =
            sendSome(outbound_.data() + outboundOffset_, outbound_.size() - outboundOffset_);
        if (n > 0) {
            outboundOffset_ += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return Event::None;  // the next EPOLLOUT edge continues
        } else {
            return fail(ioError("send"));
        }
    }
    outbound_.clear();
    outboundOffset_ = 0;
    return Event::None;
}

ClientConnection::Event ClientConnection::queue(std::string bytes) {
    outbound_.append(bytes);
    if (phase_ < Phase::Upgrading) return Event::None;  // sent once connected
    return onWritable();
}

ClientConnection::Event ClientConnection::onReadable() {
    char buffer[16 * 1024];
    Event result = Event::None;
    while (phase_ != Phase::Failed) {
        const ssize_t n = receiveSome(buffer, sizeof buffer);
        if (n == 0) return fail("the server closed the connection");
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return fail(ioError("recv"));
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
    // A replay is thousands of frames: only their seq is read, so that the client's own
    // parsing weighs as little as possible on the time measured.
    if (phase_ == Phase::Replaying && replayLast_ >= 0) return onReplayed(text);
    Poco::JSON::Object::Ptr frame;
    try {
        frame = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        return fail("not a JSON object: " + text);
    }
    const std::string type = frame->optValue<std::string>("type", "");
    if (phase_ == Phase::Authenticating) {
        if (type != "ready") return fail("expected the ready frame, got: " + text);
        conversationId_ = frame->optValue<std::string>("conversation_id", "");
        return onReady(text, frame->optValue<std::int64_t>("last_seq", -1));
    }
    if (phase_ == Phase::Replaying) {
        if (type != "resumed") return fail("expected the resumed frame, got: " + text);
        return startReplay(frame->optValue<std::int64_t>("last_seq", -1));
    }
    if (phase_ != Phase::AwaitingReply) return fail("unexpected frame while idle: " + text);
    if (type == "user" && protocol_ == 2) return Event::None;  // the turn's acknowledgment
    if (type == "message") {
        received_ += frame->optValue<std::string>("content", "");
        return Event::None;
    }
    if (type != "complete") return fail("expected message or complete, got: " + text);
    if (received_ != expected_) return fail("the echo differs from the message sent");
    phase_ = Phase::Ready;
    return Event::RoundTripDone;
}

ClientConnection::Event ClientConnection::onReady(const std::string& text, std::int64_t lastSeq) {
    phase_ = Phase::Ready;
    if (!replayAfterReady_) return Event::BecameReady;
    if (conversationId_.empty()) return fail("the ready frame names no conversation: " + text);
    phase_ = Phase::Replaying;
    return startReplay(lastSeq);
}

ClientConnection::Event ClientConnection::startReplay(std::int64_t lastSeq) {
    if (lastSeq < afterSeq_)
        return fail("last_seq " + std::to_string(lastSeq) + " is below after_seq " +
                    std::to_string(afterSeq_) + " (was the resume refused?)");
    replayed_ = 0;
    replayLast_ = lastSeq;
    if (lastSeq > afterSeq_) return Event::None;
    phase_ = Phase::Ready;  // nothing to replay
    replayLast_ = -1;
    return Event::ReplayDone;
}

ClientConnection::Event ClientConnection::onReplayed(const std::string& text) {
    // "seq" is the last field but one of a stored frame ("replay" follows it); anything that
    // looks like it inside the content is escaped, so the last match is the field.
    const auto at = text.rfind("\"seq\":");
    std::int64_t seq = -1;
    if (at != std::string::npos)
        std::from_chars(text.data() + at + 6, text.data() + text.size(), seq);
    if (seq != afterSeq_ + replayed_ + 1)
        return fail("replayed frame out of order (expected seq " +
                    std::to_string(afterSeq_ + replayed_ + 1) + "): " + text.substr(0, 200));
    if (text.find("\"replay\":true", at) == std::string::npos)
        return fail("a frame of the replay without \"replay\":true: " + text.substr(0, 200));
    ++replayed_;
    if (seq < replayLast_) return Event::None;
    phase_ = Phase::Ready;
    replayLast_ = -1;
    return Event::ReplayDone;
}

void ClientConnection::expectReplayAfterReady(std::int64_t afterSeq) {
    replayAfterReady_ = true;
    afterSeq_ = afterSeq;
}

ClientConnection::Event ClientConnection::sendResume(const std::string& conversationId,
                                                     std::int64_t afterSeq) {
    afterSeq_ = afterSeq;
    replayLast_ = -1;
    replayed_ = 0;
    phase_ = Phase::Replaying;
    sentAt_ = Clock::now();
    return queue(clientText("{\"type\":\"resume\",\"conversation_id\":\"" + conversationId +
                            "\",\"after_seq\":" + std::to_string(afterSeq) + "}"));
}

ClientConnection::Event ClientConnection::sendMessage(const std::string& content,
                                                      const std::string& frameJson) {
    expected_.clear();
    for (std::size_t i = 0; i < repeat_; ++i) expected_ += content;
    received_.clear();
    phase_ = Phase::AwaitingReply;
    sentAt_ = Clock::now();
    return queue(clientText(frameJson));
}

}  // namespace agenthost::bench
