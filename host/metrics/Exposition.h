// Writes the Prometheus text exposition format (version 0.0.4): one "# HELP" and "# TYPE" line
// per family, then its samples, with label values escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/Histogram.h"

namespace agenthost::metrics {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

class Exposition {
  public:
    // Starts a family; `type` is counter, gauge or histogram. Its samples follow.
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, const Labels& labels, std::uint64_t value);
    void sample(std::string_view name, const Labels& labels, std::int64_t value);
    void sample(std::string_view name, const Labels& labels, double value);
    // The _bucket, _sum and _count samples of the histogram family `name`.
    void histogram(std::string_view name, const Labels& labels, const Histogram::Snapshot& data);

    const std::string& text() const { return text_; }

  private:
    void series(std::string_view name, const Labels& labels, std::string_view extraName = {},
                std::string_view extraValue = {});

    std::string text_;
};

// Shortest text that reads back as `value` ("0.01", "5", "+Inf").
std::string formatNumber(double value);

}  // namespace agenthost::metrics
