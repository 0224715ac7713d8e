// The HTTP front end, on the event loop: every accepted connection first reads request heads
// (RequestStream), answers plain requests through the Router, and becomes a WebSocket
// connection of a session when it upgrades. No thread is bound to a connection at any time.
#pragma once

#include <Poco/Net/StreamSocket.h>

#include "http/Router.h"

namespace agenthost::net {
class EventLoop;
}

namespace agenthost::http {

class Backend;

class FrontEnd {
  public:
    // The plain endpoints are registered here, in one place.
    FrontEnd(Backend& backend, net::EventLoop& loop);

    // Loop thread: a connection from the listener.
    void accept(Poco::Net::StreamSocket socket);

    Backend& backend() { return backend_; }
    const Router& router() const { return router_; }

  private:
    Backend& backend_;
    net::EventLoop& loop_;
    Router router_;
};

}  // namespace agenthost::http
