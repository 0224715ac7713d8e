// A Prometheus histogram with the OpenTelemetry GenAI bucket boundaries
// (gen_ai.server.time_to_first_token, gen_ai.server.request.duration), made of atomics so that
// recording never takes a lock.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace agenthost::metrics {

// Upper bounds in seconds; a last bucket (+Inf) takes the rest.
inline constexpr std::array<double, 14> kGenAiBuckets = {
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};

class Histogram {
  public:
    void observe(std::chrono::nanoseconds duration);

    struct Snapshot {
        std::array<std::uint64_t, kGenAiBuckets.size() + 1> cumulative{};  // le each bound, +Inf
        double sumSeconds = 0;
        std::uint64_t count() const { return cumulative.back(); }
    };
    Snapshot snapshot() const;

  private:
    std::array<std::atomic<std::uint64_t>, kGenAiBuckets.size() + 1> buckets_{};  // not cumulative
    std::atomic<std::uint64_t> sumNanos_{0};
};

}  // namespace agenthost::metrics
