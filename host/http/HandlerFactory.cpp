#include "http/HandlerFactory.h"

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <sstream>

#include "core/Host.h"
#include "net/WsCodec.h"

namespace agenthost::http {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void sendJson(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
              const std::string& body) {
    response.setStatusAndReason(status);
    response.setContentType("application/json");
    response.set("Cache-Control", "no-store");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
}

std::string errorBody(const std::string& code, const std::string& message) {
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("error", code);
    body.set("message", message);
    std::ostringstream out;
    body.stringify(out);
    return out.str();
}

// Answers with a fixed status and JSON body.
class JsonHandler final : public Poco::Net::HTTPRequestHandler {
  public:
    JsonHandler(HTTPResponse::HTTPStatus status, std::string body)
        : status_(status), body_(std::move(body)) {}
    void handleRequest(HTTPServerRequest&, HTTPServerResponse& response) override {
        sendJson(response, status_, body_);
    }

  private:
    HTTPResponse::HTTPStatus status_;
    std::string body_;
};

// The WebSocket handshake for one route. The key may come as "Authorization: Bearer".
class UpgradeHandler final : public Poco::Net::HTTPRequestHandler {
  public:
    UpgradeHandler(core::Host& host, std::shared_ptr<plugin::PluginInstance> instance)
        : host_(host), instance_(std::move(instance)) {}

    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
        if (request.get("Sec-WebSocket-Version", "") != "13") {
            response.set("Sec-WebSocket-Version", "13");
            sendJson(response, HTTPResponse::HTTP_BAD_REQUEST,
                     errorBody("bad_handshake", "only WebSocket version 13 is supported"));
            return;
        }
        const std::string clientKey = Poco::trim(request.get("Sec-WebSocket-Key", ""));
        if (clientKey.empty()) {
            sendJson(response, HTTPResponse::HTTP_BAD_REQUEST,
                     errorBody("bad_handshake", "Sec-WebSocket-Key is missing"));
            return;
        }
        std::optional<std::string> bearerKeyName;
        if (request.has("Authorization")) {
            std::string scheme, key;
            request.getCredentials(scheme, key);
            if (Poco::icompare(scheme, "Bearer") != 0) {
                sendJson(response, HTTPResponse::HTTP_UNAUTHORIZED,
                         errorBody("invalid_api_key", "use Authorization: Bearer <key>"));
                return;
            }
            const auto decision = host_.runtime()->keys->check(key, instance_->route());
            if (decision.verdict == auth::Verdict::InvalidKey) {
                sendJson(response, HTTPResponse::HTTP_UNAUTHORIZED,
                         errorBody("invalid_api_key", "the key is not valid"));
                return;
            }
            if (decision.verdict == auth::Verdict::Forbidden) {
                sendJson(response, HTTPResponse::HTTP_FORBIDDEN,
                         errorBody("forbidden",
                                   "this key may not open /api/" + instance_->route() + "/ws"));
                return;
            }
            bearerKeyName = decision.keyName;
        }
        if (host_.atConnectionLimit()) {
            sendJson(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                     errorBody("too_many_connections", "the server is at its connection limit"));
            return;
        }
        response.setStatusAndReason(HTTPResponse::HTTP_SWITCHING_PROTOCOLS);
        response.set("Upgrade", "websocket");
        response.set("Connection", "Upgrade");
        response.set("Sec-WebSocket-Accept", ws::acceptKey(clientKey));
        response.setContentLength(HTTPResponse::UNKNOWN_CONTENT_LENGTH);
        response.send().flush();
        auto socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(request).detachSocket();
        host_.adopt(std::move(socket), instance_, bearerKeyName,
                    Poco::URI(request.getURI()).getRawQuery());
    }

  private:
    core::Host& host_;
    std::shared_ptr<plugin::PluginInstance> instance_;
};

// Answers GET with the body the host builds at that moment.
class LiveJsonHandler final : public Poco::Net::HTTPRequestHandler {
  public:
    explicit LiveJsonHandler(std::function<std::string()> body) : body_(std::move(body)) {}
    void handleRequest(HTTPServerRequest&, HTTPServerResponse& response) override {
        sendJson(response, HTTPResponse::HTTP_OK, body_());
    }

  private:
    std::function<std::string()> body_;
};

// "/api/<route>/ws" -> route, else empty.
std::string routeOf(const std::string& path) {
    const std::string prefix = "/api/", suffix = "/ws";
    if (path.size() <= prefix.size() + suffix.size() || path.rfind(prefix, 0) != 0 ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
        return "";
    return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}

bool isUpgrade(const HTTPServerRequest& request) {
    return Poco::icompare(request.get("Upgrade", ""), "websocket") == 0 &&
           request.hasToken("Connection", "upgrade");
}

}  // namespace

Poco::Net::HTTPRequestHandler* HandlerFactory::createRequestHandler(
    const HTTPServerRequest& request) {
    std::string path;
    try {
        path = Poco::URI(request.getURI()).getPath();
    } catch (const Poco::Exception&) {
        return new JsonHandler(HTTPResponse::HTTP_BAD_REQUEST,
                               errorBody("bad_request", "invalid URI"));
    }
    const bool isGet = request.getMethod() == Poco::Net::HTTPRequest::HTTP_GET;
    const bool isHead = request.getMethod() == Poco::Net::HTTPRequest::HTTP_HEAD;
    if (path == "/api/health" || path == "/api/status") {
        if (!isGet && !isHead)
            return new JsonHandler(HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
                                   errorBody("method_not_allowed", "use GET"));
        if (path == "/api/health")
            return new LiveJsonHandler([this] { return host_.healthJson(); });
        return new LiveJsonHandler([this] { return host_.statusJson(); });
    }
    const std::string route = routeOf(path);
    auto instance = route.empty() ? nullptr : host_.routes()->find(route);
    if (!instance)
        return new JsonHandler(
            HTTPResponse::HTTP_NOT_FOUND,
            errorBody("not_found", route.empty()
                                       ? "no such endpoint: " + path
                                       : "no plugin is configured at route \"" + route + "\""));
    if (!isGet)
        return new JsonHandler(HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
                               errorBody("method_not_allowed", "WebSocket upgrades use GET"));
    if (!isUpgrade(request))
        return new JsonHandler(HTTPResponse::HTTP_UPGRADE_REQUIRED,
                               errorBody("upgrade_required", "connect with a WebSocket client"));
    return new UpgradeHandler(host_, std::move(instance));
}

}  // namespace agenthost::http
