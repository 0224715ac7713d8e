#include "metrics/Exposition.h"

#include <charconv>
#include <cmath>

namespace agenthost::metrics {
namespace {

// Label values escape backslash, double quote and newline; HELP text escapes backslash and
// newline.
void appendEscaped(std::string& out, std::string_view text, bool quotes) {
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && quotes)
            out += "\\\"";
        else
            out += c;
    }
}

}  // namespace

std::string formatNumber(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    appendEscaped(text_, help, false);
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type;
    text_ += '\n';
}

void Exposition::series(std::string_view name, const Labels& labels, std::string_view extraName,
                        std::string_view extraValue) {
    text_ += name;
    if (labels.empty() && extraName.empty()) {
        text_ += ' ';
        return;
    }
    char separator = '{';
    const auto label = [&](std::string_view labelName, std::string_view value) {
        text_ += separator;
        text_ += labelName;
        text_ += "=\"";
        appendEscaped(text_, value, true);
        text_ += '"';
        separator = ',';
    };
    for (const auto& [labelName, value] : labels) label(labelName, value);
    if (!extraName.empty()) label(extraName, extraValue);
    text_ += "} ";
}

void Exposition::sample(std::string_view name, const Labels& labels, std::uint64_t value) {
    series(name, labels);
    text_ += std::to_string(value);
    text_ += '\n';
}

void Exposition::sample(std::string_view name, const Labels& labels, std::int64_t value) {
    series(name, labels);
    text_ += std::to_string(value);
    text_ += '\n';
}

void Exposition::sample(std::string_view name, const Labels& labels, double value) {
    series(name, labels);
    text_ += formatNumber(value);
    text_ += '\n';
}

void Exposition::histogram(std::string_view name, const Labels& labels,
                           const Histogram::Snapshot& data) {
    const std::string base(name);
    for (std::size_t i = 0; i < data.cumulative.size(); ++i) {
        const double bound = i < kGenAiBuckets.size() ? kGenAiBuckets[i] : INFINITY;
        series(base + "_bucket", labels, "le", formatNumber(bound));
        text_ += std::to_string(data.cumulative[i]);
        text_ += '\n';
    }
    sample(base + "_sum", labels, data.sumSeconds);
    sample(base + "_count", labels, data.count());
}

}  // namespace agenthost::metrics
