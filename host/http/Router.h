// Where plain (non-upgrade) HTTP requests go: each endpoint is a function from PlainRequest to
// PlainResponse, registered for an exact path or a path prefix. Requests that match nothing
// get 404. The endpoints themselves are listed in one place, FrontEnd's constructor.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/PlainHttp.h"

namespace agenthost::http {

class Router {
  public:
    using Endpoint = std::function<PlainResponse(const PlainRequest&)>;

    void exact(std::string path, Endpoint endpoint);
    // Like exact(), for an endpoint that may block: it runs on a worker thread (see
    // blockingPrefix).
    void blockingExact(std::string path, Endpoint endpoint);
    // `prefix` itself and every path below it ("/api/x" takes "/api/x" and "/api/x/...").
    void prefix(std::string prefix, Endpoint endpoint);
    // Like prefix(), for an endpoint that may block (it reads a database): it runs on a worker
    // thread, never on the event loop.
    void blockingPrefix(std::string prefix, Endpoint endpoint);

    struct Entry {
        std::string path;
        bool isPrefix = false;
        bool blocking = false;
        Endpoint endpoint;
    };
    // The endpoint for the request's path, or null (404).
    const Entry* find(const PlainRequest& request) const;

    PlainResponse handle(const PlainRequest& request) const;

  private:
    std::vector<Entry> entries_;
};

// Endpoints that only read: GET, and HEAD answered like GET without the body; else 405.
Router::Endpoint readOnly(Router::Endpoint endpoint);

}  // namespace agenthost::http
