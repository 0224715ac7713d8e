// Turns what went wrong into an error frame a person can act on: a short machine code and a
// sentence saying what happened and what to do. Never includes the API key.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <string>
#include <string_view>

#include "ClaudeConfig.h"
#include "MessageStream.h"

namespace agenthost::claude {

struct Failure {
    std::string code;  // e.g. "invalid_api_key", "rate_limited", "timeout"
    std::string message;
};

// No key in the settings nor in the environment.
Failure missingKeyFailure(const ClaudeConfig& config);

// An HTTP error status with the API's JSON error body ({"error":{"type","message"}}).
Failure httpFailure(const ClaudeConfig& config, long status, std::string_view body,
                    const std::string& requestId);

// An `error` event after the HTTP 200 (or a stream we could not read).
Failure streamFailure(const StreamError& error, const std::string& requestId);

// libcurl could not complete the exchange (refused, DNS, TLS, reset, ...).
Failure transportFailure(const ClaudeConfig& config, CURLcode code, const std::string& detail);

// The API stayed silent for config.timeout.
Failure timeoutFailure(const ClaudeConfig& config);

// The body ended before message_stop.
Failure truncatedFailure(const std::string& requestId);

// A 200 that is not an event stream (e.g. a proxy's page).
Failure notAStreamFailure(const ClaudeConfig& config, const std::string& contentType);

// The instance is going away (the host stops or reloads) with the request still running.
Failure shutDownFailure();

// Adds " (after N attempts)" when retries were spent.
void noteAttempts(Failure& failure, int attempts);

}  // namespace agenthost::claude
