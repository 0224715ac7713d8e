#include "http/Endpoints.h"

#include "http/Backend.h"
#include "http/Response.h"

namespace agenthost::http {
namespace {

PlainResponse json(std::string body) {
    PlainResponse response;
    response.body = std::move(body);
    return response;
}

}  // namespace

PlainResponse healthEndpoint(const PlainRequest&, const Backend& backend) {
    return json(healthJson(backend.routes().get()));
}

PlainResponse statusEndpoint(const PlainRequest&, const Backend& backend) {
    return json(statusJson(backend.statusFacts(), true));
}

}  // namespace agenthost::http
