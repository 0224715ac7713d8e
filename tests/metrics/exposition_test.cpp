// The exposition writer on its own: escaping, number formats, histogram lines.
#include "metrics/Exposition.h"

#include <gtest/gtest.h>

#include <chrono>

#include "metrics/Metrics.h"

namespace agenthost::metrics {
namespace {

using namespace std::chrono_literals;

TEST(Exposition, EscapesLabelValuesAndHelp) {
    Exposition out;
    out.family("x_total", "counter", "a \\ help\nline");
    out.sample("x_total", {{"key", "a\"b\\c\nd"}}, std::uint64_t{7});
    out.sample("x_total", {}, 0.5);
    EXPECT_EQ(out.text(),
              "# HELP x_total a \\\\ help\\nline\n# TYPE x_total counter\n"
              "x_total{key=\"a\\\"b\\\\c\\nd\"} 7\nx_total 0.5\n");
}

TEST(Exposition, HistogramIsCumulativeWithGenAiBounds) {
    Histogram histogram;
    histogram.observe(5ms);    // le 0.01
    histogram.observe(10ms);   // le 0.01 (bounds are inclusive)
    histogram.observe(300ms);  // le 0.32
    histogram.observe(100s);   // only +Inf
    Exposition out;
    out.histogram("h_seconds", {{"route", "r"}}, histogram.snapshot());
    const std::string& text = out.text();
    EXPECT_NE(text.find("h_seconds_bucket{route=\"r\",le=\"0.01\"} 2\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("h_seconds_bucket{route=\"r\",le=\"0.16\"} 2\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("h_seconds_bucket{route=\"r\",le=\"0.32\"} 3\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("h_seconds_bucket{route=\"r\",le=\"81.92\"} 3\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("h_seconds_bucket{route=\"r\",le=\"+Inf\"} 4\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("h_seconds_sum{route=\"r\"} 100.315\n"), std::string::npos) << text;
    EXPECT_NE(text.find("h_seconds_count{route=\"r\"} 4\n"), std::string::npos) << text;
}

TEST(Exposition, ErrorCodesAreCappedInNumber) {
    KeySeries series;
    for (std::size_t i = 0; i < KeySeries::kMaxErrorCodes + 10; ++i)
        series.error("code_" + std::to_string(i));
    series.error("code_0");
    const auto errors = series.errors();
    EXPECT_EQ(errors.size(), KeySeries::kMaxErrorCodes + 1);
    EXPECT_EQ(errors.at("other"), 10u);
    EXPECT_EQ(errors.at("code_0"), 2u);
}

}  // namespace
}  // namespace agenthost::metrics
