// One connection's HTTP/1.1 side, on the loop thread: buffers the bytes, reads request heads
// one after another (pipelined requests are answered in order), answers plain requests with
// keep-alive, and on a successful upgrade hands the connection to its session.
//
// Time limits: the whole head must arrive within request_head_timeout_s of its first byte (of
// the accept, for the first request), however slowly it trickles in; between requests, an idle
// connection is closed after keep_alive_timeout_s.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "http/HeadParser.h"
#include "http/Router.h"
#include "net/Connection.h"

namespace agenthost::http {

class FrontEnd;

struct StreamLimits {
    HeadLimits head;
    net::Clock::duration headTimeout = std::chrono::seconds(10);
    net::Clock::duration keepAliveTimeout = std::chrono::seconds(5);
};

class RequestStream final : public net::StreamHandler {
  public:
    RequestStream(FrontEnd& front, StreamLimits limits, net::Clock::time_point accepted);

    void onBytes(net::Connection& connection, std::string_view bytes,
                 net::Clock::time_point now) override;
    void onTick(net::Connection& connection, net::Clock::time_point now) override;

  private:
    void readHeads(net::Connection& connection, net::Clock::time_point now);
    // False when the connection stops reading requests (closed or upgraded).
    bool answer(net::Connection& connection, Head& head, std::size_t headBytes,
                net::Clock::time_point now);
    void refuse(net::Connection& connection, const PlainResponse& response);
    void answerOnWorker(net::Connection& connection, const Router::Entry& entry, Head& head,
                        net::Clock::time_point received);

    FrontEnd& front_;
    StreamLimits limits_;
    HeadParser parser_;
    std::string buffer_;
    bool idle_ = false;  // between requests: no byte of the next head yet
    net::Clock::time_point deadline_;
    bool done_ = false;  // closing or upgraded: no more requests
    // A blocking endpoint is answering on a worker thread: later requests wait until it has
    // sent its answer (so pipelined answers stay in order). Set to false by the worker.
    std::shared_ptr<std::atomic<bool>> answering_;
};

}  // namespace agenthost::http
