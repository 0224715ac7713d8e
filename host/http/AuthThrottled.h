// The HTTP side of brute-force protection (auth/AuthThrottle.h): the 429 an address in its
// cool-down gets, and the wrapper for endpoints that take "Authorization: Bearer <key>", which
// refuses such requests during the cool-down and counts the wrong keys they present.
#pragma once

#include "http/PlainHttp.h"
#include "http/Router.h"

namespace agenthost::http {

class Backend;

// 429 {"error":"rate_limited","message":...,"retry_after_s":N} with Retry-After: N.
PlainResponse authRateLimited(int retryAfterS);

// `endpoint` behind the throttle: a request with an Authorization header from an address in
// its cool-down gets authRateLimited(); an answer 401/403 to a Bearer key that is no
// configured key counts as a failed authentication of the client's address.
Router::Endpoint authThrottled(Router::Endpoint endpoint, const Backend& backend);

}  // namespace agenthost::http
