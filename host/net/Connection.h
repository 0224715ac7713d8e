// One client connection, from accept to close: first the HTTP front end reads request heads
// from it (as raw bytes, through a StreamHandler), then, after an upgrade, the same object is a
// WebSocket connection framed with WsCodec.
//
// Threading: the event loop reads and services the connection; any thread may send or close
// it. Every operation on the socket, and the outbound buffer, happen under ioMutex_, so the
// socket is used by one thread at a time (as TLS will require). Sends never block: bytes the
// kernel does not take at once wait in the outbound buffer, and a client that lets it grow
// past its limit, or takes nothing for send_timeout_s, is dropped.
#pragma once

#include <Poco/Net/StreamSocket.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "net/WsCodec.h"

typedef struct ssl_st SSL;

namespace agenthost::net {

class EventLoop;
class Connection;
using Clock = std::chrono::steady_clock;

// What a connection reports to the protocol layer above it. Called on the loop thread; an
// implementation hands real work elsewhere and returns.
class ConnectionHandler {
  public:
    virtual ~ConnectionHandler() = default;
    virtual void onText(std::string message) = 0;
    virtual void onBinary() = 0;
    virtual void onDeadline() = 0;  // the deadline set with setDeadline() passed
    virtual void onShutdown() = 0;  // the server is stopping
    virtual void onClosed() = 0;    // the connection is gone; called exactly once
};

// What reads a connection's bytes before it is a WebSocket (the HTTP front end). Called on the
// loop thread.
class StreamHandler {
  public:
    virtual ~StreamHandler() = default;
    virtual void onBytes(Connection& connection, std::string_view bytes, Clock::time_point now) = 0;
    virtual void onTick(Connection& connection, Clock::time_point now) = 0;
};

struct ConnectionLimits {
    std::size_t maxMessageBytes = 65536;
    std::size_t maxOutboundBytes = 8u << 20;
    Clock::duration sendTimeout = std::chrono::seconds(30);
    Clock::duration pingInterval = std::chrono::seconds(30);
    Clock::duration tlsHandshakeTimeout = std::chrono::seconds(10);
};

class TlsContext;

class Connection : public std::enable_shared_from_this<Connection> {
  public:
    // With `tls`, the connection speaks TLS: the server handshake runs first, on the loop, and
    // every read and write goes through OpenSSL (under ioMutex_ like the plain socket calls).
    Connection(Poco::Net::StreamSocket socket, EventLoop& loop, ConnectionLimits limits,
               std::shared_ptr<const TlsContext> tls = nullptr);
    ~Connection();

    // Set once, before the connection is added to the loop: who reads its first bytes.
    void setStreamHandler(std::shared_ptr<StreamHandler> stream) { stream_ = std::move(stream); }

    // Loop thread, from the StreamHandler: queues bytes as they are (an HTTP response).
    void sendRaw(std::string_view bytes);
    // Loop thread, from the StreamHandler: once the queued bytes are sent, the write side is
    // shut down and what the peer still sends is read and dropped until it closes (or for
    // two seconds), so that the response is not lost to a reset.
    void closeAfterSending();
    // Loop thread, from the StreamHandler: from now on the connection speaks WebSocket and
    // `handler` gets its messages; `leftover` are bytes that followed the upgrade request.
    void upgrade(std::shared_ptr<ConnectionHandler> handler, std::string_view leftover,
                 Clock::time_point now);
    bool upgraded() const { return upgraded_; }
    // Any thread: the loop runs the StreamHandler's tick soon instead of at the next sweep (an
    // answer made on a worker is out, and pipelined requests behind it can go on).
    void tickSoon();
    // Any thread: the client gave a valid key. Until then an upgraded connection is pending
    // (EventLoop::pendingAuth()), and may be closed to make room for newer ones.
    void keyAccepted();
    bool hasKey() const { return keyAccepted_.load(); }

    // Any thread. False when the connection is closing or was dropped.
    bool sendText(std::string_view payload);
    // Any thread: bytes queued and not yet taken by the kernel (what a slow reader is behind).
    std::size_t unsentBytes();
    // Starts the close handshake: sends Close(code, reason); no data frames after it.
    void close(std::uint16_t code, std::string_view reason);
    // Sends Close(code, reason) and drops the connection once it is written, without waiting
    // for the peer's Close: for a peer that is owed no more (it never gave a key), so that it
    // stops counting against the limits at once.
    void closeAndHangUp(std::uint16_t code, std::string_view reason);
    // Drops the connection without a handshake (dead or misbehaving peer).
    void abort(const std::string& why);

