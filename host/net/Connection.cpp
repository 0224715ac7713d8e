#include "net/Connection.h"

#include <Poco/Logger.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "net/EventLoop.h"
#include "net/TlsContext.h"

namespace agenthost::net {
namespace {

constexpr auto kCloseHandshakeTimeout = std::chrono::seconds(2);
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kMaxReadsPerEvent = 4;  // then let other connections have the loop
// WebSocket messages one connection gets handled per turn of the loop; the rest of its bytes
// wait (in the decoder, then in the kernel, which pushes back on the sender) until the loop has
// been round every other ready connection. One flooding client then delays the others by a
// turn, not by its whole backlog.
constexpr std::size_t kMessagesPerTurn = 32;
// And at most this many of its bytes decoded per turn (frames of any kind, control frames and
// fragments included, at least one frame): 32 large messages, or a stream of frames that make
// no message, are not a turn's work either.
constexpr std::size_t kBytesPerTurn = 256 * 1024;

#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_NOSIGNAL;
#else
constexpr int kSendFlags = 0;
#endif

Poco::Logger& log() {
    return Poco::Logger::get("agenthost.net");
}

// A plain HTTP request sent to the TLS port gets a plain answer it can read, then the close.
const std::string& plainHttpToTlsPort() {
    static const std::string answer = [] {
        const std::string body =
            R"({"error":"tls_required","message":"this port speaks HTTPS and wss:// only"})";
        return "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }();
    return answer;
}

std::string tlsError() {
    const unsigned long code = ERR_peek_last_error();
    char text[256] = "connection closed";
    if (code != 0) ERR_error_string_n(code, text, sizeof text);
    return text;
}

}  // namespace

Connection::Budget::Budget() : messages(kMessagesPerTurn), bytes(kBytesPerTurn) {}

Connection::Connection(Poco::Net::StreamSocket socket, EventLoop& loop, ConnectionLimits limits,
                       std::shared_ptr<const TlsContext> tls)
    : socket_(std::move(socket)), loop_(loop), limits_(limits), decoder_(limits.maxMessageBytes) {
    try {
        const auto address = socket_.peerAddress();
        peer_ = address.toString();
        peerHost_ = address.host().toString();
    } catch (const Poco::Exception&) {
        peer_ = peerHost_ = "unknown";
    }
    socket_.setBlocking(false);
    socket_.setNoDelay(true);
    const auto now = Clock::now();
    lastInbound_ = lastPing_ = lastWriteProgress_ = now;
    if (tls) {
        ssl_ = SSL_new(tls->get());  // holds a reference to the context
        if (ssl_ == nullptr || SSL_set_fd(ssl_, socket_.impl()->sockfd()) != 1) {
            dead_ = true;
            log().error("cannot set up TLS for " + peer_ + ": " + tlsError());
            return;
        }
        SSL_set_accept_state(ssl_);
        handshaking_ = true;
        handshakeDeadline_ = now + limits_.tlsHandshakeTimeout;
    }
}

Connection::~Connection() {
    SSL_free(ssl_);
}

ssize_t Connection::receiveLocked(char* buffer, std::size_t size) {
    if (ssl_ == nullptr) {
        const ssize_t n = ::recv(socket_.impl()->sockfd(), buffer, size, 0);
        if (n > 0) return n;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
        return -1;  // EOF or reset
    }
    if (handshaking_ && (!handshakeLocked() || handshaking_)) return dead_ ? -1 : 0;
    ERR_clear_error();
    const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
    if (n > 0) return n;
    switch (SSL_get_error(ssl_, n)) {
        case SSL_ERROR_WANT_READ:
            return 0;
        case SSL_ERROR_WANT_WRITE:
            tlsWantsWrite_ = true;
            armWriteLocked(true);
            return 0;
        default:
            return -1;  // close_notify, EOF or a TLS error
    }
}

ssize_t Connection::transmitLocked(const char* data, std::size_t size) {
    if (ssl_ == nullptr) {
        const ssize_t n = ::send(socket_.impl()->sockfd(), data, size, kSendFlags);
        if (n > 0) return n;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
        return -1;
    }
    if (handshaking_) return 0;  // sent once the handshake is done
    ERR_clear_error();
    const int n = SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 20)));
    if (n > 0) return n;
    const int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) return 0;
    return -1;
}

bool Connection::handshakeLocked() {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_);
    if (result == 1) {
        handshaking_ = false;
        tlsWantsWrite_ = false;
        armWriteLocked(outboundOffset_ < outbound_.size());
        return true;
    }
    const int error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        tlsWantsWrite_ = error == SSL_ERROR_WANT_WRITE;
        armWriteLocked(tlsWantsWrite_);
        return true;
    }
    if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_HTTP_REQUEST)
        ::send(socket_.impl()->sockfd(), plainHttpToTlsPort().data(), plainHttpToTlsPort().size(),
               kSendFlags);
    log().information("TLS handshake with " + peer_ + " failed: " + tlsError());
    ERR_clear_error();
    dead_ = true;
    return false;
}

