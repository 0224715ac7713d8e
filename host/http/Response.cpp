#include "http/Response.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/String.h>

#include <optional>
#include <sstream>

#include "util/Version.h"

namespace agenthost::http {

namespace {

PlainResponse jsonError(int status, const std::string& code, const std::string& message,
                        std::optional<int> retryAfterS) {
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("error", code);
    body.set("message", message);
    if (retryAfterS) body.set("retry_after_s", *retryAfterS);
    std::ostringstream out;
    body.stringify(out);
    PlainResponse response;
    response.status = status;
    response.body = out.str();
    if (retryAfterS) response.headers.emplace_back("Retry-After", std::to_string(*retryAfterS));
    return response;
}

bool hasHeader(const PlainResponse& response, const std::string& name) {
    for (const auto& header : response.headers)
        if (Poco::icompare(header.first, name) == 0) return true;
    return false;
}

}  // namespace

PlainResponse errorResponse(int status, const std::string& code, const std::string& message) {
    return jsonError(status, code, message, std::nullopt);
}

PlainResponse retryLaterResponse(const std::string& code, const std::string& message,
                                 int retryAfterS) {
    return jsonError(429, code, message, retryAfterS);
}

std::string serialize(const PlainResponse& response, bool keepAlive, bool headRequest) {
    const auto reason = Poco::Net::HTTPResponse::getReasonForStatus(
        static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
    std::string out;
    out.reserve(256 + response.body.size());
    out += "HTTP/1.1 " + std::to_string(response.status) + " " + reason + "\r\n";
    out += "Server: agenthost/";
    out += kVersion;
    out += "\r\nDate: " +
           Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::HTTP_FORMAT) +
           "\r\n";
    if (response.status != 101) {
        // A 304 has no body of its own: its length would be the cached one's.
        if (response.status != 304) {
            out += "Content-Type: " + response.contentType + "\r\n";
            out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
        }
        if (!hasHeader(response, "Cache-Control")) out += "Cache-Control: no-store\r\n";
        out += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    }
    for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
    out += "\r\n";
    if (!headRequest) out += response.body;
    return out;
}

}  // namespace agenthost::http
