// A WebSocket client for tests, on Poco's client WebSocket (the reference implementation the
// server is checked against), plus raw-socket access for malformed input.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/WebSocket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/Http.h"

namespace agenthost::test {

using namespace std::chrono_literals;

struct Frame {
    int opcode = 0;  // Poco::Net::WebSocket::FRAME_OP_*
    std::string payload;
    bool isText() const { return opcode == 0x1; }
    bool isClose() const { return opcode == 0x8; }
    // The close code of a Close frame.
    int closeCode() const;
};

// The frames one message produced, up to and including its terminal frame.
struct Reply {
    std::vector<Poco::JSON::Object::Ptr> frames;
    std::string text;                  // the message frames' content, joined
    Poco::JSON::Object::Ptr terminal;  // the complete or error frame
    std::string terminalType() const;  // "complete" or "error"
};

class WsClient {
  public:
    // Opens ws://127.0.0.1:port/path. Throws Poco::Net::WebSocketException when the server
    // refuses the upgrade; handshakeStatus() tells the HTTP status then. With `sourceAddress`
    // the connection comes from that loopback address (see clientSession()).
    WsClient(std::uint16_t port, const std::string& path,
             const std::map<std::string, std::string>& headers = {},
             const std::string& sourceAddress = "");
    ~WsClient();

    // Sends the key as the first frame and expects "authenticated" and the ready frame.
    Poco::JSON::Object::Ptr authenticate(const std::string& key);
    // Expects "authenticated" and the ready frame without sending a key (Bearer upgrades).
    Poco::JSON::Object::Ptr awaitReady(std::chrono::milliseconds timeout = 5s);

    void sendText(const std::string& text);
    void sendJson(const std::string& json) { sendText(json); }
    void sendMessage(const std::string& content);  // {"content": content}
    void sendBinary(const std::string& data);
    void sendPing(const std::string& payload);
    void sendFrame(const std::string& payload, int flags);  // FIN/opcode flags as Poco takes them
    void sendRaw(const std::string& bytes);                 // bytes straight onto the socket
    void close(int code = 1000);
    // Ends the TCP connection without a Close frame, as a lost network does: a FIN, or with
    // `reset` a RST. The client is unusable afterwards.
    void drop(bool reset = false);

    // The next frame, or nullopt on timeout. Pings from the server are answered and skipped
    // unless `returnPings`.
    std::optional<Frame> receive(std::chrono::milliseconds timeout = 5s, bool returnPings = false);
    std::string receiveText(std::chrono::milliseconds timeout = 5s);  // throws on timeout/close
    Poco::JSON::Object::Ptr receiveJson(std::chrono::milliseconds timeout = 5s);
    // Frames until the socket closes; returns the Close frame's code (or -1 if none came).
    int waitForClose(std::chrono::milliseconds timeout = 5s);

    // Sends a message and reads frames until its complete or error frame.
    Reply chat(const std::string& content, std::chrono::milliseconds timeout = 10s);
    Reply readReply(std::chrono::milliseconds timeout = 10s);

    // JSON frames until one satisfies `done` (it included). Throws std::runtime_error naming
    // the frames read so far when `timeout` passes or the connection closes first.
    using FramePredicate = std::function<bool(const Poco::JSON::Object::Ptr&)>;
    std::vector<Poco::JSON::Object::Ptr> readUntil(const FramePredicate& done,
                                                   std::chrono::milliseconds timeout = 10s);

    Poco::Net::WebSocket& socket() { return *socket_; }

  private:
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    std::unique_ptr<Poco::Net::WebSocket> socket_;
    Poco::Net::StreamSocket transport_;  // under the WebSocket; for sendRaw over TLS
    bool dropped_ = false;
};

// The HTTP status the server answers an upgrade request for `path` with (101 when it upgrades).
int handshakeStatus(std::uint16_t port, const std::string& path,
                    const std::map<std::string, std::string>& headers = {}, bool upgrade = true,
                    std::string* body = nullptr);

// The whole answer to an upgrade request for `path` from `sourceAddress` (any loopback
// address; "" for the default): status, headers, and the body unless it is 101.
HttpResult upgradeAttempt(std::uint16_t port, const std::string& path,
                          const std::map<std::string, std::string>& headers = {},
                          const std::string& sourceAddress = "");

Poco::JSON::Object::Ptr parseJson(const std::string& text);

// Frames in a line for failure messages: type, #seq, (code), and "r" when replayed, e.g.
// "user#1 message#2 complete#3r error(busy)".
std::string describeFrames(const std::vector<Poco::JSON::Object::Ptr>& frames);

}  // namespace agenthost::test
