#include "http/Endpoints.h"

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <optional>

#include "auth/KeyStore.h"
#include "http/Backend.h"
#include "http/Response.h"
#include "limits/KeyLimits.h"
#include "metrics/Exposition.h"
#include "session/Runtime.h"

namespace agenthost::http {
namespace {

PlainResponse json(std::string body) {
    PlainResponse response;
    response.body = std::move(body);
    return response;
}

bool wantsFullDetail(const PlainRequest& request) {
    try {
        for (const auto& [name, value] : Poco::URI("/?" + request.query).getQueryParameters())
            if (name == "detail" && value == "full") return true;
    } catch (const Poco::Exception&) {
    }
    return false;
}

// Null when the request carries an admin key (Authorization: Bearer), else the refusal.
std::optional<PlainResponse> refuseUnlessAdmin(const PlainRequest& request, const Backend& backend,
                                               const std::string& what) {
    const std::string key = request.bearerKey();
    if (key.empty())
        return errorResponse(401, "invalid_api_key",
                             what + " needs Authorization: Bearer <admin key>");
    if (!backend.runtime()->keys->isAdmin(key))
        return errorResponse(403, "forbidden", what + " needs a key with admin = true");
    return std::nullopt;
}

// The settings of the request's "Authorization: Bearer <key>", or null.
const config::KeySettings* presentedKey(const PlainRequest& request,
                                        const session::Runtime& runtime) {
    const std::string key = request.bearerKey();
    return key.empty() ? nullptr : runtime.keys->find(key);
}

PlainResponse refuseMissingKey() {
    auto response = errorResponse(401, "invalid_api_key", "use Authorization: Bearer <key>");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
}

}  // namespace

PlainResponse healthEndpoint(const PlainRequest&, const Backend& backend) {
    return json(healthJson(backend.routes().get(), backend.storeHealth()));
}

PlainResponse statusEndpoint(const PlainRequest& request, const Backend& backend) {
    if (!wantsFullDetail(request)) return json(statusJson(backend.statusFacts(), false));
    if (auto refusal = refuseUnlessAdmin(request, backend, "detail=full")) return *refusal;
    return json(statusJson(backend.statusFacts(), true));
}

PlainResponse usageEndpoint(const PlainRequest& request, const Backend& backend) {
    const auto runtime = backend.runtime();
    const auto* settings = presentedKey(request, *runtime);
    if (!settings) return refuseMissingKey();
    return json(backend.keyLimits().usageJson(settings->name));
}

PlainResponse routesEndpoint(const PlainRequest& request, const Backend& backend) {
    const auto runtime = backend.runtime();
    const auto* settings = presentedKey(request, *runtime);
    if (!settings) return refuseMissingKey();
    return json(routesJson(backend.routes().get(), *settings));
}

PlainResponse metricsEndpoint(const PlainRequest& request, const Backend& backend) {
    const auto settings = backend.runtime()->metrics;
    if (!settings.enabled) return errorResponse(404, "not_found", "metrics are off ([metrics])");
    if (settings.requireAdmin)
        if (auto refusal = refuseUnlessAdmin(request, backend, "/metrics")) return *refusal;
    PlainResponse response;
    response.contentType = std::string(metrics::kContentType);
    response.body = backend.metricsText();
    return response;
}

}  // namespace agenthost::http
