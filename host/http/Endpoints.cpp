#include "http/Endpoints.h"

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include "auth/KeyStore.h"
#include "http/Backend.h"
#include "http/Response.h"
#include "limits/KeyLimits.h"
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

// The key of "Authorization: Bearer <key>", or "".
std::string bearerKey(const PlainRequest& request) {
    const std::string value = Poco::trim(request.header("Authorization"));
    if (value.size() < 7 || Poco::icompare(value.substr(0, 7), "Bearer ") != 0) return "";
    return Poco::trim(value.substr(7));
}

}  // namespace

PlainResponse healthEndpoint(const PlainRequest&, const Backend& backend) {
    return json(healthJson(backend.routes().get(), backend.storeHealth()));
}

PlainResponse statusEndpoint(const PlainRequest& request, const Backend& backend) {
    if (!wantsFullDetail(request)) return json(statusJson(backend.statusFacts(), false));
    const std::string key = bearerKey(request);
    if (key.empty())
        return errorResponse(401, "invalid_api_key",
                             "detail=full needs Authorization: Bearer <admin key>");
    if (!backend.runtime()->keys->isAdmin(key))
        return errorResponse(403, "forbidden", "detail=full needs a key with admin = true");
    return json(statusJson(backend.statusFacts(), true));
}

PlainResponse usageEndpoint(const PlainRequest& request, const Backend& backend) {
    const std::string key = bearerKey(request);
    const auto* settings = key.empty() ? nullptr : backend.runtime()->keys->find(key);
    if (!settings) {
        auto response = errorResponse(401, "invalid_api_key", "use Authorization: Bearer <key>");
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return response;
    }
    return json(backend.keyLimits().usageJson(settings->name));
}

}  // namespace agenthost::http
