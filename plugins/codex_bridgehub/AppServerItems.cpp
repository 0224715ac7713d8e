#include "AppServerItems.h"

#include <Poco/JSON/Array.h>

#include "JsonFields.h"

namespace codex_bridgehub {
namespace {

using json::stringField;
using Poco::JSON::Array;
using Poco::JSON::Object;

// inProgress -> in_progress; the other statuses are one word already.
std::string statusOf(const Object::Ptr& item) {
    const std::string status = stringField(item, "status");
    return status == "inProgress" ? "in_progress" : status;
}

void copy(const Object::Ptr& from, const std::string& key, Object& to, const std::string& as) {
    if (from->has(key)) to.set(as, from->get(key));
}

// A file change's kind is {"type": "add" | "delete" | "update", ...} here, a word in exec.
Array::Ptr changesOf(const Object::Ptr& item) {
    Array::Ptr out = new Array;
    const Array::Ptr changes = item->getArray("changes");
    if (!changes) return out;
    for (std::size_t i = 0; i < changes->size(); ++i) {
        const Object::Ptr change = changes->getObject(static_cast<unsigned>(i));
        if (!change) continue;
        Object::Ptr converted = new Object;
        converted->set("path", stringField(change, "path"));
        const Object::Ptr kind = change->getObject("kind");
        converted->set("kind", kind ? stringField(kind, "type") : stringField(change, "kind"));
        out->add(converted);
    }
    return out;
}

// The reasoning summary parts, joined as paragraphs.
std::string summaryOf(const Object::Ptr& item) {
    std::string text;
    const Array::Ptr parts = item->getArray("summary");
    for (std::size_t i = 0; parts && i < parts->size(); ++i) {
        const auto part = parts->get(static_cast<unsigned>(i));
        if (!part.isString()) continue;
        if (!text.empty()) text += "\n\n";
        text += part.toString();
    }
    return text;
}

}  // namespace

Object::Ptr execItemOf(const Object::Ptr& item) {
    if (!item) return nullptr;
    const std::string type = stringField(item, "type");
    Object::Ptr out = new Object;
    out->set("id", stringField(item, "id"));
    if (type == "agentMessage") {
        out->set("type", "agent_message");
        out->set("text", stringField(item, "text"));
    } else if (type == "reasoning") {
        out->set("type", "reasoning");
        out->set("text", summaryOf(item));
    } else if (type == "commandExecution") {
        out->set("type", "command_execution");
        out->set("command", stringField(item, "command"));
        out->set("aggregated_output", stringField(item, "aggregatedOutput"));
        copy(item, "exitCode", *out, "exit_code");
        out->set("status", statusOf(item));
    } else if (type == "fileChange") {
        out->set("type", "file_change");
        out->set("changes", changesOf(item));
        out->set("status", statusOf(item));
    } else if (type == "mcpToolCall") {
        out->set("type", "mcp_tool_call");
        for (const char* key : {"server", "tool", "arguments", "result", "error"})
            copy(item, key, *out, key);
        out->set("status", statusOf(item));
    } else if (type == "webSearch") {
        out->set("type", "web_search");
        out->set("query", stringField(item, "query"));
    } else {
        return nullptr;
    }
    return out;
}

}  // namespace codex_bridgehub
