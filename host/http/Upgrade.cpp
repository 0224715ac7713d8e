#include "http/Upgrade.h"

#include <Poco/String.h>

#include "auth/AuthThrottle.h"
#include "auth/KeyStore.h"
#include "http/AuthThrottled.h"
#include "http/Backend.h"
#include "http/Response.h"
#include "limits/KeyLimits.h"
#include "net/WsCodec.h"
#include "plugin/RouteTable.h"
#include "session/Runtime.h"

namespace agenthost::http {
namespace {

UpgradeDecision refused(PlainResponse response) {
    UpgradeDecision decision;
    decision.refusal = std::move(response);
    return decision;
}

// "Authorization: <scheme> <credentials>" -> {scheme, credentials}.
std::pair<std::string, std::string> splitAuthorization(const std::string& header) {
    const std::string value = Poco::trim(header);
    const std::size_t space = value.find(' ');
    if (space == std::string::npos) return {value, ""};
    return {value.substr(0, space), Poco::trim(value.substr(space + 1))};
}

// Checks a Bearer key for the route; sets the refusal or the key's name.
void checkBearer(const PlainRequest& request, const std::string& route, const Backend& backend,
                 UpgradeDecision& decision) {
    const std::string authorization = request.header("Authorization");
    const auto [scheme, key] = splitAuthorization(authorization);
    if (Poco::icompare(scheme, "Bearer") != 0) {
        decision.refusal = errorResponse(401, "invalid_api_key", "use Authorization: Bearer <key>");
        return;
    }
    const auto runtime = backend.runtime();
    const auto verdict = runtime->keys->check(key, route);
    if (verdict.verdict == auth::Verdict::InvalidKey) {
        backend.authThrottle().failed(request.clientAddress,
                                      auth::ThrottleLimits::of(runtime->server));
        decision.refusal = errorResponse(401, "invalid_api_key", "the key is not valid");
    } else if (verdict.verdict == auth::Verdict::Forbidden)
        decision.refusal =
            errorResponse(403, "forbidden", "this key may not open /api/" + route + "/ws");
    else
        decision.bearerKeyName = verdict.keyName;
}

// The key's max_connections, known before the upgrade when it came as a Bearer key. The
// session takes the slot; two upgrades racing for the last one make the later a refused session.
std::optional<PlainResponse> connectionLimit(const std::string& keyName, const Backend& backend) {
    const auto refusal = backend.keyLimits().checkConnection(keyName);
    if (!refusal) return std::nullopt;
    return retryLaterResponse(refusal->code, refusal->message, refusal->retryAfterS);
}

}  // namespace

std::string webSocketRoute(const std::string& path) {
    const std::string prefix = "/api/", suffix = "/ws";
    if (path.size() <= prefix.size() + suffix.size() || path.rfind(prefix, 0) != 0 ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
        return "";
    return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}

UpgradeDecision decideUpgrade(const Head& head, const std::string& route, const Backend& backend) {
    const PlainRequest& request = head.request;
    UpgradeDecision decision;
    decision.instance = backend.routes()->find(route);
    if (!decision.instance)
        return refused(
            errorResponse(404, "not_found", "no plugin is configured at route \"" + route + "\""));
    if (request.method != "GET")
        return refused(errorResponse(405, "method_not_allowed", "WebSocket upgrades use GET"));
    if (!head.upgrade)
        return refused(errorResponse(426, "upgrade_required", "connect with a WebSocket client"));
    if (Poco::trim(request.header("Sec-WebSocket-Version")) != "13") {
        auto response =
            errorResponse(400, "bad_handshake", "only WebSocket version 13 is supported");
        response.headers.emplace_back("Sec-WebSocket-Version", "13");
        return refused(std::move(response));
    }
    const std::string clientKey = Poco::trim(request.header("Sec-WebSocket-Key"));
    if (clientKey.empty())
        return refused(errorResponse(400, "bad_handshake", "Sec-WebSocket-Key is missing"));
    // An address in its brute-force cool-down gets no key checked, right or wrong.
    if (const int wait = backend.authThrottle().retryAfterS(request.clientAddress))
        return refused(authRateLimited(wait));
    if (!request.header("Authorization").empty()) {
        checkBearer(request, route, backend, decision);
        if (decision.refusal) return decision;
        if (auto refusal = connectionLimit(*decision.bearerKeyName, backend))
            return refused(std::move(*refusal));
    }
    if (backend.atConnectionLimit())
        return refused(
            errorResponse(503, "too_many_connections", "the server is at its connection limit"));
    decision.switching.status = 101;
    decision.switching.headers = {{"Upgrade", "websocket"},
                                  {"Connection", "Upgrade"},
                                  {"Sec-WebSocket-Accept", ws::acceptKey(clientKey)}};
    return decision;
}

}  // namespace agenthost::http
