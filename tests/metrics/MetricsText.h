// Reads back the Prometheus text exposition GET /metrics answers, so tests can check values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/HostProcess.h"

namespace agenthost::test {

struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

class MetricsText {
  public:
    explicit MetricsText(const std::string& text);

    // The value of the sample with exactly this name and these labels, or nullopt.
    std::optional<double> find(const std::string& name,
                               const std::map<std::string, std::string>& labels = {}) const;
    // Like find(), but throws naming the series when absent, so a typo fails loudly.
    double at(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;

    const std::vector<Sample>& samples() const { return samples_; }
    const std::string& text() const { return text_; }

  private:
    std::string text_;
    std::vector<Sample> samples_;
};

inline constexpr const char* kAdminKey = "admin-key-0123456789";

// A host with the keys "test" (kTestKey) and "ops" (kAdminKey, admin) and the route "probe"
// served by the metrics_probe fixture; `extra` is appended (e.g. a [metrics] section).
HostConfig probeConfig(const std::string& extra = "");

// GET /metrics with the admin key; fails the test unless it answers 200.
MetricsText scrape(const HostProcess& host, const std::string& key = kAdminKey);

}  // namespace agenthost::test
