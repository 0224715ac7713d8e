// The settings of one [plugin.NAME] section that loads claude.so, validated.
#pragma once

#include <agenthost/plugin.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace agenthost::claude {

struct ClaudeConfig {
    std::string route = "claude";  // for messages that tell the user which section to edit
    std::string apiKey;            // empty: not configured (the plugin reports degraded)
    bool apiKeyFromEnvironment = false;
    std::string model = "claude-sonnet-4-5";
    std::string baseUrl = "https://api.anthropic.com";
    long long maxTokens = 4096;
    std::optional<std::string> system;
    std::optional<double> temperature;
    // Tokens the model may spend on extended thinking before it answers; 0: no thinking asked
    // for. At least 1024 (the API's minimum) and less than maxTokens, which includes it.
    long long thinkingBudgetTokens = 0;
    // cache_control breakpoints on the system prompt and the conversation so far, so that each
    // turn reads the earlier ones from the API's prompt cache instead of paying them in full.
    bool promptCaching = true;
    // How often a turn the API paused (stop_reason pause_turn) is continued within the same
    // response before it ends as paused.
    int maxContinuations = 3;
    std::string anthropicVersion = "2023-06-01";
    // How long the API may stay silent (connecting, or between two reads) before the attempt
    // fails as a timeout. Streams carry pings, so this bounds stalls, not long answers.
    std::chrono::milliseconds timeout{600'000};
    int maxRetries = 2;
    // Idle connections to the API kept open for the next requests, as nginx's upstream
    // `keepalive`: a burst of up to this many answers at once finds its connections (and their
    // TLS sessions) again in the next burst.
    long keepaliveConnections = 32;
    // A PEM bundle to verify the API's certificate with instead of libcurl's default CA store
    // (a private CA, a TLS-inspecting proxy); empty: the default store.
    std::string caFile;

    // Reads and checks the settings; throws std::invalid_argument with a sentence naming the
    // key. `environmentKey` is ANTHROPIC_API_KEY's value (or null), used when api_key is unset.
    static ClaudeConfig fromSettings(const std::string& route, const Settings& settings,
                                     const char* environmentKey);

    // The setting names this plugin understands, to warn about typos.
    static const std::vector<std::string>& knownKeys();

    std::string messagesUrl() const { return baseUrl + "/v1/messages"; }
    std::string section() const { return "[plugin." + route + "]"; }
};

}  // namespace agenthost::claude
