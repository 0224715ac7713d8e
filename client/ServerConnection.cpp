#include "ServerConnection.h"

#include <Poco/Buffer.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include "HttpSession.h"

namespace agenthost::client {
namespace {

using Poco::Net::WebSocket;

constexpr long kHandshakeTimeoutS = 10;
// A frame that has begun must finish within this; poll decides when a frame begins.
constexpr long kFrameTimeoutS = 30;

ServerConnection::Opened failed(OpenFailure failure, std::string message) {
    ServerConnection::Opened opened;
    opened.failure = failure;
    opened.message = std::move(message);
    return opened;
}

ServerConnection::Opened refusedUpgrade(const Poco::Net::HTTPResponse& response,
                                        const Target& target) {
    const int status = response.getStatus();
    const std::string said = "HTTP " + std::to_string(status) + " " + response.getReason();
    if (status == 404)
        return failed(OpenFailure::UnknownRoute, "the server has no route " + target.route);
    if (status == 401 || status == 403)
        return failed(OpenFailure::KeyRefused, "the server refused the key (" + said + ")");
    if (status == 429 || status == 503)
        return failed(OpenFailure::Retry, "the server asks to try again later (" + said + ")");
    const std::string hint =
        status == 400 && !target.tls ? "; is it a TLS port? then use wss://" : "";
    return failed(OpenFailure::Protocol,
                  "the server refused the WebSocket upgrade (" + said + ")" + hint);
}

// What the server answered to the key frame.
ServerConnection::Opened refusedKey(const std::string& answer) {
    if (answer == "error:invalid_api_key")
        return failed(OpenFailure::KeyRefused, "the server refused the key (invalid_api_key)");
    if (answer == "error:forbidden")
        return failed(OpenFailure::KeyRefused, "the key may not use this route (forbidden)");
    if (answer == "error:rate_limited")
        return failed(OpenFailure::Retry, "the server rate-limits this key or address");
    return failed(OpenFailure::Protocol, "unexpected answer to the key: " + answer);
}

// Reads whole text messages, answering pings, until one arrives (or the connection ends).
std::string readMessage(ServerConnection& connection) {
    for (;;) {
        Incoming in = connection.read();
        if (in.kind == Incoming::Kind::Text) return in.text;
        if (in.kind == Incoming::Kind::Gone) throw Poco::Net::NetException("connection closed");
    }
}

}  // namespace

ServerConnection::Opened ServerConnection::open(const Target& target, const std::string& query) {
    auto session = openSession(target);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET,
                                   "/api/" + target.route + "/ws?protocol=2" + query,
                                   Poco::Net::HTTPRequest::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    std::unique_ptr<WebSocket> socket;
    try {
        socket = std::make_unique<WebSocket>(*session, request, response);
    } catch (const Poco::Net::WebSocketException&) {
        if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
            return refusedUpgrade(response, target);
        return failed(OpenFailure::Protocol, "the server did not upgrade to a WebSocket");
    } catch (const Poco::Exception& e) {
        return failed(OpenFailure::Unreachable,
                      "cannot reach " + target.describe() + ": " + e.displayText());
    }
    socket->setReceiveTimeout(Poco::Timespan(kHandshakeTimeoutS, 0));
    Opened opened;
    opened.connection = std::make_unique<ServerConnection>(std::move(session), std::move(socket));
    try {
        if (!opened.connection->send(target.key))
            return failed(OpenFailure::Unreachable,
                          "the connection closed before the key was sent");
        const std::string answer = readMessage(*opened.connection);
        if (answer != "authenticated") return refusedKey(answer);
        auto ready = Poco::JSON::Parser()
                         .parse(readMessage(*opened.connection))
                         .extract<Poco::JSON::Object::Ptr>();
        if (!ready || ready->optValue<std::string>("type", "") != "ready")
            return failed(OpenFailure::Protocol, "the server sent no ready frame");
        opened.ready = ready;
    } catch (const Poco::Exception& e) {
        return failed(OpenFailure::Unreachable,
                      "lost " + target.describe() + " while opening: " + e.displayText());
    }
    opened.connection->socket_->setReceiveTimeout(Poco::Timespan(kFrameTimeoutS, 0));
    return opened;
}

ServerConnection::ServerConnection(std::unique_ptr<Poco::Net::HTTPClientSession> session,
                                   std::unique_ptr<Poco::Net::WebSocket> socket)
    : session_(std::move(session)), socket_(std::move(socket)) {}

ServerConnection::~ServerConnection() {
    try {
        socket_->shutdown();  // a Close frame: the server sees a goodbye, not a drop
        socket_->close();
    } catch (const Poco::Exception&) {
    }
}

int ServerConnection::descriptor() const {
    return socket_->impl()->sockfd();
}

bool ServerConnection::hasBuffered() {
    try {
        return socket_->available() > 0;
    } catch (const Poco::Exception&) {
        return false;
    }
}

Incoming ServerConnection::read() {
    Poco::Buffer<char> payload(0);
    int flags = 0;
    int length = 0;
    try {
        length = socket_->receiveFrame(payload, flags);
    } catch (const Poco::Exception&) {
        return {Incoming::Kind::Gone, ""};
    }
    const int opcode = flags & WebSocket::FRAME_OP_BITMASK;
    if (length == 0 && flags == 0) return {Incoming::Kind::Gone, ""};
    if (opcode == WebSocket::FRAME_OP_CLOSE) return {Incoming::Kind::Gone, ""};
    if (opcode == WebSocket::FRAME_OP_PING) {
        try {
            socket_->sendFrame(
                payload.begin(), static_cast<int>(payload.size()),
                static_cast<int>(WebSocket::FRAME_FLAG_FIN) | WebSocket::FRAME_OP_PONG);
        } catch (const Poco::Exception&) {
            return {Incoming::Kind::Gone, ""};
        }
        return {};
    }
    if (opcode == WebSocket::FRAME_OP_PONG) return {};
    fragments_.append(payload.begin(), payload.size());
    if ((flags & WebSocket::FRAME_FLAG_FIN) == 0) return {};
    Incoming message{Incoming::Kind::Text, std::move(fragments_)};
    fragments_.clear();
    return message;
}

bool ServerConnection::send(const std::string& text) {
    try {
        socket_->sendFrame(text.data(), static_cast<int>(text.size()), WebSocket::FRAME_TEXT);
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

}  // namespace agenthost::client
