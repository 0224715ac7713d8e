#include "MessageStream.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <exception>
#include <utility>

namespace agenthost::claude {
namespace {

using Poco::JSON::Object;

bool isKnownEvent(const std::string& type) {
    return type == "message_start" || type == "content_block_start" ||
           type == "content_block_delta" || type == "content_block_stop" || type == "ping" ||
           type == "message_delta" || type == "message_stop" || type == "error";
}

Object::Ptr parseObject(const std::string& data) {
    Poco::JSON::Parser parser;
    return parser.parse(data).extract<Object::Ptr>();
}

// Reads an optional token count; absent or null counts stay unchanged. True when present.
bool readCount(const Object::Ptr& usage, const char* name, std::uint64_t& out) {
    if (!usage || !usage->has(name) || usage->isNull(name)) return false;
    out = usage->getValue<Poco::UInt64>(name);
    return true;
}

std::size_t blockIndex(const Object::Ptr& root) {
    return root->has("index") ? root->getValue<std::size_t>("index") : 0;
}

std::string optString(const Object::Ptr& object, const char* name) {
    if (!object || !object->has(name) || object->isNull(name)) return "";
    return object->getValue<std::string>(name);
}

}  // namespace

TokenUsage& TokenUsage::operator+=(const TokenUsage& other) {
    inputTokens += other.inputTokens;
    outputTokens += other.outputTokens;
    hasCache = hasCache || other.hasCache;
    cacheCreationInputTokens += other.cacheCreationInputTokens;
    cacheReadInputTokens += other.cacheReadInputTokens;
    return *this;
}

void MessageStream::feed(std::string_view bytes) {
    if (ended()) return;
    try {
        parser_.feed(bytes, [this](const SseEvent& event) { onEvent(event); });
    } catch (const std::exception& e) {
        error_ = StreamError{"malformed_stream", e.what()};
    }
}

void MessageStream::onEvent(const SseEvent& event) {
    if (ended()) return;
    // Servers name the event twice (the `event:` line and the data's "type"); an event without
    // an `event:` line is typed by its data alone.
    if (event.type != "message" && !isKnownEvent(event.type)) {
        noteUnknown("event " + event.type);
        return;
    }
    try {
        interpret(event.type, event.data);
    } catch (const Poco::Exception& e) {
        error_ = StreamError{"malformed_stream",
                             "unreadable " + event.type + " event: " + e.displayText()};
    } catch (const std::exception& e) {
        error_ =
            StreamError{"malformed_stream", "unreadable " + event.type + " event: " + e.what()};
    }
}

void MessageStream::interpret(const std::string& eventType, const std::string& data) {
    const Object::Ptr root = parseObject(data);
    if (!root) throw std::runtime_error("data is not a JSON object");
    const std::string type = eventType == "message" ? optString(root, "type") : eventType;
    if (type == "message_start") {
        const Object::Ptr message = root->getObject("message");
        readUsage(message ? message->getObject("usage") : nullptr);
    } else if (type == "content_block_start") {
        blockStart(root);
    } else if (type == "content_block_delta") {
        blockDelta(root);
    } else if (type == "content_block_stop" || type == "ping") {
        // Nothing to do: a block is whole once its deltas are in.
    } else if (type == "message_delta") {
        readUsage(root->getObject("usage"));
        const std::string reason = optString(root->getObject("delta"), "stop_reason");
        if (!reason.empty()) stopReason_ = reason;
    } else if (type == "message_stop") {
        finished_ = true;
    } else if (type == "error") {
        const Object::Ptr error = root->getObject("error");
        StreamError e{optString(error, "type"), optString(error, "message")};
        if (e.type.empty()) e.type = "api_error";
        error_ = std::move(e);
    } else {
        noteUnknown("event " + type);
    }
}

// message_start's and message_delta's usage (the latter cumulative).
void MessageStream::readUsage(const Object::Ptr& usage) {
    readCount(usage, "input_tokens", usage_.inputTokens);
    readCount(usage, "output_tokens", usage_.outputTokens);
    if (readCount(usage, "cache_creation_input_tokens", usage_.cacheCreationInputTokens))
        usage_.hasCache = true;
    if (readCount(usage, "cache_read_input_tokens", usage_.cacheReadInputTokens))
        usage_.hasCache = true;
}

void MessageStream::blockStart(const Object::Ptr& root) {
    const Object::Ptr block = root->getObject("content_block");
    content_.start(blockIndex(root), block);
    const std::string blockType = optString(block, "type");
    if (blockType == "text") {
        text(optString(block, "text"));
    } else if (blockType == "thinking") {
        thinkingBlockApart_ = sentThinking_;
        thinking(optString(block, "thinking"));
    } else if (blockType == "redacted_thinking") {
        if (sinks_.redactedThinking) sinks_.redactedThinking();
    } else if (blockType != "tool_use" && blockType != "server_tool_use") {
        noteUnknown("content block " + blockType);  // kept whole, not shown
    }
}

void MessageStream::blockDelta(const Object::Ptr& root) {
    const Object::Ptr delta = root->getObject("delta");
    if (!content_.delta(blockIndex(root), delta)) noteUnknown("delta " + optString(delta, "type"));
    const std::string deltaType = optString(delta, "type");
    if (deltaType == "text_delta") text(optString(delta, "text"));
    if (deltaType == "thinking_delta") thinking(optString(delta, "thinking"));
}

void MessageStream::noteUnknown(const std::string& what) {
    if (sinks_.unknown) sinks_.unknown(what);
}

void MessageStream::text(const std::string& piece) {
    if (piece.empty() || !sinks_.text) return;
    sentText_ = true;
    sinks_.text(piece);
}

void MessageStream::thinking(const std::string& piece) {
    if (piece.empty() || !sinks_.thinking) return;
    sentThinking_ = true;
    if (std::exchange(thinkingBlockApart_, false))
        sinks_.thinking("\n\n" + piece);
    else
        sinks_.thinking(piece);
}

}  // namespace agenthost::claude
