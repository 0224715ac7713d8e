// When a failed attempt is tried again, and after how long: the official SDKs' policy.
//
// Retried: 408, 409, 429, every 5xx (529 "overloaded" included) and connection failures (not a
// certificate that cannot be verified, nor CA certificates that cannot be read), up to
// max_retries times, and only while the client has seen no text (a retry would repeat it).
// The wait is the server's retry-after-ms / retry-after when it gives one below a minute, else
// 0.5 s * 2^n capped at 8 s, minus up to 25 % jitter so that many clients do not retry in step.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <optional>
#include <string_view>

namespace agenthost::claude {

// What the response headers say about retrying.
struct RetryHints {
    std::optional<std::chrono::milliseconds> retryAfter;  // retry-after-ms or retry-after
    std::optional<bool> shouldRetry;                      // x-should-retry: true|false
};

// Reads retry-after-ms (milliseconds) or, failing that, retry-after (seconds, may be
// fractional). HTTP-date forms are not used by the API and are ignored.
std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view retryAfterMs,
                                                         std::string_view retryAfterSeconds);

// Whether an HTTP status is worth another attempt; x-should-retry overrides the status.
bool shouldRetryStatus(long status, const RetryHints& hints);

// Whether a failed transfer (no HTTP status) is worth another attempt: the same certificate
// fails verification the same way every time.
bool shouldRetryTransport(CURLcode code);

// How long to wait before retry number `retriesSoFar + 1`. `random01` is uniform in [0, 1).
std::chrono::milliseconds retryDelay(int retriesSoFar, const RetryHints& hints, double random01);

}  // namespace agenthost::claude
