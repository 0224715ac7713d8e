// Delays between reconnection attempts: 0.25 s doubling to 8 s, with ±20 % jitter so that
// many clients dropped at once do not come back in step.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace agenthost::client {

class Backoff {
  public:
    std::chrono::milliseconds next() {
        const std::chrono::milliseconds base =
            std::min<std::chrono::milliseconds>(kFirst * (1 << std::min(attempts_, 5)), kLongest);
        ++attempts_;
        std::uniform_real_distribution<double> jitter(0.8, 1.2);
        return std::chrono::milliseconds(static_cast<long long>(base.count() * jitter(random_)));
    }
    int attempts() const { return attempts_; }
    void reset() { attempts_ = 0; }

  private:
    static constexpr std::chrono::milliseconds kFirst{250};
    static constexpr std::chrono::milliseconds kLongest{8000};
    int attempts_ = 0;
    std::minstd_rand random_{std::random_device{}()};
};

}  // namespace agenthost::client
