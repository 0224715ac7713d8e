#include "log/AccessLog.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSONString.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <optional>
#include <sstream>
#include <type_traits>

#include "log/JsonFormatter.h"

namespace agenthost::log {
namespace {

std::atomic<bool> logContentEnabled{false};
std::atomic<bool> fieldsAsJson{false};

// The query parameters of the upgrade URL, /api/conversations and /api/status: none is a
// secret. Anything else (a key pasted into a URL, say) is logged by name only.
constexpr std::array<const char*, 8> kHarmlessParameters = {
    "protocol", "conversation", "after_seq", "route", "limit", "before", "format", "detail"};

// One access line: `text` is what the text format shows, `fields` the same as JSON members,
// made only for the JSON format (a line per finished turn is on the hot path).
class Line {
  public:
    explicit Line(std::string kind) : text_(std::move(kind)) {
        if (fieldsAsJson.load(std::memory_order_relaxed))
            fields_.emplace(Poco::JSON_PRESERVE_KEY_ORDER);
    }

    template <class Number>
    Line& add(const std::string& name, Number value) {
        text_ += ' ';
        text_ += name;
        text_ += '=';
        if constexpr (std::is_integral_v<Number>) {
            text_ += std::to_string(value);
        } else {
            std::ostringstream rendered;
            rendered << value;
            text_ += rendered.str();
        }
        if (fields_) fields_->set(name, value);
        return *this;
    }

    // A value with a space, quote or control character is written as a JSON string, so that
    // a text line stays one line and splits unambiguously at spaces.
    Line& add(const std::string& name, const std::string& value) {
        const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
            return static_cast<unsigned char>(c) > ' ' && c != '"';
        });
        text_ += ' ';
        text_ += name;
        text_ += '=';
        text_ += plain ? value : Poco::toJSON(value, Poco::JSON_WRAP_STRINGS);
        if (fields_) fields_->set(name, value);
        return *this;
    }

    void write(Poco::Logger& destination) {
        Poco::Message message(thisThreadsMessage(), text_);
        message.setSource(destination.name());
        message.setTime(Poco::Timestamp());
        if (fields_) {
            std::ostringstream json;
            fields_->stringify(json);
            message.set(kFieldsParameter, json.str());
        }
        destination.log(message);
    }

  private:
    // Poco::Message's constructor asks the kernel for the process id (getpid(2)) every time; a
    // copy of a message made once per thread carries the same pid and thread, without the call.
    static const Poco::Message& thisThreadsMessage() {
        thread_local const Poco::Message prototype("", "", Poco::Message::PRIO_INFORMATION);
        return prototype;
    }

    std::string text_;
    std::optional<Poco::JSON::Object> fields_;
};

bool harmless(const std::string& name) {
    for (const char* known : kHarmlessParameters)
        if (name == known) return true;
    return false;
}

}  // namespace

void setLogContent(bool enabled) {
    logContentEnabled = enabled;
}

void setAccessFieldsAsJson(bool enabled) {
    fieldsAsJson = enabled;
}

std::string redactQuery(const std::string& query) {
    std::string out;
    std::size_t start = 0;
    while (start < query.size()) {
        std::size_t end = query.find('&', start);
        if (end == std::string::npos) end = query.size();
        const std::string pair = query.substr(start, end - start);
        const std::size_t equals = pair.find('=');
        const std::string name = pair.substr(0, equals);
        if (!out.empty()) out += '&';
        out += harmless(name) || equals == std::string::npos ? pair : name + "=-";
        start = end + 1;
    }
    return out;
}

void logTurn(const TurnAccess& access) {
    static auto& destination = Poco::Logger::get("agenthost.access");  // found once
    if (!destination.information()) return;                            // nothing to build
    Line line("turn");
    line.add("key", access.keyName)
        .add("route", access.route)
        .add("conversation", access.conversationId)
        .add("turn", access.turn)
        .add("outcome", access.outcome);
    if (!access.errorCode.empty()) line.add("error_code", access.errorCode);
    line.add("duration_ms", access.durationMs);
    if (access.firstChunkMs) line.add("first_chunk_ms", *access.firstChunkMs);
    if (access.inputTokens) line.add("input_tokens", *access.inputTokens);
    if (access.outputTokens) line.add("output_tokens", *access.outputTokens);
    if (logContentEnabled) line.add("content", access.content);
    line.write(destination);
}

void logHttp(const HttpAccess& access) {
    static auto& destination = Poco::Logger::get("agenthost.http");
    if (!destination.information()) return;
    Line line("http");
    line.add("client", access.client)
        .add("method", access.method.empty() ? std::string("-") : access.method)
        .add("path", access.path.empty() ? std::string("-") : access.path);
    if (!access.query.empty()) line.add("query", redactQuery(access.query));
    line.add("status", access.status)
        .add("duration_ms", std::round(access.durationMs * 1000) / 1000);
    line.write(destination);
}

}  // namespace agenthost::log
