// GET / and /app/...: the chat page's files (web/StaticSite.h), from memory, with the headers
// that keep a page holding an API key safe: a Content-Security-Policy that allows only the
// page's own scripts and connections, nosniff, and revalidation by ETag.
#pragma once

#include "http/PlainHttp.h"

namespace agenthost::http {

class Backend;

// "/", "/app" and "/app/" are index.html; "/app/<path>" is that file of the folder.
PlainResponse webPageEndpoint(const PlainRequest& request, const Backend& backend);

// The Content-Security-Policy of every file of the page.
inline constexpr const char* kWebPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

}  // namespace agenthost::http
