// A plain (non-upgrade) HTTP request and its answer, independent of the code that reads and
// writes the bytes: the endpoints (health, status, conversations, ...) take a PlainRequest and
// give a PlainResponse, whichever front end parsed the head.
#pragma once

#include <Poco/String.h>
#include <strings.h>

#include <string>
#include <utility>
#include <vector>

namespace agenthost::http {

struct PlainRequest {
    std::string method;                                        // "GET", "HEAD", "DELETE", ...
    std::string path;                                          // decoded path, without the query
    std::string query;                                         // raw query string, without '?'
    std::vector<std::pair<std::string, std::string>> headers;  // as received
    std::string clientAddress;  // the peer's address without the port: per-address limits

    // The first header of that name (case-insensitive), or "".
    std::string header(const std::string& name) const {
        for (const auto& [key, value] : headers)
            if (::strcasecmp(key.c_str(), name.c_str()) == 0) return value;
        return "";
    }

    // The key of "Authorization: Bearer <key>", or "" when the request presents none.
    std::string bearerKey() const {
        const std::string value = Poco::trim(header("Authorization"));
        if (value.size() < 7 || Poco::icompare(value.substr(0, 7), "Bearer ") != 0) return "";
        return Poco::trim(value.substr(7));
    }
};

struct PlainResponse {
    int status = 200;
    std::string contentType = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra ones
};

}  // namespace agenthost::http
