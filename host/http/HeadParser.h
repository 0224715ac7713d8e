// Reads one HTTP/1.x request head from the bytes received so far, with Boost.Beast's
// request_parser (incremental, bounded, and strict about the request line and field syntax),
// plus the checks Beast leaves to the server: obs-fold, a repeated Content-Length,
// Transfer-Encoding with Content-Length, the number of fields, and request bodies.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "http/PlainHttp.h"

namespace agenthost::http {

struct HeadLimits {
    std::size_t maxHeaderBytes = 16384;  // request line and fields; 431 beyond
    std::size_t maxHeaders = 100;        // 431 beyond
};

// A request head that was read whole.
struct Head {
    PlainRequest request;
    std::string target;      // as sent: path and query
    bool keepAlive = false;  // HTTP/1.1 without "Connection: close", or 1.0 with keep-alive
    bool upgrade = false;    // "Connection: upgrade" and "Upgrade: websocket"
};

struct HeadResult {
    enum class State { NeedMore, Done, Refused } state = State::NeedMore;
    std::size_t consumed = 0;  // Done: bytes of the head at the start of the input
    Head head;                 // Done
    PlainResponse refusal;     // Refused: the error answer; the connection then closes
};

// One request head at a time. The parser remembers how far it has looked, so a head that
// arrives in many small pieces is not scanned again from its start for each piece.
class HeadParser {
  public:
    explicit HeadParser(HeadLimits limits);
    ~HeadParser();
    HeadParser(const HeadParser&) = delete;
    HeadParser& operator=(const HeadParser&) = delete;

    // `bytes` starts with the request head and grows between calls; more may follow the head
    // (pipelined requests, WebSocket frames). After Done or Refused, call reset() before the
    // next head.
    HeadResult parse(std::string_view bytes);
    void reset();

  private:
    struct Beast;
    HeadLimits limits_;
    std::unique_ptr<Beast> beast_;
    // Bytes at the start of the head that Beast has consumed already (a request line that was
    // complete while the fields were not): they are not handed to it again.
    std::size_t fed_ = 0;
};

}  // namespace agenthost::http
