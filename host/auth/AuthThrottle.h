// Brute-force protection: failed authentications are counted per client address, and an
// address with more than `failuresPerMinute` of them in a rolling minute is refused every
// authentication (valid key or not, so guessing tells it nothing) for `cooldownS` seconds:
// 429 on upgrades and Bearer requests, `error:rate_limited` for key frames (docs/config.md:
// auth_failures_per_minute, auth_cooldown_s). Addresses that never failed are not in the table
// and never affected.
//
// The rolling minute is a sliding-window counter (the previous minute's count weighted by how
// much of it still overlaps the last 60 s, plus the current minute's): two numbers per address
// whatever the threshold. The table holds at most `maxAddresses` entries; a spray of addresses
// evicts the least recently failed ones, and entries whose window and cool-down are over are
// dropped as new failures come in. IPv6 addresses are counted per /64, the block one client
// usually holds.
//
// Threading: any thread; one mutex guards the table, and nothing but the table's arithmetic
// runs under it (the episode's log line is written after it is released).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "config/Config.h"

namespace agenthost::auth {

struct ThrottleLimits {
    std::size_t failuresPerMinute = 20;  // 0: no brute-force protection
    int cooldownS = 60;

    static ThrottleLimits of(const config::ServerSettings& server) {
        return {server.authFailuresPerMinute, server.authCooldownS};
    }
};

class AuthThrottle {
  public:
    using Clock = std::chrono::steady_clock;

    static constexpr std::size_t kDefaultMaxAddresses = 10000;

    explicit AuthThrottle(std::size_t maxAddresses = kDefaultMaxAddresses);

    // Whole seconds until `address` may authenticate again (at least 1), or 0 when it may now.
    int retryAfterS(const std::string& address, Clock::time_point now = Clock::now());

    // Counts a failed authentication of `address`. When it is one too many, the address's
    // cool-down starts and is logged (once for the episode, with the address and the count,
    // never the key). Returns true when this failure started a cool-down.
    bool failed(const std::string& address, const ThrottleLimits& limits,
                Clock::time_point now = Clock::now());

    std::size_t size() const;

  private:
    struct Entry {
        Clock::time_point windowStart;  // start of the current minute of this address
        std::size_t current = 0;        // failures in the current minute
        std::size_t previous = 0;       // failures in the minute before it
        Clock::time_point blockedUntil{};
        Clock::time_point lastTouched;
        std::list<std::string>::iterator order;
    };

    // The whole table's oldest entries whose window and cool-down are over; then, at the cap,
    // the least recently failed one.
    void makeRoomLocked(Clock::time_point now);
    static bool staleAt(const Entry& entry, Clock::time_point now);
    static void advanceWindow(Entry& entry, Clock::time_point now);
    static double rollingCount(const Entry& entry, Clock::time_point now);

    const std::size_t maxAddresses_;
    mutable std::mutex mutex_;                        // guards everything below
    std::unordered_map<std::string, Entry> entries_;  // by throttleKey()
    std::list<std::string> order_;                    // least recently failed first
};

// What an address is counted as: itself, or for IPv6 its /64 ("2001:db8:1:2::/64").
std::string throttleKey(const std::string& address);

}  // namespace agenthost::auth
