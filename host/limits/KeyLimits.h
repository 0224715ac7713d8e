// Per-key limits: max_connections, requests_per_minute, max_concurrent_requests and
// tokens_per_day of each [key.NAME] (docs/config.md). The host owns the one KeyLimits; sessions
// ask it before a key's connection opens and before a client message is accepted,
// conversations tell it when a key's response ends and how many tokens a plugin reported.
//
// The counters are keyed by key name and live here, not in a config generation: a reload
// (configure) changes the limits and keeps what was used. Token totals of the current UTC day
// go to the conversation store when there is one, and are read back at start.
//
// Threading: every method may be called from any thread. mutex_ guards the limits and the
// counters and is a leaf lock: nothing is called under it (no plugin, no store, no connection),
// so callers may hold their own locks (a session's, a conversation's) when they call in.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/Config.h"

namespace agenthost::store {
class ConversationStore;
}

namespace agenthost::limits {

// Codes of refusals, as error frames carry them.
inline constexpr const char* kRateLimited = "rate_limited";
inline constexpr const char* kQuotaExceeded = "quota_exceeded";

// A limit was hit: which one, in a sentence, and when to try again.
struct Refusal {
    const char* code = kRateLimited;
    std::string message;
    std::int64_t retryAfterS = 1;
};

// The lengths of the windows. Real ones by default; tests shorten them through the environment
// (AGENTHOST_TEST_MINUTE_MS, AGENTHOST_TEST_DAY_MS) so that a limit is seen to free up without
// waiting a minute or a day.
struct Windows {
    std::int64_t minuteMs = 60'000;
    std::int64_t dayMs = 86'400'000;
    static Windows fromEnvironment();
};

class KeyLimits {
  public:
    // `store` (may be null) keeps the token totals; today's are read from it here.
    KeyLimits(store::ConversationStore* store, Windows windows);
    KeyLimits(const KeyLimits&) = delete;
    KeyLimits& operator=(const KeyLimits&) = delete;

    // The limits of every configured key, at start and on each reload; counters stay.
    void configure(const std::vector<config::KeySettings>& keys);

    // max_connections, without taking a slot: for the 429 answer to an upgrade.
    std::optional<Refusal> checkConnection(const std::string& key) const;
    // Takes one of the key's connection slots, or says why not. closeConnection gives it back.
    std::optional<Refusal> openConnection(const std::string& key);
    void closeConnection(const std::string& key);

    // A client message of `key`: tokens_per_day, requests_per_minute, and, when
    // `startsResponse` (its conversation has no response running), max_concurrent_requests.
    // Accepted: counted in the minute, and with `startsResponse` one running response is
    // counted until responseEnded. Refused: nothing is counted.
    std::optional<Refusal> admitMessage(const std::string& key, bool startsResponse);
    void responseEnded(const std::string& key);

    // A plugin's request ended having reported `tokens` (input + output) for `key`.
    void addTokens(const std::string& key, std::uint64_t tokens);

    // GET /api/usage: the key's limits, current use and reset times, as JSON.
    std::string usageJson(const std::string& key) const;

  private:
    struct Counters {
        std::uint64_t connections = 0;
        std::uint64_t running = 0;              // responses running
        std::deque<std::int64_t> acceptedAtMs;  // messages in the rolling minute (if limited)
        std::int64_t day = 0;                   // the day tokens counts
        std::uint64_t tokens = 0;
    };

    std::int64_t dayOf(std::int64_t nowMs) const { return nowMs / windows_.dayMs; }
    // The key's counters, with the minute pruned and the day rolled over to `nowMs`.
    Counters& countersLocked(const std::string& key, std::int64_t nowMs) const;
    const config::KeyLimitSettings& limitsLocked(const std::string& key) const;
    std::optional<Refusal> connectionRefusalLocked(const std::string& key,
                                                   const Counters& counters) const;
    std::int64_t secondsUntilNextDay(std::int64_t nowMs) const;

    const Windows windows_;
    store::ConversationStore* const store_;

    mutable std::mutex mutex_;  // guards everything below
    std::unordered_map<std::string, config::KeyLimitSettings> limits_;
    mutable std::unordered_map<std::string, Counters> counters_;
};

}  // namespace agenthost::limits
