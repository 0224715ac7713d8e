#include "AnthropicRequest.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace agenthost::claude {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr messageObject(std::string_view role, const Poco::Dynamic::Var& content) {
    Object::Ptr turn = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    turn->set("role", std::string(role));
    turn->set("content", content);
    return turn;
}

Object::Ptr ephemeralCache() {
    Object::Ptr cache = new Object;
    cache->set("type", "ephemeral");
    return cache;
}

// [{"type":"text","text":..., "cache_control":{"type":"ephemeral"}}]
Array::Ptr cachedText(const std::string& text) {
    Object::Ptr block = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    block->set("type", "text");
    block->set("text", text);
    block->set("cache_control", ephemeralCache());
    Array::Ptr blocks = new Array;
    blocks->add(block);
    return blocks;
}

bool isEmptyText(const Object::Ptr& block) {
    return block && block->optValue<std::string>("type", "") == "text" &&
           block->optValue<std::string>("text", "").empty();
}

// `blocks` as the API takes them back: without empty text blocks (refused, and a block that
// got no delta is one), and, for the last message of a request (`endsPrompt`), without
// whitespace at the end of a final text block (refused there too). Thinking blocks stay as
// they are: their signature covers them.
Array::Ptr sendable(const Array::Ptr& blocks, bool endsPrompt) {
    Array::Ptr out = new Array;
    for (std::size_t i = 0; i < blocks->size(); ++i) {
        const Object::Ptr block = blocks->getObject(i);
        if (!isEmptyText(block)) out->add(blocks->get(i));
    }
    if (!endsPrompt || out->size() == 0) return out;
    const Object::Ptr last = out->getObject(out->size() - 1);
    if (!last || last->optValue<std::string>("type", "") != "text") return out;
    std::string text = last->getValue<std::string>("text");
    text.erase(text.find_last_not_of(" \t\r\n") + 1);
    Object::Ptr trimmed = new Object(*last);
    trimmed->set("text", text);
    out->set(out->size() - 1, trimmed);
    if (text.empty()) out->remove(out->size() - 1);
    return out;
}

// The content blocks the plugin kept with an assistant turn, or null when it kept none (or
// they cannot be read: then the turn's text stands in for them).
Array::Ptr keptBlocks(std::string_view data) {
    if (data.empty()) return nullptr;
    try {
        Poco::JSON::Parser parser;
        Array::Ptr blocks = parser.parse(std::string(data)).extract<Array::Ptr>();
        if (blocks) blocks = sendable(blocks, false);
        return blocks && blocks->size() > 0 ? blocks : nullptr;
    } catch (const Poco::Exception&) {
        return nullptr;
    } catch (const std::exception&) {
        return nullptr;
    }
}

Array::Ptr messagesOf(const ClaudeConfig& config, const History& history,
                      const std::string& message, const Array::Ptr& partialAnswer) {
    Array::Ptr messages = new Array;
    for (const Turn turn : history) {
        if (turn.role != "user" && turn.role != "assistant") continue;
        Array::Ptr blocks = turn.role == "assistant" && config.thinkingBudgetTokens > 0
                                ? keptBlocks(turn.data)
                                : nullptr;
        if (blocks)
            messages->add(messageObject(turn.role, blocks));
        else if (!turn.content.empty())
            messages->add(messageObject(turn.role, std::string(turn.content)));
    }
    if (config.promptCaching && !message.empty())
        messages->add(messageObject("user", cachedText(message)));
    else
        messages->add(messageObject("user", message));
    if (partialAnswer) {
        Array::Ptr blocks = sendable(partialAnswer, true);
        if (blocks->size() > 0) messages->add(messageObject("assistant", blocks));
    }
    return messages;
}

}  // namespace

std::string buildMessagesBody(const ClaudeConfig& config, const History& history,
                              const std::string& message, const Array::Ptr& partialAnswer) {
    Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("model", config.model);
    body.set("max_tokens", config.maxTokens);
    body.set("stream", true);
    if (config.system) {
        if (config.promptCaching)
            body.set("system", cachedText(*config.system));
        else
            body.set("system", *config.system);
    }
    if (config.temperature) body.set("temperature", *config.temperature);
    if (config.thinkingBudgetTokens > 0) {
        Object::Ptr thinking = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        thinking->set("type", "enabled");
        thinking->set("budget_tokens", config.thinkingBudgetTokens);
        body.set("thinking", thinking);
    }
    body.set("messages", messagesOf(config, history, message, partialAnswer));
    std::ostringstream out;
    body.stringify(out);
    return out.str();
}

}  // namespace agenthost::claude
