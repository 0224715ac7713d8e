// The plain endpoints of the server itself: GET /api/health, /api/status, /api/usage,
// /api/routes and /metrics.
#pragma once

#include "http/PlainHttp.h"

namespace agenthost::http {

class Backend;

PlainResponse healthEndpoint(const PlainRequest& request, const Backend& backend);

// Anonymous callers get the protocol 1 fields without file-system paths or error texts;
// "?detail=full" with "Authorization: Bearer <key with admin = true>" adds them.
PlainResponse statusEndpoint(const PlainRequest& request, const Backend& backend);

// "Authorization: Bearer <key>": that key's limits, current use and reset times.
PlainResponse usageEndpoint(const PlainRequest& request, const Backend& backend);
// "Authorization: Bearer <key>": the routes that key may open, each with its plugin, version
// and health.
PlainResponse routesEndpoint(const PlainRequest& request, const Backend& backend);
// The Prometheus text exposition; with [metrics] require_admin (the default) only for
// "Authorization: Bearer <key with admin = true>". 404 with [metrics] enabled = false.
PlainResponse metricsEndpoint(const PlainRequest& request, const Backend& backend);

}  // namespace agenthost::http
