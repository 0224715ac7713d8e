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
// format = codex-json: one `codex app-server` per route, or `codex exec --json` per message.
enum class CodexMode { AppServer, Exec };
// What an approval Codex asks for gets when no client can answer it.
enum class ApprovalPolicy { Decline, Accept };

struct BridgeSettings {
    std::string command = "codex";
    std::vector<std::string> args;
    PromptMode prompt = PromptMode::Stdin;
    OutputFormat format = OutputFormat::CodexJson;
    CodexMode mode = CodexMode::AppServer;
    ApprovalPolicy approvalPolicy = ApprovalPolicy::Decline;
    // How long a starting app-server may take to answer `initialize`.
    std::chrono::seconds startupTimeout{30};
    // The word put before the prompt when prompt = arg (e.g. "--"), or none.
    std::optional<std::string> promptSeparator;
    std::string workdir;
    std::chrono::seconds timeout{600};
    std::size_t maxConcurrent = 4;
    std::chrono::milliseconds killGrace{2000};
    std::vector<std::pair<std::string, std::string>> env;

    bool appServer() const {
        return format == OutputFormat::CodexJson && mode == CodexMode::AppServer;
    }

    // Throws std::invalid_argument naming the key when a setting is wrong or unknown.
    static BridgeSettings from(const agenthost::Settings& settings);
};

}  // namespace codex_bridgehub
