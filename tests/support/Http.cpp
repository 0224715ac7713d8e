#include "support/Http.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <cctype>
#include <ostream>

#include "support/Tls.h"

namespace agenthost::test {
namespace {

std::string lowerCase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

std::string HttpResult::header(const std::string& name) const {
    auto found = headers.find(lowerCase(name));
    return found == headers.end() ? "" : found->second;
}

HttpResult httpRequest(std::uint16_t port, const std::string& method, const std::string& path,
                       const HttpHeaders& headers, const std::string& body,
                       const std::string& sourceAddress) {
    auto session = clientSession(port, sourceAddress);  // over TLS when the suite runs over wss://
    session->setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) request.set(name, value);
    if (!body.empty()) request.setContentLength(static_cast<std::streamsize>(body.size()));
    session->sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    HttpResult result;
    result.status = response.getStatus();
    for (const auto& [name, value] : response) result.headers[lowerCase(name)] = value;
    Poco::StreamCopier::copyToString(in, result.body);
    return result;
}

HttpHeaders bearer(const std::string& key) {
    return {{"Authorization", "Bearer " + key}};
}

}  // namespace agenthost::test
