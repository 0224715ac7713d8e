// One protocol 2 WebSocket to the host. Opening it sends the key as the first frame and waits
// for `authenticated` and the ready frame; after that the chat loop reads it when poll(2) says
// its descriptor is readable (or bytes are already buffered, as TLS may hold them) and writes
// it from the same thread, so it needs no lock.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/WebSocket.h>

#include <memory>
#include <string>

#include "Target.h"

namespace agenthost::client {

enum class OpenFailure {
    None,
    Unreachable,   // no TCP connection, TLS handshake failed, or no answer in time
    KeyRefused,    // invalid_api_key or forbidden
    UnknownRoute,  // 404 on the upgrade
    Retry,         // the server is busy or rate-limits this address or key: try again later
    Protocol,      // something else the server said; `message` has it
};

struct Incoming {
    enum class Kind { Text, Nothing, Gone } kind = Kind::Nothing;
    std::string text;  // Kind::Text: one whole message
};

class ServerConnection {
  public:
    struct Opened {
        std::unique_ptr<ServerConnection> connection;
        Poco::JSON::Object::Ptr ready;  // the ready frame
        OpenFailure failure = OpenFailure::None;
        std::string message;  // what went wrong, for a person
    };

    // `query`: the upgrade URL's query after protocol=2 (e.g. "&conversation=...&after_seq=4").
    static Opened open(const Target& target, const std::string& query);

    ServerConnection(std::unique_ptr<Poco::Net::HTTPClientSession> session,
                     std::unique_ptr<Poco::Net::WebSocket> socket);
    ~ServerConnection();
    ServerConnection(const ServerConnection&) = delete;
    ServerConnection& operator=(const ServerConnection&) = delete;

    int descriptor() const;
    // True when bytes wait in user space (TLS records, a partly read frame): read without poll.
    bool hasBuffered();
    // Reads one frame; a ping is answered, a fragment kept until its message is whole.
    Incoming read();
    // False when the connection is gone.
    bool send(const std::string& text);

  private:
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    std::unique_ptr<Poco::Net::WebSocket> socket_;
    std::string fragments_;
};

}  // namespace agenthost::client