void Connection::endWritingLocked() {
    writeShutDown_ = true;
    if (ssl_ != nullptr && !handshaking_) {
        ERR_clear_error();
        SSL_shutdown(ssl_);  // close_notify; the peer's is not waited for
    }
    ::shutdown(socket_.impl()->sockfd(), SHUT_WR);
}

bool Connection::sendText(std::string_view payload) {
    std::lock_guard<std::mutex> lock(ioMutex_);
    if (closeQueued_ || dead_) return false;
    return queueFrameLocked(ws::Opcode::Text, payload, Clock::now());
}

std::size_t Connection::unsentBytes() {
    std::lock_guard<std::mutex> lock(ioMutex_);
    return outbound_.size() - outboundOffset_;
}

void Connection::close(std::uint16_t code, std::string_view reason) {
    queueClose(code, reason, false);
}

void Connection::closeAndHangUp(std::uint16_t code, std::string_view reason) {
    queueClose(code, reason, true);
}

void Connection::queueClose(std::uint16_t code, std::string_view reason, bool hangUp) {
    std::lock_guard<std::mutex> lock(ioMutex_);
    if (closeQueued_ || dead_) return;
    closeQueued_ = true;
    hangUpAfterClose_ = hangUp;
    closeQueuedAt_ = Clock::now();
    queueLocked(ws::encodeClose(code, reason), closeQueuedAt_);
}

void Connection::abort(const std::string& why) {
    {
        std::lock_guard<std::mutex> lock(ioMutex_);
        if (dead_) return;
        dead_ = true;
    }
    log().information("dropping connection from " + peer_ + ": " + why);
    loop_.attention(shared_from_this());
}

void Connection::sendRaw(std::string_view bytes) {
    std::lock_guard<std::mutex> lock(ioMutex_);
    if (closeQueued_ || dead_) return;
    queueLocked(bytes, Clock::now());
}

void Connection::closeAfterSending() {
    std::lock_guard<std::mutex> lock(ioMutex_);
    if (closeQueued_ || dead_) return;
    closeQueued_ = true;
    closeAfterSending_ = true;
    closeQueuedAt_ = Clock::now();
    flushLocked(closeQueuedAt_);
}

void Connection::upgrade(std::shared_ptr<ConnectionHandler> handler, std::string_view leftover,
                         Clock::time_point now) {
    handler_ = std::move(handler);
    stream_.reset();
    upgraded_ = true;
    loop_.webSocketOpened();
    lastInbound_ = lastPing_ = now;
    // Pending before the leftover is read: a key in it takes the connection out again.
    if (!keyAccepted_.load()) loop_.pendingAuth().add(shared_from_this());
    if (!leftover.empty()) {
        Budget budget;
        feedDecoder(leftover.data(), leftover.size(), budget, now);
    }
}

void Connection::keyAccepted() {
    if (keyAccepted_.exchange(true)) return;
    loop_.keyAccepted(shared_from_this());
}

bool Connection::reserveLocked(std::size_t size, Clock::time_point now) {
    if (outbound_.size() - outboundOffset_ + size > limits_.maxOutboundBytes) {
        dead_ = true;
        log().warning("dropping slow client " + peer_ + ": more than " +
                      std::to_string(limits_.maxOutboundBytes) + " bytes waiting to be sent");
        loop_.attention(shared_from_this());
        return false;
    }
    if (outbound_.size() == outboundOffset_) {
        outbound_.clear();
        outboundOffset_ = 0;
        lastWriteProgress_ = now;  // the stall clock starts when bytes start waiting
    }
    return true;
}

bool Connection::queueLocked(std::string_view bytes, Clock::time_point now) {
    if (!reserveLocked(bytes.size(), now)) return false;
    outbound_.append(bytes);
    if (batches_ == 0) flushLocked(now);
    return true;
}

bool Connection::queueFrameLocked(ws::Opcode opcode, std::string_view payload,
                                  Clock::time_point now) {
    // The frame is written straight into the outbound buffer: no frame-sized temporary.
    if (!reserveLocked(payload.size() + ws::headerSize(payload.size()), now)) return false;
    ws::appendFrame(outbound_, opcode, payload);
    if (batches_ == 0) flushLocked(now);
    return true;
}

Connection::Batch::Batch(Connection& connection) : connection_(connection) {
    std::lock_guard<std::mutex> lock(connection_.ioMutex_);
    ++connection_.batches_;
}

