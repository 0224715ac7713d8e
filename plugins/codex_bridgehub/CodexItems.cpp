#include "CodexItems.h"

#include <Poco/JSON/Array.h>

#include "JsonFields.h"

namespace codex_bridgehub {
namespace {

using json::intField;
using json::stringField;
using json::toJson;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::size_t kMaxLineBytes = 200;   // an event's content: one line
constexpr std::size_t kMaxDataBytes = 4096;  // a command, its output, a tool's result in data

bool isContinuationByte(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// `text` as one line (line breaks and tabs become spaces), cut at a UTF-8 boundary to at most
// kMaxLineBytes with "..." appended.
std::string oneLine(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (text.size() <= kMaxLineBytes) return text;
    std::size_t cut = kMaxLineBytes;
    while (cut > 0 && isContinuationByte(text[cut])) --cut;
    return text.substr(0, cut) + "...";
}

// The first kMaxDataBytes of `text`, cut at a UTF-8 boundary.
std::string head(const std::string& text) {
    if (text.size() <= kMaxDataBytes) return text;
    std::size_t cut = kMaxDataBytes;
    while (cut > 0 && isContinuationByte(text[cut])) --cut;
    return text.substr(0, cut);
}

// The last kMaxDataBytes of `text`, from a UTF-8 boundary: a failing command says why at the end.
std::string tail(const std::string& text) {
    if (text.size() <= kMaxDataBytes) return text;
    std::size_t start = text.size() - kMaxDataBytes;
    while (start < text.size() && isContinuationByte(text[start])) ++start;
    return text.substr(start);
}

// Puts `value` into data[key] unless its JSON is larger than kMaxDataBytes; then data[key +
// "_truncated"] says that it was left out.
void putUnlessLarge(Object& data, const std::string& key, const Poco::Dynamic::Var& value) {
    if (toJson(value).size() <= kMaxDataBytes)
        data.set(key, value);
    else
        data.set(key + "_truncated", true);
}

Object dataFor(const Object::Ptr& item) {
    Object data(Poco::JSON_PRESERVE_KEY_ORDER);
    data.set("item_id", stringField(item, "id"));
    return data;
}

CodexEvent agentEvent(std::string kind, std::string content, const Object& data,
                      std::string protocol1Text = "") {
    CodexEvent out;
    out.kind = CodexEvent::Kind::Event;
    out.event = {std::move(kind), oneLine(std::move(content)), toJson(data),
                 std::move(protocol1Text)};
    return out;
}

CodexEvent textOf(CodexEvent::Kind kind, const Object::Ptr& item) {
    CodexEvent out;
    out.text = stringField(item, "text");
    out.kind = out.text.empty() ? CodexEvent::Kind::Ignored : kind;
    return out;
}

// What protocol 1 clients have always been shown for a command, e.g. "[ran: ls -la (exit 0)]".
std::string commandSummary(const Object::Ptr& item) {
    std::string summary = "[ran: " + oneLine(stringField(item, "command"));
    if (const auto exitCode = intField(item, "exit_code"))
        summary += " (exit " + std::to_string(*exitCode) + ")";
    else if (!stringField(item, "status").empty())
        summary += " (" + stringField(item, "status") + ")";
    return summary + "]";
}

CodexEvent commandExecution(ItemPhase phase, const Object::Ptr& item) {
    const std::string command = stringField(item, "command");
    Object data = dataFor(item);
    data.set("command", head(command));
    if (phase == ItemPhase::Started) return agentEvent("status", "Running: " + command, data);
    if (phase != ItemPhase::Completed) return {};
    if (const auto exitCode = intField(item, "exit_code"))
        data.set("exit_code", *exitCode);
    else
        data.set("exit_code", Poco::Dynamic::Var());  // declined, or killed before it exited
    data.set("status", stringField(item, "status"));
    const std::string output = stringField(item, "aggregated_output");
    data.set("output", tail(output));
    data.set("output_truncated", output.size() > kMaxDataBytes);
    return agentEvent("command", command, data, commandSummary(item));
}

CodexEvent fileChange(const Object::Ptr& item) {
    Array::Ptr changes = new Array;
    std::string listed;
    const Array::Ptr given = item->getArray("changes");
    for (std::size_t i = 0; given && i < given->size(); ++i) {
        const Object::Ptr change = given->getObject(static_cast<unsigned>(i));
        if (!change) continue;
        Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("path", stringField(change, "path"));
        entry->set("kind", stringField(change, "kind"));
        changes->add(entry);
        listed += (listed.empty() ? " " : ", ") + stringField(change, "path") + " (" +
                  stringField(change, "kind") + ")";
    }
    const std::string status = stringField(item, "status");
    Object data = dataFor(item);
    data.set("changes", changes);
    data.set("status", status);
    const std::string verb = status == "failed" ? "Failed to change" : "Changed";
    return agentEvent("file_change", verb + (listed.empty() ? " no files" : listed), data);
}

CodexEvent mcpToolCall(ItemPhase phase, const Object::Ptr& item) {
    const std::string tool = stringField(item, "server") + "." + stringField(item, "tool");
    Object data = dataFor(item);
    data.set("server", stringField(item, "server"));
    data.set("tool", stringField(item, "tool"));
    if (phase == ItemPhase::Started) {
        if (item->has("arguments")) putUnlessLarge(data, "arguments", item->get("arguments"));
        return agentEvent("tool_call", "Calling " + tool, data);
    }
    if (phase != ItemPhase::Completed) return {};
    const std::string status = stringField(item, "status");
    const std::string error = stringField(item->getObject("error"), "message");
    data.set("status", status);
    if (!error.empty()) data.set("error", error);
    if (item->has("result") && !item->get("result").isEmpty())
        putUnlessLarge(data, "result", item->get("result"));
    const std::string outcome = error.empty() ? status : status + ": " + error;
    return agentEvent("tool_result", tool + " " + outcome, data);
}

CodexEvent webSearch(const Object::Ptr& item) {
    Object data = dataFor(item);
    data.set("query", stringField(item, "query"));
    return agentEvent("status", "Searched the web: " + stringField(item, "query"), data);
}

// The agent's plan: "Plan: 1 of 3 done; next: run the tests".
CodexEvent todoList(const Object::Ptr& item) {
    Array::Ptr items = new Array;
    std::size_t done = 0;
    std::string next;
    const Array::Ptr given = item->getArray("items");
    for (std::size_t i = 0; given && i < given->size(); ++i) {
        const Object::Ptr entry = given->getObject(static_cast<unsigned>(i));
        if (!entry) continue;
        const bool completed = json::boolField(entry, "completed");
        Object::Ptr copy = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        copy->set("text", stringField(entry, "text"));
        copy->set("completed", completed);
        items->add(copy);
        if (completed)
            ++done;
        else if (next.empty())
            next = stringField(entry, "text");
    }
    Object data = dataFor(item);
    data.set("items", items);
    std::string content =
        "Plan: " + std::to_string(done) + " of " + std::to_string(items->size()) + " done";
    if (!next.empty()) content += "; next: " + next;
    return agentEvent("status", content, data);
}

CodexEvent errorItem(const Object::Ptr& item) {
    Object data = dataFor(item);
    data.set("error", stringField(item, "message"));
    return agentEvent("status", "Codex: " + stringField(item, "message"), data);
}

}  // namespace

CodexEvent itemEvent(ItemPhase phase, const Object::Ptr& item) {
    if (!item) return {};
    const std::string type = stringField(item, "type");
    const bool completed = phase == ItemPhase::Completed;
    if (type == "command_execution") return commandExecution(phase, item);
    if (type == "mcp_tool_call") return mcpToolCall(phase, item);
    // A plan is worth showing when it is set or changes, not again when the turn ends.
    if (type == "todo_list") return completed ? CodexEvent{} : todoList(item);
    // The rest are shown once, whole, when they are done.
    if (!completed) return {};
    if (type == "agent_message") return textOf(CodexEvent::Kind::Text, item);
    if (type == "reasoning") return textOf(CodexEvent::Kind::Thinking, item);
    if (type == "file_change") return fileChange(item);
    if (type == "web_search") return webSearch(item);
    if (type == "error") return errorItem(item);
    return {};
}

}  // namespace codex_bridgehub
