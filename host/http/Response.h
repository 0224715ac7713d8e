// Turning a PlainResponse into the bytes of an HTTP/1.1 response, and the JSON error answers
// every refusal uses.
#pragma once

#include <string>

#include "http/PlainHttp.h"

namespace agenthost::http {

// {"error": code, "message": message} with `status`.
PlainResponse errorResponse(int status, const std::string& code, const std::string& message);
// 429 {"error": code, "message": message, "retry_after_s": N} with "Retry-After: N": a limit
// that frees up in N seconds.
PlainResponse retryLaterResponse(const std::string& code, const std::string& message,
                                 int retryAfterS);

// Status line, headers (Content-Type, Content-Length, Cache-Control: no-store unless the
// response sets its own, Date, Server, Connection and the response's own), the blank line, and the
// body unless `headRequest`.
std::string serialize(const PlainResponse& response, bool keepAlive, bool headRequest);

}  // namespace agenthost::http