Connection::Batch::~Batch() {
    std::lock_guard<std::mutex> lock(connection_.ioMutex_);
    if (--connection_.batches_ == 0) connection_.flushLocked(Clock::now());
}

void Connection::flushLocked(Clock::time_point now) {
    if (handshaking_) return;  // the handshake drives the socket until it is done
    while (outboundOffset_ < outbound_.size() && !dead_ && !finalized_) {
        const ssize_t n =
            transmitLocked(outbound_.data() + outboundOffset_, outbound_.size() - outboundOffset_);
        if (n > 0) {
            outboundOffset_ += static_cast<std::size_t>(n);
            lastWriteProgress_ = now;
            continue;
        }
        if (n == 0) break;
        dead_ = true;  // peer reset or gone; the loop finalizes
        loop_.attention(shared_from_this());
        return;
    }
    if (outboundOffset_ == outbound_.size()) {
        outbound_.clear();
        outboundOffset_ = 0;
        if (outbound_.capacity() > 64 * 1024) outbound_.shrink_to_fit();
    }
    armWriteLocked(outboundOffset_ < outbound_.size() || tlsWantsWrite_);
    if (closeAfterSending_ && outbound_.empty() && !writeShutDown_) endWritingLocked();
    if (closeQueued_ && outbound_.empty() && (peerClosed_ || hangUpAfterClose_)) {
        dead_ = true;  // both Close frames exchanged, or ours is sent and we hang up
        loop_.attention(shared_from_this());
    }
}

void Connection::armWriteLocked(bool armed) {
    if (!registered_ || finalized_ || armed == writeArmed_) return;
    loop_.setWriteInterest(socket_, armed);
    writeArmed_ = armed;
}

void Connection::registered() {
    std::lock_guard<std::mutex> lock(ioMutex_);
    registered_ = true;
    armWriteLocked(outboundOffset_ < outbound_.size());
}

void Connection::onReadable(Clock::time_point now) {
    Budget budget;
    // What the last turn left in the decoder goes first; while some is left, nothing more is read.
    if (upgraded_ && !feedDecoder(nullptr, 0, budget, now)) return;
    char buffer[kReadChunk];
    for (int i = 0; i < kMaxReadsPerEvent; ++i) {
        ssize_t n;
        {
            std::lock_guard<std::mutex> lock(ioMutex_);
            if (dead_ || finalized_) return;
            n = receiveLocked(buffer, sizeof buffer);
            if (n < 0) {
                dead_ = true;
                return;
            }
        }
        if (n == 0) break;
        lastInbound_ = now;
        if (stream_) {
            // HTTP: once the answer that closes the connection is queued, what follows is
            // dropped. The handler may upgrade the connection, so hold it while it runs.
            if (!closeAfterSending_) {
                auto stream = stream_;
                stream->onBytes(*this, std::string_view(buffer, static_cast<std::size_t>(n)), now);
            }
        } else if (!feedDecoder(buffer, static_cast<std::size_t>(n), budget, now)) {
            return;
        }
        // A short plain read emptied the socket; TLS returns one record per read, so it reads
        // on until OpenSSL says it would block.
        if (ssl_ == nullptr && static_cast<std::size_t>(n) < sizeof buffer) break;
    }
}

bool Connection::feedDecoder(const char* data, std::size_t size, Budget& budget,
                             Clock::time_point now) {
    // A failed connection's bytes are read and dropped (RFC 6455 7.1.7): feeding them to the
    // decoder would buffer all of them, however large, until the close times out.
    if (failed_) return true;
    // The vector (its capacity) is reused turn after turn; taken out while the messages are
    // handled, so that nothing they call can see it half used.
    std::vector<ws::Message> messages = std::move(decoded_);
    messages.clear();
    const std::uint16_t code = decoder_.feed(data, size, messages, budget.messages, budget.bytes);
    budget.messages -= messages.size();
    budget.bytes -= std::min(budget.bytes, decoder_.lastDecodedBytes());
    {
        Batch answers(*this);  // what they answer at once leaves in one write
        for (auto& m : messages) dispatch(m, now);
    }
    messages.clear();  // keeps the capacity
    decoded_ = std::move(messages);
    if (code != 0) {
        failed_ = true;
        failProtocol(code);
        return true;
    }
    if (budget.messages > 0 && budget.bytes > 0 && !decoder_.backlog()) return true;
    loop_.readAgain(shared_from_this());  // this turn's share is used up: more next turn
    return false;
}

