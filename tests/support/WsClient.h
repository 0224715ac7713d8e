// A WebSocket client for tests, on Poco's client WebSocket (the reference implementation the
// server is checked against), plus raw-socket access for malformed input.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/WebSocket.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
    // refuses the upgrade; handshakeStatus() tells the HTTP status then.
    WsClient(std::uint16_t port, const std::string& path,
             const std::map<std::string, std::string>& headers = {});
    ~WsClient();

    // Sends the key as the first frame and expects "authenticated" and the ready frame.
    Poco::JSON::Object::Ptr authenticate(const std::string& key);

    void sendText(const std::string& text);
    void sendJson(const std::string& json) { sendText(json); }
    void sendMessage(const std::string& content);  // {"content": content}
    void sendBinary(const std::string& data);
    void sendPing(const std::string& payload);
    void sendFrame(const std::string& payload, int flags);  // FIN/opcode flags as Poco takes them
    void sendRaw(const std::string& bytes);                 // bytes straight onto the socket
    void close(int code = 1000);

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

    Poco::Net::WebSocket& socket() { return *socket_; }

  private:
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    std::unique_ptr<Poco::Net::WebSocket> socket_;
    Poco::Net::StreamSocket transport_;  // under the WebSocket; for sendRaw over TLS
};

// The HTTP status the server answers an upgrade request for `path` with (101 when it upgrades).
int handshakeStatus(std::uint16_t port, const std::string& path,
                    const std::map<std::string, std::string>& headers = {}, bool upgrade = true,
                    std::string* body = nullptr);

Poco::JSON::Object::Ptr parseJson(const std::string& text);

}  // namespace agenthost::test
