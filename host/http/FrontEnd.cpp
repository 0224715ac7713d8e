#include "http/FrontEnd.h"

#include <Poco/Logger.h>

#include <algorithm>

#include "http/AuthThrottled.h"
#include "http/Backend.h"
#include "http/Endpoints.h"
#include "http/RequestStream.h"
#include "http/Response.h"
#include "http/WebPage.h"
#include "net/EventLoop.h"
#include "session/Runtime.h"

namespace agenthost::http {
namespace {

// Connections still reading their head may use at most this many slots beyond the WebSocket
// limit, so that a flood of idle sockets cannot take every file descriptor.
constexpr std::size_t kMinPendingSlots = 1024;
// Evictions of keyless connections are logged once per this many, not one line each.
constexpr std::size_t kEvictionsPerLogLine = 100;

}  // namespace

FrontEnd::FrontEnd(Backend& backend, net::EventLoop& loop) : backend_(backend), loop_(loop) {
    // Health and status ask every plugin for its health, which may take up to a second when a
    // plugin does not answer (plugin/HealthWatch.h): never on the loop.
    router_.blockingExact("/api/health", readOnly([&backend](const PlainRequest& request) {
                              return healthEndpoint(request, backend);
                          }));
    // Endpoints that take a Bearer key count its failures (brute-force protection).
    Router::Endpoint status = readOnly(
        [&backend](const PlainRequest& request) { return statusEndpoint(request, backend); });
    router_.blockingExact("/api/status", authThrottled(std::move(status), backend));
    Router::Endpoint usage = readOnly(
        [&backend](const PlainRequest& request) { return usageEndpoint(request, backend); });
    router_.exact("/api/usage", authThrottled(std::move(usage), backend));
    // It asks the plugins for their health too.
    Router::Endpoint metrics = readOnly(
        [&backend](const PlainRequest& request) { return metricsEndpoint(request, backend); });
    router_.blockingExact("/metrics", authThrottled(std::move(metrics), backend));
    Router::Endpoint conversations = [&backend](const PlainRequest& request) {
        return backend.conversations(request);
    };
    router_.blockingPrefix("/api/conversations", authThrottled(std::move(conversations), backend));
    // The routes a key may open, with their health: what the chat page offers.
    Router::Endpoint routes = readOnly(
        [&backend](const PlainRequest& request) { return routesEndpoint(request, backend); });
    router_.blockingExact("/api/routes", authThrottled(std::move(routes), backend));
    // The chat page, from memory.
    Router::Endpoint page = readOnly(
        [&backend](const PlainRequest& request) { return webPageEndpoint(request, backend); });
    router_.exact("/", page);
    router_.prefix("/app", std::move(page));
}

void FrontEnd::accept(Poco::Net::StreamSocket socket) {
    const auto runtime = backend_.runtime();
    const auto& server = runtime->server;
    const std::size_t pending = loop_.size() - std::min(loop_.size(), loop_.webSockets());
    if (pending >= std::max(kMinPendingSlots, server.maxConnections)) {
        Poco::Logger::get("agenthost.net")
            .warning("too many connections still reading their request head; refusing one");
        return;  // the socket closes as it goes out of scope
    }
    net::ConnectionLimits limits;
    limits.maxMessageBytes = server.maxMessageBytes;
    limits.maxOutboundBytes = server.maxOutboundBytes;
    limits.sendTimeout = std::chrono::seconds(server.sendTimeoutS);
    limits.pingInterval = std::chrono::seconds(server.pingIntervalS);
    limits.tlsHandshakeTimeout = std::chrono::seconds(server.tlsHandshakeTimeoutS);
    StreamLimits streamLimits;
    streamLimits.head.maxHeaderBytes = server.maxHeaderBytes;
    streamLimits.headTimeout = std::chrono::seconds(server.requestHeadTimeoutS);
    streamLimits.keepAliveTimeout = std::chrono::seconds(server.keepAliveTimeoutS);

    const auto now = net::Clock::now();
    auto connection =
        std::make_shared<net::Connection>(std::move(socket), loop_, limits, backend_.tls());
    connection->setStreamHandler(std::make_shared<RequestStream>(*this, streamLimits, now));
    loop_.add(std::move(connection));
}

std::optional<PlainResponse> FrontEnd::admitKeyless(const net::Connection& connection) {
    const auto runtime = backend_.runtime();
    const auto& server = runtime->server;
    auto& pending = loop_.pendingAuth();
    if (pending.fromAddress(connection.peerHost()) >= server.maxPendingAuthPerAddress)
        return errorResponse(429, "too_many_unauthenticated_connections",
                             "this address has too many WebSocket connections that have not "
                             "sent their key");
    // The newest connection is the likeliest to be a real client about to send its key.
    while (pending.size() >= server.maxPendingAuth) {
        auto oldest = pending.takeOldest();
        if (oldest->hasKey()) continue;  // its key was just accepted on a worker thread
        oldest->closeAndHangUp(ws::close_code::kTryAgainLater,
                               "too many unauthenticated connections");
        if (evictedSinceLog_++ % kEvictionsPerLogLine == 0)
            Poco::Logger::get("agenthost.net")
                .warning("at max_pending_auth (" + std::to_string(server.maxPendingAuth) +
                         "): closing the oldest connections that have not sent a key (from " +
                         oldest->peer() + ")");
    }
    return std::nullopt;
}

}  // namespace agenthost::http
