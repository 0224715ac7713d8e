#include "http/AuthThrottled.h"

#include <Poco/JSON/Object.h>
#include <Poco/String.h>

#include <sstream>

#include "auth/AuthThrottle.h"
#include "auth/KeyStore.h"
#include "http/Backend.h"
#include "session/Runtime.h"

namespace agenthost::http {
namespace {

// The key of "Authorization: Bearer <key>", or "" when the request presents none.
std::string presentedBearerKey(const PlainRequest& request) {
    const std::string value = Poco::trim(request.header("Authorization"));
    if (value.size() < 7 || Poco::icompare(value.substr(0, 7), "Bearer ") != 0) return "";
    return Poco::trim(value.substr(7));
}

}  // namespace

PlainResponse authRateLimited(int retryAfterS) {
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("error", "rate_limited");
    body.set("message", "too many failed authentications from this address: try again in " +
                            std::to_string(retryAfterS) + " s");
    body.set("retry_after_s", retryAfterS);
    std::ostringstream out;
    body.stringify(out);
    PlainResponse response;
    response.status = 429;
    response.body = out.str();
    response.headers.emplace_back("Retry-After", std::to_string(retryAfterS));
    return response;
}

Router::Endpoint authThrottled(Router::Endpoint endpoint, const Backend& backend) {
    return [endpoint = std::move(endpoint), &backend](const PlainRequest& request) {
        auto& throttle = backend.authThrottle();
        if (!request.header("Authorization").empty())
            if (const int wait = throttle.retryAfterS(request.clientAddress))
                return authRateLimited(wait);
        PlainResponse response = endpoint(request);
        if (response.status != 401 && response.status != 403) return response;
        const std::string key = presentedBearerKey(request);
        const auto runtime = backend.runtime();
        if (!key.empty() && runtime->keys->find(key) == nullptr)
            throttle.failed(request.clientAddress, auth::ThrottleLimits::of(runtime->server));
        return response;
    };
}

}  // namespace agenthost::http
