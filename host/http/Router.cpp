#include "http/Router.h"

#include "http/Response.h"

namespace agenthost::http {
namespace {

bool matches(const std::string& path, const std::string& pattern, bool isPrefix) {
    if (!isPrefix) return path == pattern;
    return path.rfind(pattern, 0) == 0 &&
           (path.size() == pattern.size() || path[pattern.size()] == '/' || pattern.back() == '/');
}

}  // namespace

void Router::exact(std::string path, Endpoint endpoint) {
    entries_.push_back({std::move(path), false, false, std::move(endpoint)});
}

void Router::blockingExact(std::string path, Endpoint endpoint) {
    entries_.push_back({std::move(path), false, true, std::move(endpoint)});
}

void Router::prefix(std::string prefix, Endpoint endpoint) {
    entries_.push_back({std::move(prefix), true, false, std::move(endpoint)});
}

void Router::blockingPrefix(std::string prefix, Endpoint endpoint) {
    entries_.push_back({std::move(prefix), true, true, std::move(endpoint)});
}

const Router::Entry* Router::find(const PlainRequest& request) const {
    for (const auto& entry : entries_)
        if (matches(request.path, entry.path, entry.isPrefix)) return &entry;
    return nullptr;
}

PlainResponse Router::handle(const PlainRequest& request) const {
    if (const Entry* entry = find(request)) return entry->endpoint(request);
    return errorResponse(404, "not_found", "no such endpoint: " + request.path);
}

Router::Endpoint readOnly(Router::Endpoint endpoint) {
    return [endpoint = std::move(endpoint)](const PlainRequest& request) {
        if (request.method != "GET" && request.method != "HEAD") {
            auto refusal = errorResponse(405, "method_not_allowed", "use GET");
            refusal.headers.emplace_back("Allow", "GET, HEAD");
            return refusal;
        }
        return endpoint(request);
    };
}

}  // namespace agenthost::http
