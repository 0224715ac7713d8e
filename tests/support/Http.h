// Plain HTTP requests to a test host: any method, any headers, the whole answer back.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace agenthost::test {

struct HttpResult {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case

    // The value of header `name` (any case), or "" when absent.
    std::string header(const std::string& name) const;
};

using HttpHeaders = std::map<std::string, std::string>;

// Sends `method path` to 127.0.0.1:port with `headers` and `body` and reads the whole answer.
// Throws a Poco exception when the connection fails or times out (5 s). With `sourceAddress`
// the request comes from that loopback address (see clientSession()).
HttpResult httpRequest(std::uint16_t port, const std::string& method, const std::string& path,
                       const HttpHeaders& headers = {}, const std::string& body = "",
                       const std::string& sourceAddress = "");

// {"Authorization": "Bearer <key>"}.
HttpHeaders bearer(const std::string& key);

}  // namespace agenthost::test
