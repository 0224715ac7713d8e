// Samples a host's resident memory every 10 ms on a thread of its own until stopped: the
// highest value seen, for tests that bound what a burst of work costs the host.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "support/HostProcess.h"

namespace agenthost::test {

class RssPeak {
  public:
    explicit RssPeak(const HostProcess& host)
        : host_(host), thread_([this] {
              while (!done_) {
                  peak_ = std::max(peak_.load(), host_.rssKb());
                  std::this_thread::sleep_for(std::chrono::milliseconds(10));
              }
          }) {}
    ~RssPeak() { stop(); }
    RssPeak(const RssPeak&) = delete;
    RssPeak& operator=(const RssPeak&) = delete;

    // Stops sampling; the highest resident size seen, in kB.
    long stop() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
        return peak_;
    }

  private:
    const HostProcess& host_;
    std::atomic<bool> done_{false};
    std::atomic<long> peak_{0};
    std::thread thread_;
};

}  // namespace agenthost::test
