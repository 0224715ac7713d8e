#include "metrics/Histogram.h"

#include <algorithm>

namespace agenthost::metrics {

void Histogram::observe(std::chrono::nanoseconds duration) {
    const auto nanos = std::max<std::int64_t>(0, duration.count());
    const double seconds = static_cast<double>(nanos) / 1e9;
    // Prometheus buckets are "less than or equal": the first bound not below the value.
    const auto bound = std::lower_bound(kGenAiBuckets.begin(), kGenAiBuckets.end(), seconds);
    buckets_[static_cast<std::size_t>(bound - kGenAiBuckets.begin())].fetch_add(
        1, std::memory_order_relaxed);
    sumNanos_.fetch_add(static_cast<std::uint64_t>(nanos), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot snapshot;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        snapshot.cumulative[i] = running;
    }
    snapshot.sumSeconds = static_cast<double>(sumNanos_.load(std::memory_order_relaxed)) / 1e9;
    return snapshot;
}

}  // namespace agenthost::metrics
