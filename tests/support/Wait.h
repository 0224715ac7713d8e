#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace agenthost::test {

// Polls `condition` every 20 ms until it holds or `timeout` passes; true if it held.
inline bool waitUntil(const std::function<bool()>& condition,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace agenthost::test
