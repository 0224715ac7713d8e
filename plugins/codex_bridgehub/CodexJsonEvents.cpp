#include "CodexJsonEvents.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace codex_bridgehub {
namespace {

using Poco::JSON::Object;

constexpr std::size_t kMaxCommandChars = 200;

std::string stringField(const Object::Ptr& object, const std::string& key) {
    if (!object || !object->has(key)) return "";
    const Poco::Dynamic::Var value = object->get(key);
    return value.isString() ? value.extract<std::string>() : "";
}

Poco::Int64 intField(const Object::Ptr& object, const std::string& key) {
    if (!object || !object->has(key)) return 0;
    try {
        return object->get(key).convert<Poco::Int64>();
    } catch (const Poco::Exception&) {
        return 0;
    }
}

std::uint64_t countField(const Object::Ptr& object, const std::string& key) {
    const Poco::Int64 value = intField(object, key);
    return value > 0 ? static_cast<std::uint64_t>(value) : 0;
}

// One readable line for a shell command Codex ran, e.g. "[ran: ls -la (exit 0)]".
std::string commandSummary(const Object::Ptr& item) {
    std::string command = stringField(item, "command");
    for (char& c : command)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (command.size() > kMaxCommandChars) {
        std::size_t cut = kMaxCommandChars;
        while (cut > 0 && (static_cast<unsigned char>(command[cut]) & 0xC0) == 0x80) --cut;
        command = command.substr(0, cut) + "...";
    }
    std::string summary = "[ran: " + command;
    if (item->has("exit_code") && !item->get("exit_code").isEmpty())
        summary += " (exit " + std::to_string(intField(item, "exit_code")) + ")";
    else if (!stringField(item, "status").empty())
        summary += " (" + stringField(item, "status") + ")";
    return summary + "]";
}

CodexEvent itemCompleted(const Object::Ptr& event) {
    CodexEvent out;
    const auto item = event->getObject("item");
    const std::string type = stringField(item, "type");
    if (type == "agent_message") {
        out.text = stringField(item, "text");
        out.kind = out.text.empty() ? CodexEvent::Kind::Ignored : CodexEvent::Kind::Text;
    } else if (type == "command_execution") {
        out.kind = CodexEvent::Kind::Text;
        out.text = commandSummary(item);
    }
    return out;
}

CodexEvent failed(std::string message) {
    if (message.empty()) message = "Codex reported an error without a message";
    return {CodexEvent::Kind::Failed, std::move(message), 0, 0};
}

CodexEvent interpret(const Object::Ptr& event) {
    const std::string type = stringField(event, "type");
    if (type == "thread.started") {
        const std::string id = stringField(event, "thread_id");
        if (!id.empty()) return {CodexEvent::Kind::ThreadStarted, id, 0, 0};
    } else if (type == "item.completed") {
        return itemCompleted(event);
    } else if (type == "turn.completed") {
        const auto usage = event->getObject("usage");
        return {CodexEvent::Kind::TurnCompleted, "", countField(usage, "input_tokens"),
                countField(usage, "output_tokens")};
    } else if (type == "turn.failed") {
        return failed(stringField(event->getObject("error"), "message"));
    } else if (type == "error") {
        return failed(stringField(event, "message"));
    }
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
