#include "AnthropicRequest.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <sstream>

namespace agenthost::claude {
namespace {

Poco::JSON::Object::Ptr messageObject(std::string_view role, std::string_view content) {
    Poco::JSON::Object::Ptr turn = new Poco::JSON::Object;
    turn->set("role", std::string(role));
    turn->set("content", std::string(content));
    return turn;
}

}  // namespace

std::string buildMessagesBody(const ClaudeConfig& config, const std::vector<Turn>& history,
                              const std::string& message) {
    Poco::JSON::Array::Ptr messages = new Poco::JSON::Array;
    for (const Turn& turn : history)
        if (!turn.content.empty() && (turn.role == "user" || turn.role == "assistant"))
            messages->add(messageObject(turn.role, turn.content));
    messages->add(messageObject("user", message));

    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("model", config.model);
    body.set("max_tokens", config.maxTokens);
    body.set("stream", true);
    if (config.system) body.set("system", *config.system);
    if (config.temperature) body.set("temperature", *config.temperature);
    if (config.thinkingBudgetTokens > 0) {
        Poco::JSON::Object::Ptr thinking = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        thinking->set("type", "enabled");
        thinking->set("budget_tokens", config.thinkingBudgetTokens);
        body.set("thinking", thinking);
    }
    body.set("messages", messages);
    std::ostringstream out;
    body.stringify(out);
    return out.str();
}

}  // namespace agenthost::claude
