#include "ClaudeConfig.h"

#include <cmath>
#include <stdexcept>

#include "CaCertificates.h"

namespace agenthost::claude {
namespace {

const std::vector<std::string> kKnownKeys = {"api_key",
                                             "model",
                                             "base_url",
                                             "max_tokens",
                                             "system",
                                             "temperature",
                                             "anthropic_version",
                                             "timeout_s",
                                             "max_retries",
                                             "keepalive_connections",
                                             "ca_file",
                                             "thinking_budget_tokens",
                                             "prompt_caching",
                                             "max_continuations"};

constexpr long long kMinThinkingBudget = 1024;  // the Messages API refuses less

std::string checkedBaseUrl(std::string url) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
        throw std::invalid_argument("base_url must start with http:// or https://, got \"" + url +
                                    "\"");
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

// The API's rules for extended thinking, checked here so that a misconfigured route fails at
// startup instead of with an invalid_request on every message.
long long checkedThinkingBudget(const Settings& settings, const ClaudeConfig& c) {
    const long long budget = settings.getInt("thinking_budget_tokens", 0);
    if (budget == 0) return 0;
    if (budget < kMinThinkingBudget)
        throw std::invalid_argument(
            "thinking_budget_tokens must be 0 (no extended thinking) or at least " +
            std::to_string(kMinThinkingBudget) + ", the Anthropic API's minimum; got " +
            std::to_string(budget));
    if (c.maxTokens <= budget)
        throw std::invalid_argument("max_tokens (" + std::to_string(c.maxTokens) +
                                    ") must be larger than thinking_budget_tokens (" +
                                    std::to_string(budget) +
                                    "): the thinking budget is part of max_tokens");
    if (c.temperature && *c.temperature != 1.0)
        throw std::invalid_argument(
            "temperature cannot be changed when thinking_budget_tokens is set: the Anthropic "
            "API allows extended thinking only at the default temperature");
    return budget;
}

}  // namespace

const std::vector<std::string>& ClaudeConfig::knownKeys() {
    return kKnownKeys;
}

ClaudeConfig ClaudeConfig::fromSettings(const std::string& route, const Settings& settings,
                                        const char* environmentKey) {
    ClaudeConfig c;
    c.route = route;
    c.apiKey = settings.get("api_key");
    if (c.apiKey.empty() && environmentKey != nullptr && *environmentKey != '\0') {
        c.apiKey = environmentKey;
        c.apiKeyFromEnvironment = true;
    }
    c.model = settings.get("model", c.model);
    if (c.model.empty()) throw std::invalid_argument("model must not be empty");
    c.baseUrl = checkedBaseUrl(settings.get("base_url", c.baseUrl));
    c.maxTokens = settings.getInt("max_tokens", c.maxTokens);
    if (c.maxTokens < 1) throw std::invalid_argument("max_tokens must be at least 1");
    if (settings.has("system") && !settings.get("system").empty())
        c.system = settings.get("system");
    if (settings.has("temperature")) {
        const double t = settings.getDouble("temperature", 1.0);
        if (!(t >= 0.0 && t <= 1.0))
            throw std::invalid_argument("temperature must be between 0 and 1");
        c.temperature = t;
    }
    c.thinkingBudgetTokens = checkedThinkingBudget(settings, c);
    c.anthropicVersion = settings.get("anthropic_version", c.anthropicVersion);
    if (c.anthropicVersion.empty())
        throw std::invalid_argument("anthropic_version must not be empty");
    const double timeoutS = settings.getDouble("timeout_s", 600.0);
    if (!(timeoutS > 0.0 && timeoutS <= 86400.0))
        throw std::invalid_argument("timeout_s must be more than 0 and at most 86400");
    c.timeout = std::chrono::milliseconds(static_cast<long long>(std::ceil(timeoutS * 1000.0)));
    const long long retries = settings.getInt("max_retries", c.maxRetries);
    if (retries < 0 || retries > 10)
        throw std::invalid_argument("max_retries must be between 0 and 10");
    c.maxRetries = static_cast<int>(retries);
    const long long keepalive = settings.getInt("keepalive_connections", c.keepaliveConnections);
    if (keepalive < 1 || keepalive > 10000)
        throw std::invalid_argument("keepalive_connections must be between 1 and 10000");
    c.keepaliveConnections = static_cast<long>(keepalive);
    c.promptCaching = settings.getBool("prompt_caching", c.promptCaching);
    const long long continuations = settings.getInt("max_continuations", c.maxContinuations);
    if (continuations < 0 || continuations > 10)
        throw std::invalid_argument("max_continuations must be between 0 and 10");
    c.maxContinuations = static_cast<int>(continuations);
    c.caFile = settings.get("ca_file");
    if (!c.caFile.empty()) checkCaFile(c.caFile);
    return c;
}

}  // namespace agenthost::claude
