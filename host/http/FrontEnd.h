// The HTTP front end, on the event loop: every accepted connection first reads request heads
// (RequestStream), answers plain requests through the Router, and becomes a WebSocket
// connection of a session when it upgrades. No thread is bound to a connection at any time.
#pragma once

#include <Poco/Net/StreamSocket.h>

#include <optional>

#include "http/PlainHttp.h"
#include "http/Router.h"

namespace agenthost::net {
class Connection;
class EventLoop;
}  // namespace agenthost::net

namespace agenthost::http {

class Backend;

class FrontEnd {
  public:
    // The plain endpoints are registered here, in one place.
    FrontEnd(Backend& backend, net::EventLoop& loop);

    // Loop thread: a connection from the listener.
    void accept(Poco::Net::StreamSocket socket);

    // Loop thread, before a keyless upgrade is answered 101: the refusal when its address
    // already holds max_pending_auth_per_address keyless connections; else, at
    // max_pending_auth, the oldest keyless connections are closed to make room.
    std::optional<PlainResponse> admitKeyless(const net::Connection& connection);

    Backend& backend() { return backend_; }
    const Router& router() const { return router_; }

  private:
    Backend& backend_;
    net::EventLoop& loop_;
    Router router_;
    std::size_t evictedSinceLog_ = 0;  // loop thread only
};

}  // namespace agenthost::http