    // While a Batch lives, sends only fill the outbound buffer; it is written when the last
    // Batch ends. Frames produced together (a whole short answer) then leave in one write.
    class Batch {
      public:
        explicit Batch(Connection& connection);
        ~Batch();
        Batch(const Batch&) = delete;
        Batch& operator=(const Batch&) = delete;

      private:
        Connection& connection_;
    };

    void setDeadline(Clock::time_point when) { deadline_.store(when.time_since_epoch().count()); }
    void clearDeadline() { deadline_.store(0); }

    std::string peer() const { return peer_; }
    // The peer's address without the port: what per-address limits count.
    const std::string& peerHost() const { return peerHost_; }

    // Loop thread only.
    const Poco::Net::StreamSocket& socket() const { return socket_; }
    void registered();                       // now in the loop's poll set
    void onReadable(Clock::time_point now);  // also handles hang-ups and errors
    // Set while the loop holds this connection for another read next turn (EventLoop::readAgain).
    bool readAgainQueued = false;
    void onWritable(Clock::time_point now);
    void onTick(Clock::time_point now);
    void onShutdown();
    bool finished();  // nothing left to do: remove it
    void finalize();  // removes it from the poll set, closes the socket, tells the handler

  private:
    // Queues our Close frame (once); `hangUp`: drop the connection as soon as it is sent.
    void queueClose(std::uint16_t code, std::string_view reason, bool hangUp);
    bool reserveLocked(std::size_t size, Clock::time_point now);
    bool queueLocked(std::string_view bytes, Clock::time_point now);
    bool queueFrameLocked(ws::Opcode opcode, std::string_view payload, Clock::time_point now);
    void flushLocked(Clock::time_point now);
    void armWriteLocked(bool armed);
    // The socket (or TLS) primitives: bytes moved, 0 would block, -1 the connection is gone.
    ssize_t receiveLocked(char* buffer, std::size_t size);
    ssize_t transmitLocked(const char* data, std::size_t size);
    // Runs the TLS handshake as far as it goes without blocking; false when it failed.
    bool handshakeLocked();
    void endWritingLocked();
    // What one turn of the loop may decode for this connection (Connection.cpp).
    struct Budget {
        std::size_t messages;
        std::size_t bytes;
        Budget();
    };
    // Decodes and handles what `budget` allows (and reduces it by what was used); false when
    // it ran out with frames left, and the loop was asked to come back next turn.
    bool feedDecoder(const char* data, std::size_t size, Budget& budget, Clock::time_point now);
    void dispatch(ws::Message& message, Clock::time_point now);
    // Fails the connection (RFC 6455 7.1.7): our Close, then TCP closed without a handshake.
    void failProtocol(std::uint16_t code);
    // Our Close frame is queued (or the connection is gone): data frames are no longer served.
    bool closing();

    Poco::Net::StreamSocket socket_;
    EventLoop& loop_;
    ConnectionLimits limits_;
    std::string peer_;
    std::string peerHost_;
    std::atomic<bool> keyAccepted_{false};
    std::shared_ptr<StreamHandler> stream_;       // loop thread only; null once upgraded
    std::shared_ptr<ConnectionHandler> handler_;  // loop thread only
    bool upgraded_ = false;                       // loop thread only
    ws::FrameDecoder decoder_;                    // loop thread only
    std::vector<ws::Message> decoded_;            // loop thread only: feedDecoder's, reused
    bool failed_ = false;  // loop thread only: the peer broke the protocol; ignore its bytes

    std::mutex ioMutex_;  // guards everything below
    std::string outbound_;
    std::size_t outboundOffset_ = 0;
    bool registered_ = false;
    int batches_ = 0;  // open Batch scopes
    bool writeArmed_ = false;
    bool closeQueued_ = false;  // our Close frame is queued: no more data frames
    bool peerClosed_ = false;   // the peer's Close frame arrived
    // HTTP, or a WebSocket that broke the protocol: shut the write side down once outbound_ is
    // sent. Set under the lock (by a worker, for an answer made there); atomic because the loop
    // also reads it without the lock.
    std::atomic<bool> closeAfterSending_{false};
    bool hangUpAfterClose_ = false;  // dropped once our Close frame is sent
    bool writeShutDown_ = false;
    SSL* ssl_ = nullptr;          // TLS only
    bool handshaking_ = false;    // TLS: the handshake is not finished
    bool tlsWantsWrite_ = false;  // TLS: OpenSSL waits for the socket to be writable
    Clock::time_point handshakeDeadline_{};
    bool dead_ = false;  // to be finalized
    bool finalized_ = false;
    Clock::time_point closeQueuedAt_{};
    Clock::time_point lastWriteProgress_{};

    // Loop thread only.
    Clock::time_point lastInbound_;
    Clock::time_point lastPing_;

    std::atomic<Clock::rep> deadline_{0};
};

}  // namespace agenthost::net
