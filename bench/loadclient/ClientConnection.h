// One client WebSocket connection on a non-blocking socket, driven by the load driver's epoll
// loop: connect, TLS handshake (with a TlsClient), HTTP upgrade, key frame, "authenticated" + ready
// frame, then echo round trips (send {"content"}, collect message frames until the complete frame,
// check the echo), or the replay of a resumed conversation (protocol 2), counted to its last frame.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "TlsClient.h"
#include "net/WsCodec.h"

namespace agenthost::bench {

using Clock = std::chrono::steady_clock;

class ClientConnection {
  public:
    enum class Phase {
        Connecting,
        TlsHandshake,
        TlsClosing,  // handshake only: close_notify sent, waiting for the server to hang up
        Upgrading,
        Authenticating,
        Ready,
        AwaitingReply,
        Replaying,
        Failed
    };
    // What a call reports to the driver.
    enum class Event { None, BecameReady, RoundTripDone, ReplayDone, HandshakeDone, Failed };

    // Takes ownership of `fd`, a non-blocking socket whose connect() is in progress.
    // `upgradeRequest` is the whole HTTP request; `key` goes in the first text frame. With
    // `tls`, everything after the connect goes through it.
    ClientConnection(int fd, const std::string& upgradeRequest, const std::string& key,
                     std::unique_ptr<TlsClient> tls = nullptr);
    ~ClientConnection();
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    int fd() const { return fd_; }
    Phase phase() const { return phase_; }
    bool settingUp() const { return phase_ < Phase::Ready; }
    const std::string& error() const { return error_; }
    Clock::time_point sentAt() const { return sentAt_; }
    // From the ready frame (protocol 2 hosts; "" from a peer without conversations).
    const std::string& conversationId() const { return conversationId_; }
    // Replayed frames received by the last resume.
    std::int64_t replayed() const { return replayed_; }

    // The upgrade URL resumes a conversation: the frames after `afterSeq` are replayed right
    // after the ready frame; ReplayDone when the last one (the ready frame's last_seq) is in.
    void expectReplayAfterReady(std::int64_t afterSeq);
    // Protocol 2 turns also carry the user frame, which an echo skips.
    void setProtocol(int protocol) { protocol_ = protocol; }
    // The server answers each message with its text this many times.
    void setRepeat(std::size_t repeat) { repeat_ = repeat; }
    // TLS only: no upgrade; once the handshake is done, close_notify, and HandshakeDone when
    // the server has hung up (so the server's side of the handshake is finished too).
    void setHandshakeOnly() { handshakeOnly_ = true; }

    // Handles the epoll events for this socket (edge triggered: reads and writes until EAGAIN).
    Event onEvents(std::uint32_t events);
    // Ready -> AwaitingReply: sends {"content": content} and expects it back.
    Event sendMessage(const std::string& content, const std::string& frameJson);
    // Ready -> Replaying: sends the resume frame; ReplayDone once the resumed frame's last_seq
    // has arrived.
    Event sendResume(const std::string& conversationId, std::int64_t afterSeq);
    // Closes the socket (the driver is done with it).
    void close();

  private:
    Event onConnected();
    Event continueHandshake();
    Event onClosingBytes();
    Event onWritable();
    Event onReadable();
    // recv/send, or their TLS counterparts.
    ssize_t receiveSome(char* buffer, std::size_t size);
    ssize_t sendSome(const char* data, std::size_t size);
    // "what: reason" for the errno of a failed receiveSome/sendSome.
    std::string ioError(const char* what) const;
    Event onHandshakeBytes(const char* data, std::size_t size);
    Event onFrames(const char* data, std::size_t size);
    Event onMessage(const ws::Message& message);
    Event onText(const std::string& text);
    Event onReady(const std::string& text, std::int64_t lastSeq);
    Event onReplayed(const std::string& text);
    Event startReplay(std::int64_t lastSeq);
    Event queue(std::string bytes);
    Event fail(std::string why);

    int fd_;
    std::unique_ptr<TlsClient> tls_;
    bool handshakeOnly_ = false;
    Phase phase_ = Phase::Connecting;
    std::string key_;
    std::string outbound_;
    std::size_t outboundOffset_ = 0;
    std::string handshake_;  // response header bytes, until the blank line
    ws::FrameDecoder decoder_;
    bool authenticated_ = false;
    std::string expected_;  // echo: the content sent
    std::string received_;  // echo: the message chunks so far
    Clock::time_point sentAt_{};
    std::string error_;
    int protocol_ = 1;
    std::size_t repeat_ = 1;
    std::string conversationId_;
    bool replayAfterReady_ = false;
    std::int64_t afterSeq_ = 0;     // resume: the replay starts after this seq
    std::int64_t replayLast_ = -1;  // resume: the last seq to come (-1 until announced)
    std::int64_t replayed_ = 0;
};

}  // namespace agenthost::bench
