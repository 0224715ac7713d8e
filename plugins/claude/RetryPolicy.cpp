#include "RetryPolicy.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace agenthost::claude {
namespace {

constexpr double kInitialDelayS = 0.5;
constexpr double kMaxDelayS = 8.0;
constexpr std::chrono::milliseconds kLongestHonouredRetryAfter{60'000};

std::optional<double> parseNumber(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r' || text.back() == '\n'))
        text.remove_suffix(1);
    if (text.empty()) return std::nullopt;
    try {
        std::size_t used = 0;
        const std::string s(text);
        const double value = std::stod(s, &used);
        if (used != s.size() || !std::isfinite(value) || value < 0) return std::nullopt;
        return value;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

bool shouldRetryTransport(CURLcode code) {
    return code != CURLE_PEER_FAILED_VERIFICATION && code != CURLE_SSL_CACERT_BADFILE;
}

std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view retryAfterMs,
                                                         std::string_view retryAfterSeconds) {
    if (auto ms = parseNumber(retryAfterMs))
        return std::chrono::milliseconds(static_cast<long long>(std::ceil(*ms)));
    if (auto s = parseNumber(retryAfterSeconds))
        return std::chrono::milliseconds(static_cast<long long>(std::ceil(*s * 1000.0)));
    return std::nullopt;
}

bool shouldRetryStatus(long status, const RetryHints& hints) {
    if (hints.shouldRetry) return *hints.shouldRetry;
    return status == 408 || status == 409 || status == 429 || status >= 500;
}

std::chrono::milliseconds retryDelay(int retriesSoFar, const RetryHints& hints, double random01) {
    if (hints.retryAfter && *hints.retryAfter <= kLongestHonouredRetryAfter)
        return *hints.retryAfter;
    const double base = std::min(kInitialDelayS * std::pow(2.0, retriesSoFar), kMaxDelayS);
    const double jittered = base * (1.0 - 0.25 * std::clamp(random01, 0.0, 1.0));
    return std::chrono::milliseconds(static_cast<long long>(jittered * 1000.0));
}

}  // namespace agenthost::claude
