#include "CodexJsonEvents.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "CodexItems.h"
#include "JsonFields.h"

namespace codex_bridgehub {
namespace {

using json::intField;
using json::stringField;
using Poco::JSON::Object;

std::uint64_t countField(const Object::Ptr& object, const std::string& key) {
    const auto value = intField(object, key);
    return value && *value > 0 ? static_cast<std::uint64_t>(*value) : 0;
}

CodexEvent failed(std::string message) {
    if (message.empty()) message = "Codex reported an error without a message";
    CodexEvent out;
    out.kind = CodexEvent::Kind::Failed;
    out.text = std::move(message);
    return out;
}

CodexEvent interpret(const Object::Ptr& event) {
    const std::string type = stringField(event, "type");
    if (type == "thread.started") {
        CodexEvent out;
        out.text = stringField(event, "thread_id");
        if (!out.text.empty()) out.kind = CodexEvent::Kind::ThreadStarted;
        return out;
    }
    if (type == "item.started") return itemEvent(ItemPhase::Started, event->getObject("item"));
    if (type == "item.updated") return itemEvent(ItemPhase::Updated, event->getObject("item"));
    if (type == "item.completed") return itemEvent(ItemPhase::Completed, event->getObject("item"));
    if (type == "turn.completed") {
        const auto usage = event->getObject("usage");
        CodexEvent out;
        out.kind = CodexEvent::Kind::TurnCompleted;
        out.inputTokens = countField(usage, "input_tokens");
        out.outputTokens = countField(usage, "output_tokens");
        return out;
    }
    if (type == "turn.failed") return failed(stringField(event->getObject("error"), "message"));
    if (type == "error") return failed(stringField(event, "message"));
    return {};
}

}  // namespace

CodexEvent parseCodexEvent(std::string_view line) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return {};
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var parsed = parser.parse(std::string(line));
        const auto event = parsed.extract<Object::Ptr>();
        return event ? interpret(event) : CodexEvent{};
    } catch (const Poco::Exception&) {
        return {};
    } catch (const std::exception&) {
        return {};
    }
}

}  // namespace codex_bridgehub
