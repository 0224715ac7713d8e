#include "auth/AuthThrottle.h"

#include <Poco/Logger.h>
#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace agenthost::auth {
namespace {

constexpr auto kMinute = std::chrono::seconds(60);

Poco::Logger& log() {
    return Poco::Logger::get("agenthost.auth");
}

}  // namespace

std::string throttleKey(const std::string& address) {
    if (address.find(':') == std::string::npos) return address;
    unsigned char bytes[16];
    if (::inet_pton(AF_INET6, address.c_str(), bytes) != 1) return address;
    static const unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char text[INET6_ADDRSTRLEN];
    if (std::memcmp(bytes, kMappedPrefix, sizeof kMappedPrefix) == 0 &&
        ::inet_ntop(AF_INET, bytes + 12, text, sizeof text) != nullptr)
        return text;  // an IPv4 client on a dual-stack socket
    std::memset(bytes + 8, 0, 8);
    if (::inet_ntop(AF_INET6, bytes, text, sizeof text) == nullptr) return address;
    return std::string(text) + "/64";
}

AuthThrottle::AuthThrottle(std::size_t maxAddresses)
    : maxAddresses_(std::max<std::size_t>(1, maxAddresses)) {}

int AuthThrottle::retryAfterS(const std::string& address, Clock::time_point now) {
    const std::string key = throttleKey(address);
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = entries_.find(key);
    if (found == entries_.end() || now >= found->second.blockedUntil) return 0;
    const auto left = found->second.blockedUntil - now;
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(left).count();
    return static_cast<int>(std::max<std::chrono::seconds::rep>(1, seconds));
}

bool AuthThrottle::failed(const std::string& address, const ThrottleLimits& limits,
                          Clock::time_point now) {
    if (limits.failuresPerMinute == 0) return false;
    const std::string key = throttleKey(address);
    long failures = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto found = entries_.find(key);
        if (found == entries_.end()) {
            makeRoomLocked(now);
            found = entries_.emplace(key, Entry{}).first;
            found->second.windowStart = now;
            found->second.order = order_.insert(order_.end(), key);
        } else {
            order_.splice(order_.end(), order_, found->second.order);
        }
        Entry& entry = found->second;
        entry.lastTouched = now;
        if (now < entry.blockedUntil) return false;  // already refused; raced with the check
        if (entry.blockedUntil != Clock::time_point{}) {
            entry = Entry{now, 0, 0, {}, now, entry.order};  // a new episode starts clean
        }
        advanceWindow(entry, now);
        ++entry.current;
        if (rollingCount(entry, now) + 1e-9 < static_cast<double>(limits.failuresPerMinute))
            return false;
        entry.blockedUntil = now + std::chrono::seconds(limits.cooldownS);
        failures = std::lround(rollingCount(entry, now));
    }
    log().warning("authentication from " + key + " refused for " +
                  std::to_string(limits.cooldownS) + " s: " + std::to_string(failures) +
                  " failed attempts within a minute (auth_failures_per_minute = " +
                  std::to_string(limits.failuresPerMinute) + ")");
    return true;
}

std::size_t AuthThrottle::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
}

void AuthThrottle::makeRoomLocked(Clock::time_point now) {
    while (!order_.empty() && staleAt(entries_.at(order_.front()), now)) {
        entries_.erase(order_.front());
        order_.pop_front();
    }
    while (entries_.size() >= maxAddresses_) {
        entries_.erase(order_.front());
        order_.pop_front();
    }
}

// Nothing left to remember: no cool-down, and both minutes of its window are over.
bool AuthThrottle::staleAt(const Entry& entry, Clock::time_point now) {
    return now >= entry.blockedUntil && now - entry.lastTouched >= 2 * kMinute;
}

void AuthThrottle::advanceWindow(Entry& entry, Clock::time_point now) {
    const auto minutes = (now - entry.windowStart) / kMinute;
    if (minutes <= 0) return;
    entry.previous = minutes == 1 ? entry.current : 0;
    entry.current = 0;
    entry.windowStart += minutes * kMinute;
}

double AuthThrottle::rollingCount(const Entry& entry, Clock::time_point now) {
    const double intoWindow = std::chrono::duration<double>(now - entry.windowStart) /
                              std::chrono::duration<double>(kMinute);
    return static_cast<double>(entry.previous) * (1.0 - intoWindow) +
           static_cast<double>(entry.current);
}

}  // namespace agenthost::auth
