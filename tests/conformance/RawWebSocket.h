// A WebSocket client that sends exactly the bytes a conformance case needs (reserved bits and
// opcodes, fragments, frames cut at any byte) and reads the server's frames as they are on the
// wire, unassembled, so that a case can assert each frame and that TCP is closed after them.
#pragma once

#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost::test {

// One frame as the server sent it.
struct WireFrame {
    bool fin = true;
    int rsv = 0;  // the three reserved bits, RSV1 as 4
    int opcode = 0;
    bool masked = false;
    std::string payload;
    int closeCode() const;  // of a Close frame: 1005 when it has no code
    std::string describe() const;
};

class RawWebSocket {
  public:
    // Upgrades ws://127.0.0.1:port/path with `extraHeaders` (lines ending in \r\n); throws
    // std::runtime_error unless the answer is 101.
    RawWebSocket(std::uint16_t port, const std::string& path, const std::string& extraHeaders = "");

    // The server's 101 answer head, header names as sent.
    const std::string& responseHead() const { return responseHead_; }

    // Writes `bytes`; with `chop`, in writes of at most that many bytes (TCP_NODELAY is on, so
    // each leaves as a segment of its own on loopback). False once the server has gone.
    bool send(std::string_view bytes, std::size_t chop = 0);

    // The next whole frame, or nullopt when none came within `timeout` or TCP closed first.
    std::optional<WireFrame> next(std::chrono::milliseconds timeout);
    // True when the server closes TCP within `timeout` without sending another byte.
    bool closesWithin(std::chrono::milliseconds timeout);
    bool closed() const { return closed_; }

  private:
    bool receiveSome(std::chrono::milliseconds timeout);
    std::optional<WireFrame> parseFrame();

    Poco::Net::StreamSocket socket_;
    std::string responseHead_;
    std::string buffer_;  // received bytes not yet parsed
    bool closed_ = false;
};

// A masked client frame. `opcode` may be any 4-bit value, `rsv` any 3-bit one.
std::string clientFrame(int opcode, std::string_view payload, bool fin = true, int rsv = 0);
std::string clientClose(int code, std::string_view reason = "");
// The same as clientFrame but announcing `announcedLength` bytes while carrying `payload`:
// the header of a frame too large to send whole.
std::string clientFrameHeader(int opcode, std::uint64_t announcedLength, std::string_view payload);

}  // namespace agenthost::test