void Connection::dispatch(ws::Message& message, Clock::time_point now) {
    switch (message.opcode) {
        case ws::Opcode::Text:
            if (handler_ && !closing()) handler_->onText(std::move(message.payload));
            break;
        case ws::Opcode::Binary:
            if (handler_ && !closing()) handler_->onBinary();
            break;
        case ws::Opcode::Ping: {
            std::lock_guard<std::mutex> lock(ioMutex_);
            if (!closeQueued_ && !dead_) queueFrameLocked(ws::Opcode::Pong, message.payload, now);
            break;
        }
        case ws::Opcode::Close: {
            std::lock_guard<std::mutex> lock(ioMutex_);
            peerClosed_ = true;
            if (!closeQueued_) {  // answer with the peer's code, then hang up
                closeQueued_ = true;
                closeQueuedAt_ = now;
                std::uint16_t code = ws::closeCodeOf(message.payload);
                if (code == 1005) code = ws::close_code::kNormal;
                queueLocked(ws::encodeClose(code, ""), now);
            } else {
                flushLocked(now);
            }
            break;
        }
        default:
            break;  // Pong: liveness only, recorded in lastInbound_
    }
}

bool Connection::closing() {
    std::lock_guard<std::mutex> lock(ioMutex_);
    return closeQueued_ || dead_;
}

void Connection::failProtocol(std::uint16_t code) {
    const char* reason = code == ws::close_code::kMessageTooBig    ? "message too big"
                         : code == ws::close_code::kInvalidPayload ? "invalid UTF-8"
                                                                   : "protocol error";
    log().information("closing " + peer_ + ": " + reason);
    // RFC 6455 7.1.7: a failed connection is owed no close handshake. Our Close goes out, then
    // the write side is shut down (the TCP close the peer waits for), and what the peer still
    // sends is read and dropped until it closes (or the close timeout passes), so that the
    // Close is not lost to a reset.
    std::lock_guard<std::mutex> lock(ioMutex_);
    if (dead_) return;
    const auto now = Clock::now();
    if (!closeQueued_) {
        closeQueued_ = true;
        closeQueuedAt_ = now;
        const std::string frame = ws::encodeClose(code, reason);
        if (!reserveLocked(frame.size(), now)) return;
        outbound_.append(frame);
    }
    closeAfterSending_ = true;
    flushLocked(now);
}

void Connection::onWritable(Clock::time_point now) {
    std::lock_guard<std::mutex> lock(ioMutex_);
    if (handshaking_ && !handshakeLocked()) return;
    tlsWantsWrite_ = false;
    flushLocked(now);
}

void Connection::tickSoon() {
    loop_.tickSoon(shared_from_this());
}

void Connection::onTick(Clock::time_point now) {
    if (stream_ && !closeAfterSending_) {
        auto stream = stream_;
        stream->onTick(*this, now);
    }
    const Clock::rep deadline = deadline_.load();
    if (deadline != 0 && now.time_since_epoch().count() >= deadline) {
        clearDeadline();
        if (handler_) handler_->onDeadline();
    }
    std::lock_guard<std::mutex> lock(ioMutex_);
    if (dead_ || finalized_) return;
    if (handshaking_ && now > handshakeDeadline_) {
        dead_ = true;
        log().information("dropping " + peer_ + ": no TLS handshake within the time limit");
        return;
    }
    if (outboundOffset_ < outbound_.size() && now - lastWriteProgress_ > limits_.sendTimeout) {
        dead_ = true;
        log().warning("dropping " + peer_ + ": it accepted no data within the send timeout");
        return;
    }
    if (closeQueued_) {
        if (now - closeQueuedAt_ > kCloseHandshakeTimeout) dead_ = true;
        return;
    }
    if (!upgraded_) return;  // the HTTP front end keeps its own time limits
    if (now - lastInbound_ > 2 * limits_.pingInterval) {
        dead_ = true;
        log().information("dropping " + peer_ + ": no answer to pings");
        return;
    }
    if (now - lastPing_ >= limits_.pingInterval) {
        lastPing_ = now;
        queueFrameLocked(ws::Opcode::Ping, "", now);
    }
}

void Connection::onShutdown() {
    if (handler_) {
        handler_->onShutdown();
        return;
    }
    std::lock_guard<std::mutex> lock(ioMutex_);
    dead_ = true;  // still reading a request head (or idle between requests): just hang up
}

bool Connection::finished() {
    std::lock_guard<std::mutex> lock(ioMutex_);
    return dead_;
}

void Connection::finalize() {
    {
        std::lock_guard<std::mutex> lock(ioMutex_);
        if (finalized_) return;
        finalized_ = true;
        dead_ = true;
        try {
            if (registered_) loop_.removeFromPollSet(socket_);
            socket_.close();
        } catch (const Poco::Exception&) {
        }
        outbound_.clear();
        outbound_.shrink_to_fit();
        SSL_free(ssl_);
        ssl_ = nullptr;
    }
    stream_.reset();
    if (upgraded_) loop_.webSocketClosed();
    if (auto handler = std::move(handler_)) handler->onClosed();
}

}  // namespace agenthost::net
