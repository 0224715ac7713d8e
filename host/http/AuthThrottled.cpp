#include "http/AuthThrottled.h"

#include "auth/AuthThrottle.h"
#include "auth/KeyStore.h"
#include "http/Backend.h"
#include "http/Response.h"
#include "session/Runtime.h"

namespace agenthost::http {

PlainResponse authRateLimited(int retryAfterS) {
    return retryLaterResponse("rate_limited",
                              "too many failed authentications from this address: try again in " +
                                  std::to_string(retryAfterS) + " s",
                              retryAfterS);
}

Router::Endpoint authThrottled(Router::Endpoint endpoint, const Backend& backend) {
    return [endpoint = std::move(endpoint), &backend](const PlainRequest& request) {
        auto& throttle = backend.authThrottle();
        if (!request.header("Authorization").empty())
            if (const int wait = throttle.retryAfterS(request.clientAddress))
                return authRateLimited(wait);
        PlainResponse response = endpoint(request);
        if (response.status != 401 && response.status != 403) return response;
        const std::string key = request.bearerKey();
        const auto runtime = backend.runtime();
        if (!key.empty() && runtime->keys->find(key) == nullptr)
            throttle.failed(request.clientAddress, auth::ThrottleLimits::of(runtime->server));
        return response;
    };
}

}  // namespace agenthost::http
