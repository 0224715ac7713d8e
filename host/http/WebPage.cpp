#include "http/WebPage.h"

#include "http/Backend.h"
#include "http/Response.h"
#include "session/Runtime.h"
#include "web/StaticSite.h"

namespace agenthost::http {
namespace {

// The file a request path names inside the folder, or "" when it names none.
std::string relativePath(const std::string& path) {
    if (path == "/" || path == "/app" || path == "/app/") return "index.html";
    if (path.rfind("/app/", 0) == 0) return path.substr(5);
    return "";
}

// If-None-Match holds `etag` (or "*"): the client's copy is current.
bool clientHasCurrent(const PlainRequest& request, const std::string& etag) {
    const std::string asked = request.header("If-None-Match");
    return asked == "*" || asked.find(etag) != std::string::npos;
}

}  // namespace

PlainResponse webPageEndpoint(const PlainRequest& request, const Backend& backend) {
    const auto runtime = backend.runtime();
    if (!runtime->site) return errorResponse(404, "not_found", runtime->webProblem);
    const std::string relative = relativePath(request.path);
    const web::StaticFile* file = relative.empty() ? nullptr : runtime->site->find(relative);
    if (!file) return errorResponse(404, "not_found", "no such file: " + request.path);
    PlainResponse response;
    response.contentType = file->contentType;
    response.headers = {{"ETag", file->etag},
                        // Kept, but asked again each time: an upgrade shows at once.
                        {"Cache-Control", "no-cache"},
                        {"Content-Security-Policy", kWebPagePolicy},
                        {"X-Content-Type-Options", "nosniff"},
                        {"Referrer-Policy", "no-referrer"}};
    if (clientHasCurrent(request, file->etag))
        response.status = 304;
    else
        response.body = file->body;
    return response;
}

}  // namespace agenthost::http
