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
    // `prefix` itself and every path below it ("/api/x" takes "/api/x" and "/api/x/...").
    void prefix(std::string prefix, Endpoint endpoint);

    PlainResponse handle(const PlainRequest& request) const;

  private:
    struct Entry {
        std::string path;
        bool isPrefix = false;
        Endpoint endpoint;
    };
    std::vector<Entry> entries_;
};

// Endpoints that only read: GET, and HEAD answered like GET without the body; else 405.
Router::Endpoint readOnly(Router::Endpoint endpoint);

}  // namespace agenthost::http
