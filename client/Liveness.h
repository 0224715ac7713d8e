// Notices a connection that went silent without closing (a network that vanished under it,
// which TCP may not report for many minutes): after kQuiet without a frame it asks the server
// for a pong, and after twice that the connection counts as lost. The server's own pings
// (every ping_interval_s) count as frames too.
#pragma once

#include <algorithm>
#include <chrono>

namespace agenthost::client {

class Liveness {
  public:
    using Clock = std::chrono::steady_clock;
    enum class Action { Nothing, Probe, GiveUp };

    void heard(Clock::time_point now) {
        last_ = now;
        probed_ = false;
    }

    Action check(Clock::time_point now) {
        if (now - last_ >= 2 * kQuiet) return Action::GiveUp;
        if (now - last_ >= kQuiet && !probed_) {
            probed_ = true;
            return Action::Probe;
        }
        return Action::Nothing;
    }

    // How long poll may wait before check() has something new to say.
    std::chrono::milliseconds untilNextCheck(Clock::time_point now) const {
        const auto due = last_ + (probed_ ? 2 * kQuiet : kQuiet);
        return std::max(std::chrono::milliseconds(0),
                        std::chrono::duration_cast<std::chrono::milliseconds>(due - now));
    }

  private:
    static constexpr std::chrono::seconds kQuiet{25};
    Clock::time_point last_ = Clock::now();
    bool probed_ = false;
};

}  // namespace agenthost::client
