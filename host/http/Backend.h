// What the HTTP front end needs from the server it fronts: the current routes and settings,
// the connection limit, the state /api/status reports, and the hand-over of an upgraded
// connection. core::Host implements it; http/ does not depend on core/.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/PlainHttp.h"
#include "http/StatusJson.h"

namespace agenthost::auth {
class AuthThrottle;
}

namespace agenthost::net {
class Connection;
class ConnectionHandler;
class TlsContext;
}  // namespace agenthost::net

namespace agenthost::limits {
class KeyLimits;
}

namespace agenthost::plugin {
class PluginInstance;
struct RouteTable;
}  // namespace agenthost::plugin

namespace agenthost::session {
struct Runtime;
}

namespace agenthost::http {

class Backend {
  public:
    virtual ~Backend() = default;

    virtual std::shared_ptr<const plugin::RouteTable> routes() const = 0;
    virtual std::shared_ptr<const session::Runtime> runtime() const = 0;
    virtual bool atConnectionLimit() const = 0;
    virtual StatusFacts statusFacts() const = 0;
    virtual StoreHealthFacts storeHealth() const = 0;
    // GET /metrics: the Prometheus text exposition; may ask the plugins for their health.
    virtual std::string metricsText() const = 0;
    // The HTTP API for conversations (/api/conversations...); may block on the store.
    virtual PlainResponse conversations(const PlainRequest& request) = 0;
    // Runs `work` on a worker thread: for endpoints that must not block the loop.
    virtual void runBlocking(std::function<void()> work) = 0;
    // The certificate new connections get, or null when the server speaks plain HTTP.
    virtual std::shared_ptr<const net::TlsContext> tls() const = 0;
    // Failed authentications per client address (brute-force protection); lives as long as
    // the server, across reloads.
    virtual auth::AuthThrottle& authThrottle() const = 0;
    // The per-key limits: max_connections for upgrades, and GET /api/usage.
    virtual limits::KeyLimits& keyLimits() const = 0;

    // Loop thread, after the 101 answer is queued: the connection becomes a session of
    // `instance`. `query` is the upgrade URL's raw query string (without '?'), for the
    // session's parameters. Returns the session that is to get the connection's messages, or
    // null when the server is stopping (the connection is then closed).
    virtual std::shared_ptr<net::ConnectionHandler> adopt(
        std::shared_ptr<net::Connection> connection,
        std::shared_ptr<plugin::PluginInstance> instance,
        const std::optional<std::string>& bearerKeyName, const std::string& query) = 0;
};

}  // namespace agenthost::http
