#include "MetricsText.h"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

namespace agenthost::test {
namespace {

// name{a="x",b="y"} value  (label values may hold escaped quotes, backslashes and newlines)
Sample parseLine(const std::string& line) {
    Sample sample;
    std::size_t i = line.find_first_of("{ ");
    sample.name = line.substr(0, i);
    if (i != std::string::npos && line[i] == '{') {
        ++i;
        while (i < line.size() && line[i] != '}') {
            const std::size_t equals = line.find('=', i);
            const std::string name = line.substr(i, equals - i);
            std::string value;
            for (i = equals + 2; i < line.size() && line[i] != '"'; ++i) {
                if (line[i] == '\\' && i + 1 < line.size()) {
                    ++i;
                    value += line[i] == 'n' ? '\n' : line[i];
                } else {
                    value += line[i];
                }
            }
            sample.labels[name] = value;
            ++i;  // the closing quote
            if (i < line.size() && line[i] == ',') ++i;
        }
        ++i;  // '}'
    }
    sample.value = std::stod(line.substr(line.find_first_not_of(' ', i)));
    return sample;
}

}  // namespace

MetricsText::MetricsText(const std::string& text) : text_(text) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty() && line[0] != '#') samples_.push_back(parseLine(line));
}

std::optional<double> MetricsText::find(const std::string& name,
                                        const std::map<std::string, std::string>& labels) const {
    for (const auto& sample : samples_)
        if (sample.name == name && sample.labels == labels) return sample.value;
    return std::nullopt;
}

double MetricsText::at(const std::string& name,
                       const std::map<std::string, std::string>& labels) const {
    if (auto value = find(name, labels)) return *value;
    std::string described = name + "{";
    for (const auto& [label, value] : labels) described += label + "=\"" + value + "\",";
    throw std::runtime_error("no sample " + described + "} in:\n" + text_);
}

HostConfig probeConfig(const std::string& extra) {
    HostConfig config;
    config.pluginDirectory = METRICS_FIXTURE_DIR;
    config.sections = "[key.test]\nsecret = " + std::string(kTestKey) +
                      "\n\n[key.ops]\nsecret = " + kAdminKey +
                      "\nadmin = true\n\n[plugin.probe]\nlibrary = metrics_probe\n\n" + extra;
    return config;
}

MetricsText scrape(const HostProcess& host, const std::string& key) {
    const auto response = host.get("/metrics", bearer(key));
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    return MetricsText(response.body);
}

}  // namespace agenthost::test
