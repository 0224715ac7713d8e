// The JSON bodies of GET /api/health and GET /api/status (protocol 1; the iOS app reads both),
// and of GET /api/routes.
#pragma once

#include <Poco/Timestamp.h>

#include <cstdint>
#include <memory>
#include <string>

namespace agenthost::plugin {
struct RouteTable;
}

namespace agenthost::config {
struct KeySettings;
}

namespace agenthost::net {
class TlsContext;
}

namespace agenthost::http {

// What the last reload did.
struct ReloadFacts {
    std::uint64_t generation = 1;
    Poco::Timestamp loadedAt;
    bool ok = true;
    std::string error;  // why the last reload was refused (may name paths: admins only)
    bool restartRequired = false;
};

// The server's state at the moment /api/status is asked for.
struct StatusFacts {
    std::shared_ptr<const plugin::RouteTable> routes;
    ReloadFacts reload;
    std::int64_t uptimeS = 0;
    std::size_t connections = 0;                 // open WebSockets
    std::shared_ptr<const net::TlsContext> tls;  // the certificate served, when TLS is on
};

// The conversation store's state, for /api/health.
struct StoreHealthFacts {
    std::string name;     // sqlite or none
    std::string problem;  // why it is degraded, or ""
};

std::string healthJson(const plugin::RouteTable* routes, const StoreHealthFacts& store);

// {"routes":[{"route","path","plugin","version","health":{"status","detail"}}]}: the routes
// `key` may open, by name.
std::string routesJson(const plugin::RouteTable* routes, const config::KeySettings& key);

// `full` adds what only an admin may see: library paths and error texts that may name files.
std::string statusJson(const StatusFacts& facts, bool full);

}  // namespace agenthost::http
