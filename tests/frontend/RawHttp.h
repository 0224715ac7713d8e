// A raw TCP client for the HTTP front end's tests: send exactly the bytes a test wants (broken,
// slow or pipelined heads) and read back the responses as the server wrote them.
#pragma once

#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace agenthost::test {

struct RawResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
};

class RawHttp {
  public:
    explicit RawHttp(std::uint16_t port);

    void send(const std::string& bytes);
    // Reads until `count` whole responses arrived (HEAD answers: pass headRequests so their
    // Content-Length is not waited for) or the server closed; throws on timeout.
    std::vector<RawResponse> read(std::size_t count,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                  std::size_t headRequests = 0);
    // True when the server closes the connection within `timeout`; what came before is kept
    // in received().
    bool closedWithin(std::chrono::milliseconds timeout);
    // True when received() contains `text` within `timeout` (false if the server closed first).
    bool receives(const std::string& text, std::chrono::milliseconds timeout);
    const std::string& received() const { return received_; }

    Poco::Net::StreamSocket& socket() { return socket_; }

  private:
    bool receiveSome(std::chrono::milliseconds timeout);  // false on close or timeout

    Poco::Net::StreamSocket socket_;
    std::string received_;
    std::size_t parsedUpTo_ = 0;
    bool closed_ = false;
};

// Waits up to `timeout` for bytes on `socket` and appends what came to `into`; false when none
// came, and then `closed` is set if the peer closed or reset the connection.
bool receiveInto(Poco::Net::StreamSocket& socket, std::string& into,
                 std::chrono::milliseconds timeout, bool& closed);

// Responses at the start of `bytes`; `headRequests` of them (the first ones) have no body.
std::vector<RawResponse> parseResponses(const std::string& bytes, std::size_t* used = nullptr,
                                        std::size_t headRequests = 0);

// A WebSocket upgrade request for `path`, without Authorization.
std::string upgradeRequest(const std::string& path);

// A masked client text frame (payload under 126 bytes).
std::string maskedTextFrame(const std::string& payload);

}  // namespace agenthost::test
