#include "limits/KeyLimits.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/Timestamp.h>

#include <charconv>
#include <cstdlib>
#include <sstream>

#include "store/ConversationStore.h"
#include "util/EpochMillis.h"

namespace agenthost::limits {
namespace {

std::int64_t positiveFromEnvironment(const char* name, std::int64_t fallback) {
    const char* text = std::getenv(name);
    if (text == nullptr) return fallback;
    std::int64_t value = 0;
    const char* end = text + std::char_traits<char>::length(text);
    auto [stop, ec] = std::from_chars(text, end, value);
    return ec == std::errc() && stop == end && value > 0 ? value : fallback;
}

std::string isoTime(std::int64_t millis) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(millis * 1000), "%Y-%m-%dT%H:%M:%S.%iZ");
}

// Whole seconds until `millis` from now, at least 1: a client that waits that long finds it free.
std::int64_t secondsUntil(std::int64_t millis, std::int64_t nowMs) {
    const std::int64_t waitMs = millis - nowMs;
    return waitMs <= 0 ? 1 : (waitMs + 999) / 1000;
}

const config::KeyLimitSettings kUnlimited{};

Poco::Dynamic::Var limitValue(const std::optional<std::uint64_t>& limit) {
    if (limit) return Poco::Dynamic::Var(*limit);
    return Poco::Dynamic::Var();  // null: unlimited
}

}  // namespace

Windows Windows::fromEnvironment() {
    Windows windows;
    windows.minuteMs = positiveFromEnvironment("AGENTHOST_TEST_MINUTE_MS", windows.minuteMs);
    windows.dayMs = positiveFromEnvironment("AGENTHOST_TEST_DAY_MS", windows.dayMs);
    return windows;
}

KeyLimits::KeyLimits(store::ConversationStore* store, Windows windows)
    : windows_(windows), store_(store) {
    if (!store_) return;
    const std::int64_t today = dayOf(util::epochMillis());
    for (const auto& total : store_->keyTokens(today)) {
        Counters& counters = counters_[total.keyName];
        counters.day = today;
        counters.tokens = total.tokens;
    }
}

void KeyLimits::configure(const std::vector<config::KeySettings>& keys) {
    std::unordered_map<std::string, config::KeyLimitSettings> limits;
    for (const auto& key : keys) limits[key.name] = key.limits;
    std::lock_guard<std::mutex> lock(mutex_);
    limits_ = std::move(limits);
}

const config::KeyLimitSettings& KeyLimits::limitsLocked(const std::string& key) const {
    const auto found = limits_.find(key);
    return found == limits_.end() ? kUnlimited : found->second;
}

KeyLimits::Counters& KeyLimits::countersLocked(const std::string& key, std::int64_t nowMs) const {
    Counters& counters = counters_[key];
    while (!counters.acceptedAtMs.empty() &&
           counters.acceptedAtMs.front() <= nowMs - windows_.minuteMs)
        counters.acceptedAtMs.pop_front();
    if (const std::int64_t today = dayOf(nowMs); counters.day != today) {
        counters.day = today;
        counters.tokens = 0;
    }
    return counters;
}

std::int64_t KeyLimits::secondsUntilNextDay(std::int64_t nowMs) const {
    return secondsUntil((dayOf(nowMs) + 1) * windows_.dayMs, nowMs);
}

std::optional<Refusal> KeyLimits::connectionRefusalLocked(const std::string& key,
                                                          const Counters& counters) const {
    const auto& limit = limitsLocked(key).maxConnections;
    if (!limit || counters.connections < *limit) return std::nullopt;
    return Refusal{kRateLimited,
                   "key " + key + " has " + std::to_string(counters.connections) +
                       " connections open (max_connections = " + std::to_string(*limit) +
                       "): one must close first",
                   1};
}

std::optional<Refusal> KeyLimits::checkConnection(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return connectionRefusalLocked(key, countersLocked(key, util::epochMillis()));
}

std::optional<Refusal> KeyLimits::openConnection(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    Counters& counters = countersLocked(key, util::epochMillis());
    if (auto refusal = connectionRefusalLocked(key, counters)) return refusal;
    counters.connections += 1;
    return std::nullopt;
}

void KeyLimits::closeConnection(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    Counters& counters = counters_[key];
    if (counters.connections > 0) counters.connections -= 1;
}

