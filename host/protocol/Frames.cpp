#include "protocol/Frames.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>

#include <sstream>

namespace agenthost::protocol {
namespace {

Poco::JSON::Object frame(const char* type) {
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("type", type);
    return object;
}

std::string finish(Poco::JSON::Object& object) {
    object.set("timestamp", timestampNow());
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

}  // namespace

std::string timestampNow() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::string readyFrame(const std::string& route, const std::string& sessionId,
                       const std::string& pluginVersion) {
    auto object = frame("ready");
    object.set("content", route + " ready");
    object.set("timestamp", timestampNow());
    object.set("session_id", sessionId);
    object.set("plugin", route);
    object.set("version", pluginVersion);
    object.set("protocol", kProtocolVersion);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

std::string messageFrame(std::string_view chunk) {
    auto object = frame("message");
    object.set("content", std::string(chunk));
    return finish(object);
}

std::string completeFrame(const std::optional<Usage>& usage) {
    auto object = frame("complete");
    object.set("content", "Response complete");
    if (usage) {
        Poco::JSON::Object counts(Poco::JSON_PRESERVE_KEY_ORDER);
        counts.set("input_tokens", usage->inputTokens);
        counts.set("output_tokens", usage->outputTokens);
        object.set("usage", counts);
    }
    return finish(object);
}

std::string cancelledFrame() {
    auto object = frame("complete");
    object.set("content", "Response cancelled");
    object.set("cancelled", true);
    return finish(object);
}

std::string errorFrame(std::string_view code, std::string_view content) {
    auto object = frame("error");
    object.set("content", std::string(content));
    object.set("code", std::string(code));
    return finish(object);
}

std::string pongFrame() {
    auto object = frame("pong");
    return finish(object);
}

ClientFrame parseClientFrame(const std::string& text) {
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(text);
    } catch (const Poco::Exception&) {
        return {ClientFrame::Kind::Invalid, "frame is not valid JSON"};
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        return {ClientFrame::Kind::Invalid, "frame must be a JSON object"};
    auto object = parsed.extract<Poco::JSON::Object::Ptr>();

    std::string type = "message";
    if (object->has("type")) {
        auto value = object->get("type");
        if (!value.isString()) return {ClientFrame::Kind::Invalid, "\"type\" must be a string"};
        type = value.toString();
    }
    if (type == "cancel") return {ClientFrame::Kind::Cancel, ""};
    if (type == "ping") return {ClientFrame::Kind::Ping, ""};
    if (type != "message") return {ClientFrame::Kind::Invalid, "unknown type \"" + type + "\""};

    auto content = object->get("content");
    if (content.isEmpty() || !content.isString())
        return {ClientFrame::Kind::Invalid, "a message needs a string \"content\""};
    return {ClientFrame::Kind::Message, content.toString()};
}

}  // namespace agenthost::protocol
