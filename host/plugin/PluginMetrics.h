// The counters and histograms one plugin instance defines (metric_define) and records into
// (metric_record), shown in /metrics as agenthost_plugin_<name>{route="..."}.
//
// Recording is called from plugin threads on hot paths: it takes no lock and allocates
// nothing. Definitions go into a fixed array of slots, each written once before it is
// published by the count of defined slots, so a reader that sees the count sees the slot.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/Exposition.h"
#include "metrics/Histogram.h"

namespace agenthost::plugin {

class PluginMetrics {
  public:
    static constexpr std::size_t kMaxMetrics = 64;
    static constexpr std::size_t kMaxNameBytes = 64;

    // AGENTHOST_METRIC_* `kind`: the id for record() (from 1), the same id for the same name
    // and kind, 0 when refused (a bad name or kind, another kind under the name, or full).
    std::uint32_t define(std::uint32_t kind, std::string_view name, std::string_view help);

    // Adds to a counter (a value below 0 is ignored) or observes in a histogram. Unknown ids
    // are ignored.
    void record(std::uint32_t id, double value) noexcept;

    struct Sample {
        std::string name;  // the full metric name, agenthost_plugin_<name>
        std::string help;
        std::uint32_t kind = 0;
        double counter = 0;
        metrics::Histogram::Snapshot histogram;
    };
    std::vector<Sample> samples() const;

  private:
    struct Slot {
        std::uint32_t kind = 0;
        std::string name;
        std::string help;
        std::atomic<double> total{0};  // a counter's value, a histogram's sum
        std::array<std::atomic<std::uint64_t>, metrics::kGenAiBuckets.size() + 1> buckets{};
    };

    std::mutex defineMutex_;
    std::atomic<std::uint32_t> defined_{0};
    std::array<Slot, kMaxMetrics> slots_;
};

// Writes the plugin metrics of every route: one family per metric name, a sample per route.
struct RouteMetrics {
    std::string route;
    std::vector<PluginMetrics::Sample> samples;
};
void writePluginMetrics(metrics::Exposition& out, const std::vector<RouteMetrics>& routes);

}  // namespace agenthost::plugin
