// auth::AuthThrottle on a clock the test sets: the threshold within a rolling minute, the
// cool-down and its end, other addresses untouched, and a table that stays bounded under a
// spray of addresses.
#include <gtest/gtest.h>

#include "auth/AuthThrottle.h"

namespace agenthost::auth {
namespace {

using namespace std::chrono_literals;
using Clock = AuthThrottle::Clock;

const ThrottleLimits kLimits{3, 60};
const Clock::time_point kStart = Clock::time_point{} + 1000h;

TEST(AuthThrottle, TheThresholdStartsTheCooldownForThatAddressOnly) {
    AuthThrottle throttle;
    EXPECT_FALSE(throttle.failed("10.0.0.1", kLimits, kStart));
    EXPECT_FALSE(throttle.failed("10.0.0.1", kLimits, kStart + 1s));
    EXPECT_EQ(throttle.retryAfterS("10.0.0.1", kStart + 1s), 0);
    EXPECT_TRUE(throttle.failed("10.0.0.1", kLimits, kStart + 2s));
    EXPECT_EQ(throttle.retryAfterS("10.0.0.1", kStart + 2s), 60);
    EXPECT_EQ(throttle.retryAfterS("10.0.0.1", kStart + 61s), 1);
    EXPECT_EQ(throttle.retryAfterS("10.0.0.2", kStart + 2s), 0);
    // Failures during the cool-down neither extend it nor start another episode.
    EXPECT_FALSE(throttle.failed("10.0.0.1", kLimits, kStart + 30s));
    EXPECT_EQ(throttle.retryAfterS("10.0.0.1", kStart + 62s), 0);
    // After it the address starts clean.
    EXPECT_FALSE(throttle.failed("10.0.0.1", kLimits, kStart + 63s));
    EXPECT_FALSE(throttle.failed("10.0.0.1", kLimits, kStart + 64s));
    EXPECT_TRUE(throttle.failed("10.0.0.1", kLimits, kStart + 65s));
}

TEST(AuthThrottle, FailuresOlderThanAMinuteStopCounting) {
    AuthThrottle throttle;
    EXPECT_FALSE(throttle.failed("10.0.0.1", kLimits, kStart));
    EXPECT_FALSE(throttle.failed("10.0.0.1", kLimits, kStart + 10s));
    // Two minutes on, both are out of the rolling minute.
    EXPECT_FALSE(throttle.failed("10.0.0.1", kLimits, kStart + 130s));
    EXPECT_FALSE(throttle.failed("10.0.0.1", kLimits, kStart + 131s));
    EXPECT_EQ(throttle.retryAfterS("10.0.0.1", kStart + 131s), 0);
    // Spread across a minute boundary, they still count.
    AuthThrottle other;
    EXPECT_FALSE(other.failed("10.0.0.3", kLimits, kStart + 50s));
    EXPECT_FALSE(other.failed("10.0.0.3", kLimits, kStart + 55s));
    EXPECT_TRUE(other.failed("10.0.0.3", kLimits, kStart + 61s));
}

TEST(AuthThrottle, ZeroFailuresPerMinuteTurnsItOff) {
    AuthThrottle throttle;
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(throttle.failed("10.0.0.1", {0, 60}, kStart));
    EXPECT_EQ(throttle.retryAfterS("10.0.0.1", kStart), 0);
    EXPECT_EQ(throttle.size(), 0u);
}

TEST(AuthThrottle, TheTableStaysBoundedUnderASprayOfAddresses) {
    AuthThrottle throttle(100);
    for (int i = 0; i < 10000; ++i)
        throttle.failed("10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                            "." + std::to_string(i % 256),
                        kLimits, kStart + std::chrono::milliseconds(i));
    EXPECT_LE(throttle.size(), 100u);
    // Entries whose minute is long over are dropped as new failures come in.
    throttle.failed("192.0.2.1", kLimits, kStart + 1h);
    EXPECT_EQ(throttle.size(), 1u);
}

TEST(AuthThrottle, IPv6AddressesCountPerSlash64AndMappedIPv4AsIPv4) {
    EXPECT_EQ(throttleKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
    EXPECT_EQ(throttleKey("::ffff:192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(throttleKey("192.0.2.7"), "192.0.2.7");
    AuthThrottle throttle;
    throttle.failed("2001:db8:1:2::1", kLimits, kStart);
    throttle.failed("2001:db8:1:2::2", kLimits, kStart);
    EXPECT_TRUE(throttle.failed("2001:db8:1:2:ffff::3", kLimits, kStart));
    EXPECT_GT(throttle.retryAfterS("2001:db8:1:2::99", kStart), 0);
    EXPECT_EQ(throttle.retryAfterS("2001:db8:1:3::1", kStart), 0);
}

}  // namespace
}  // namespace agenthost::auth
