#include "ApiErrors.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <exception>
#include <sstream>

namespace agenthost::claude {
namespace {

constexpr std::size_t kMaxQuotedBody = 200;

struct ApiError {
    std::string type;
    std::string message;
};

// The API's {"type":"error","error":{"type":...,"message":...}}; otherwise the body's start.
ApiError parseErrorBody(std::string_view body) {
    try {
        Poco::JSON::Parser parser;
        auto root = parser.parse(std::string(body)).extract<Poco::JSON::Object::Ptr>();
        if (auto error = root ? root->getObject("error") : nullptr)
            return {error->optValue<std::string>("type", ""),
                    error->optValue<std::string>("message", "")};
    } catch (const std::exception&) {
    }
    std::string start(body.substr(0, kMaxQuotedBody));
    for (char& c : start)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    return {"", start};
}

std::string describe(long status, const ApiError& error, const std::string& requestId) {
    std::string text = std::to_string(status);
    if (!error.type.empty()) text += " " + error.type;
    if (!error.message.empty()) text += ": " + error.message;
    if (!requestId.empty()) text += "; request id " + requestId;
    return "(" + text + ")";
}

std::string keyAdvice(const ClaudeConfig& config) {
    return "Set it with api_key = env:ANTHROPIC_API_KEY in the " + config.section() +
           " section of the agenthost config, or export ANTHROPIC_API_KEY before starting "
           "agenthost.";
}

// "api.anthropic.com" of "https://api.anthropic.com/v1": what a certificate is issued for.
std::string authorityOf(const std::string& url) {
    const std::size_t scheme = url.find("://");
    const std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
    return url.substr(start, url.find('/', start) - start);
}

std::string caAdvice(const ClaudeConfig& config) {
    return "If agenthost reaches the API through a TLS-inspecting proxy or a private CA, set "
           "ca_file in the " +
           config.section() +
           " section to its PEM certificate; otherwise install the system's CA certificates "
           "(apt-get install ca-certificates).";
}

}  // namespace

Failure missingKeyFailure(const ClaudeConfig& config) {
    return {"api_key_missing", "No Anthropic API key is configured for /api/" + config.route +
                                   "/ws. " + keyAdvice(config)};
}

Failure httpFailure(const ClaudeConfig& config, long status, std::string_view body,
                    const std::string& requestId) {
    const ApiError error = parseErrorBody(body);
    const std::string details = describe(status, error, requestId);
    switch (status) {
        case 400:
            return {"invalid_request", "The Anthropic API rejected the request " + details + "."};
        case 401:
            return {"invalid_api_key",
                    "The Anthropic API rejected the API key " + details + ". " + keyAdvice(config)};
        case 403:
            return {"permission_denied", "The Anthropic API key may not do this " + details +
                                             ". Check the key's workspace and its access to " +
                                             "model " + config.model + "."};
        case 404:
            return {"not_found", "The Anthropic API does not know this request " + details +
                                     ". Check model and base_url in the " + config.section() +
                                     " section."};
        case 413:
            return {"request_too_large", "The conversation is too large for the Anthropic API " +
                                             details + ". Start a new session."};
        case 429:
            return {"rate_limited", "The Anthropic API rate limit was reached " + details +
                                        ". Wait a moment and try again."};
        case 529:
            return {"overloaded", "The Anthropic API is overloaded " + details +
                                      ". Wait a moment and try again."};
        default:
            break;
    }
    if (status >= 500)
        return {"upstream_error",
                "The Anthropic API failed " + details + ". Try again in a moment."};
    return {"upstream_error", "The Anthropic API answered with HTTP " + details + "."};
}

Failure streamFailure(const StreamError& error, const std::string& requestId) {
    std::string where = requestId.empty() ? "" : " (request id " + requestId + ")";
    if (error.type == "malformed_stream")
        return {"upstream_error",
                "The Anthropic API sent a stream agenthost cannot read: " + error.message + where};
    const std::string code = error.type == "overloaded_error" ? "overloaded" : "upstream_error";
    return {code, "The Anthropic API stopped the response with an error (" + error.type + ": " +
                      error.message + ")" + where + ". Try again in a moment."};
}

Failure transportFailure(const ClaudeConfig& config, CURLcode code, const std::string& detail) {
    const std::string why = detail.empty() ? curl_easy_strerror(code) : detail;
    switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return {"upstream_unreachable", "Cannot resolve the host of base_url " +
                                                config.baseUrl + " (" + why +
                                                "). Check base_url in the " + config.section() +
                                                " section and the DNS settings."};
        case CURLE_COULDNT_CONNECT:
            return {"upstream_unreachable", "Cannot connect to the Anthropic API at " +
                                                config.baseUrl + " (" + why +
                                                "). Check base_url in the " + config.section() +
                                                " section and the network."};
        case CURLE_PEER_FAILED_VERIFICATION:
            return {"tls_error", "Could not verify the TLS certificate of " +
                                     authorityOf(config.baseUrl) + " (" + why + "). " +
                                     caAdvice(config)};
        case CURLE_SSL_CACERT_BADFILE:
            return {"tls_error", "Could not read the CA certificates to verify " +
                                     authorityOf(config.baseUrl) + " with (" + why + "). " +
                                     caAdvice(config)};
        case CURLE_SSL_CONNECT_ERROR:
            return {"tls_error", "The TLS handshake with " + authorityOf(config.baseUrl) +
                                     " failed (" + why + "). Check base_url in the " +
                                     config.section() + " section and any proxy in between."};
        case CURLE_OPERATION_TIMEDOUT:  // only the connect timeout is curl's; see MessageCall
            return {"timeout", "Connecting to the Anthropic API at " + config.baseUrl +
                                   " timed out (" + why + "). Check base_url in the " +
                                   config.section() + " section and the network."};
        default:
            return {"upstream_error", "The connection to the Anthropic API at " + config.baseUrl +
                                          " failed (" + why + "). Try again in a moment."};
    }
}

Failure timeoutFailure(const ClaudeConfig& config) {
    std::ostringstream seconds;
    seconds << static_cast<double>(config.timeout.count()) / 1000.0;
    return {"timeout", "The Anthropic API sent nothing for " + seconds.str() +
                           " s (timeout_s in the " + config.section() +
                           " section). Try again in a moment."};
}

Failure truncatedFailure(const std::string& requestId) {
    std::string where = requestId.empty() ? "" : " (request id " + requestId + ")";
    return {"upstream_error", "The Anthropic API closed the stream before the message ended" +
                                  where + ". Try again."};
}

Failure notAStreamFailure(const ClaudeConfig& config, const std::string& contentType) {
    return {"upstream_error", "The server at " + config.baseUrl +
                                  " answered 200 without an event stream (content-type \"" +
                                  contentType + "\"). Check base_url in the " + config.section() +
                                  " section."};
}

Failure shutDownFailure() {
    return {"plugin_unavailable",
            "The claude plugin was shut down (agenthost is stopping or reloading its "
            "configuration). Send the message again."};
}

void noteAttempts(Failure& failure, int attempts) {
    if (attempts > 1)
        failure.message += " (gave up after " + std::to_string(attempts) + " attempts)";
}

}  // namespace agenthost::claude