std::optional<Refusal> KeyLimits::admitMessage(const std::string& key, bool startsResponse) {
    const std::int64_t now = util::epochMillis();
    std::lock_guard<std::mutex> lock(mutex_);
    const auto& limits = limitsLocked(key);
    Counters& counters = countersLocked(key, now);
    if (limits.tokensPerDay && counters.tokens >= *limits.tokensPerDay)
        return Refusal{
            kQuotaExceeded,
            "key " + key + " has used " + std::to_string(counters.tokens) +
                " tokens today (tokens_per_day = " + std::to_string(*limits.tokensPerDay) +
                "); it resets at " + isoTime((counters.day + 1) * windows_.dayMs),
            secondsUntilNextDay(now)};
    if (limits.requestsPerMinute && counters.acceptedAtMs.size() >= *limits.requestsPerMinute) {
        const std::int64_t freeAt = counters.acceptedAtMs.front() + windows_.minuteMs;
        return Refusal{kRateLimited,
                       "key " + key + " sent " + std::to_string(counters.acceptedAtMs.size()) +
                           " messages in the last minute (requests_per_minute = " +
                           std::to_string(*limits.requestsPerMinute) + "); the next is taken at " +
                           isoTime(freeAt),
                       secondsUntil(freeAt, now)};
    }
    if (startsResponse && limits.maxConcurrentRequests &&
        counters.running >= *limits.maxConcurrentRequests)
        return Refusal{kRateLimited,
                       "key " + key + " has " + std::to_string(counters.running) +
                           " responses running (max_concurrent_requests = " +
                           std::to_string(*limits.maxConcurrentRequests) +
                           "): send again when one has ended",
                       1};
    // Only a limited key's minute is kept: its length is bounded by the limit.
    if (limits.requestsPerMinute) counters.acceptedAtMs.push_back(now);
    if (startsResponse) counters.running += 1;
    return std::nullopt;
}

void KeyLimits::responseEnded(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    Counters& counters = counters_[key];
    if (counters.running > 0) counters.running -= 1;
}

void KeyLimits::addTokens(const std::string& key, std::uint64_t tokens) {
    if (tokens == 0) return;
    store::KeyTokens total;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        Counters& counters = countersLocked(key, util::epochMillis());
        counters.tokens += tokens;
        total = {key, counters.day, counters.tokens};
    }
    if (store_) store_->saveKeyTokens(std::move(total));  // queued; never waits for the disk
}

std::string KeyLimits::usageJson(const std::string& key) const {
    const std::int64_t now = util::epochMillis();
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    Poco::JSON::Object connections(Poco::JSON_PRESERVE_KEY_ORDER),
        minute(Poco::JSON_PRESERVE_KEY_ORDER), concurrent(Poco::JSON_PRESERVE_KEY_ORDER),
        day(Poco::JSON_PRESERVE_KEY_ORDER);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto& limits = limitsLocked(key);
        const Counters& counters = countersLocked(key, now);
        connections.set("limit", limitValue(limits.maxConnections));
        connections.set("used", counters.connections);
        minute.set("limit", limitValue(limits.requestsPerMinute));
        // Messages are only remembered for a key with this limit.
        if (limits.requestsPerMinute)
            minute.set("used", static_cast<std::uint64_t>(counters.acceptedAtMs.size()));
        else
            minute.set("used", Poco::Dynamic::Var());
        minute.set("window_s", windows_.minuteMs / 1000.0);
        minute.set("frees_at", counters.acceptedAtMs.empty()
                                   ? Poco::Dynamic::Var()
                                   : Poco::Dynamic::Var(isoTime(counters.acceptedAtMs.front() +
                                                                windows_.minuteMs)));
        concurrent.set("limit", limitValue(limits.maxConcurrentRequests));
        concurrent.set("used", counters.running);
        day.set("limit", limitValue(limits.tokensPerDay));
        day.set("used", counters.tokens);
        day.set("day_started_at", isoTime(counters.day * windows_.dayMs));
        day.set("resets_at", isoTime((counters.day + 1) * windows_.dayMs));
    }
    out.set("key", key);
    out.set("max_connections", connections);
    out.set("requests_per_minute", minute);
    out.set("max_concurrent_requests", concurrent);
    out.set("tokens_per_day", day);
    out.set("timestamp", isoTime(now));
    std::ostringstream text;
    out.stringify(text);
    return text.str();
}

}  // namespace agenthost::limits
