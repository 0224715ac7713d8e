// The [plugin.NAME] settings of a codex_bridgehub route, checked once at creation.
#pragma once

#include <agenthost/plugin.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace codex_bridgehub {

enum class PromptMode { Stdin, Arg };
enum class OutputFormat { Text, CodexJson };

struct BridgeSettings {
    std::string command = "codex";
    std::vector<std::string> args;
    PromptMode prompt = PromptMode::Stdin;
    OutputFormat format = OutputFormat::CodexJson;
    // The word put before the prompt when prompt = arg (e.g. "--"), or none.
    std::optional<std::string> promptSeparator;
    std::string workdir;
    std::chrono::seconds timeout{600};
    std::size_t maxConcurrent = 4;
    std::chrono::milliseconds killGrace{2000};
    std::vector<std::pair<std::string, std::string>> env;

    // Throws std::invalid_argument naming the key when a setting is wrong or unknown.
    static BridgeSettings from(const agenthost::Settings& settings);
};

}  // namespace codex_bridgehub
