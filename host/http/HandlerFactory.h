// Routes HTTP requests: /api/health, /api/status, and the WebSocket upgrade at /api/<route>/ws.
// Handlers run on Poco's HTTPServer threads only for as long as one request takes; an
// upgraded socket is handed to the host's event loop at once.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

namespace agenthost::core {
class Host;
}

namespace agenthost::http {

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    explicit HandlerFactory(core::Host& host) : host_(host) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest& request) override;

  private:
    core::Host& host_;
};

}  // namespace agenthost::http
