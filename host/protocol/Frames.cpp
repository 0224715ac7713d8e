#include "protocol/Frames.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <sstream>
#include <string_view>
#include <variant>

namespace agenthost::protocol {
namespace {

// Frames are built by hand: they are few and fixed, and this is the hot path of every
// response. The text is valid UTF-8 already (the chunker sees to it), so only JSON's
// mandatory escapes are needed.
void appendJsonString(std::string& out, std::string_view text) {
    static const char* hex = "0123456789abcdef";
    out.push_back('"');
    std::size_t plain = 0;  // start of the run of characters that need no escape
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(text.data() + plain, i - plain);
        plain = i + 1;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += "\\u00";
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0xF]);
        }
    }
    out.append(text.data() + plain, text.size() - plain);
    out.push_back('"');
}

// {"type":"<type>" ... then finish() adds the timestamp and the closing brace.
class FrameWriter {
  public:
    explicit FrameWriter(std::string_view type) {
        out_.reserve(96);
        out_ += "{\"type\":";
        appendJsonString(out_, type);
    }
    FrameWriter& field(std::string_view name, std::string_view value) {
        key(name);
        appendJsonString(out_, value);
        return *this;
    }
    FrameWriter& raw(std::string_view name, std::string_view json) {
        key(name);
        out_ += json;
        return *this;
    }
    FrameWriter& timestamp() { return field("timestamp", timestampNow()); }
    std::string finish() {
        out_.push_back('}');
        return std::move(out_);
    }

  private:
    void key(std::string_view name) {
        out_.push_back(',');
        appendJsonString(out_, name);
        out_.push_back(':');
    }
    std::string out_;
};

}  // namespace

const std::string& timestampNow() {
    // Formatting is cached per millisecond and thread: bursts of frames share one.
    thread_local long long cachedMs = -1;
    thread_local std::string cached;
    const auto now = std::chrono::system_clock::now();
    const long long ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    if (ms != cachedMs) {
        const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
        std::tm utc{};
        ::gmtime_r(&seconds, &utc);
        char text[64];
        std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                      utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                      static_cast<int>(ms % 1000));
        cached = text;
        cachedMs = ms;
    }
    return cached;
}

std::string readyFrame(const ReadyInfo& ready) {
    return FrameWriter("ready")
        .field("content", ready.route + " ready")
        .timestamp()
        .field("session_id", ready.sessionId)
        .field("plugin", ready.route)
        .field("version", ready.pluginVersion)
        .raw("protocol", std::to_string(ready.protocol))
        .field("conversation_id", ready.conversationId)
        .raw("last_seq", std::to_string(ready.lastSeq))
        .finish();
}

std::string resumedFrame(const std::string& conversationId, std::int64_t lastSeq, bool running) {
    return FrameWriter("resumed")
        .field("conversation_id", conversationId)
        .raw("last_seq", std::to_string(lastSeq))
        .raw("running", running ? "true" : "false")
        .timestamp()
        .finish();
}

std::string userFrame(std::string_view content) {
    return FrameWriter("user").field("content", content).timestamp().finish();
}

std::string TurnFrame::protocol1() const {
    std::string frame;
    frame.reserve(plainSize + 1);
    frame.append(json, 0, plainSize);
    frame.push_back('}');
    return frame;
}

TurnFrame tagTurn(std::string frame, std::int64_t seq, int turn) {
    TurnFrame tagged;
    frame.pop_back();  // the closing brace
    tagged.plainSize = frame.size();
    frame += ",\"seq\":";
    frame += std::to_string(seq);
    frame += ",\"turn\":";
    frame += std::to_string(turn);
    frame.push_back('}');
    tagged.json = std::move(frame);
    return tagged;
}

std::string replayOf(std::string_view storedFrame) {
    std::string frame;
    frame.reserve(storedFrame.size() + 16);
    frame.append(storedFrame.substr(0, storedFrame.size() - 1));
    frame += ",\"replay\":true}";
    return frame;
}

std::string messageFrame(std::string_view chunk) {
    return FrameWriter("message").field("content", chunk).timestamp().finish();
}

std::string eventFrame(std::string_view kind, std::string_view content, std::string_view dataJson) {
    // "kind" right after "type": eventKindOfFrame() reads it there.
    return FrameWriter("event")
        .field("kind", kind)
        .field("content", content)
        .raw("data", dataJson)
        .timestamp()
        .finish();
}

std::string approvalRequestData(std::string_view approvalId, std::string_view action,
                                std::string_view detailJson) {
    std::string data = "{\"approval_id\":";
    appendJsonString(data, approvalId);
    data += ",\"action\":";
    appendJsonString(data, action);
    data += ",\"detail\":";
    data += detailJson;
    data.push_back('}');
    return data;
}

std::string approvalDecisionData(std::string_view approvalId, bool accepted, bool timedOut) {
    std::string data = "{\"approval_id\":";
    appendJsonString(data, approvalId);
    data += accepted ? ",\"decision\":\"accept\"" : ",\"decision\":\"decline\"";
    data += timedOut ? ",\"by\":\"timeout\"}" : ",\"by\":\"client\"}";
    return data;
}

std::optional<std::string> compactJsonObject(std::string_view json) {
    if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::string("{}");
    Poco::Dynamic::Var parsed;
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));  // keep the key order
        parsed = parser.parse(std::string(json));
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) return std::nullopt;
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(parsed, out);
    return out.str();
}

std::string completeFrame(const std::optional<Usage>& usage, std::string_view stopReason) {
    FrameWriter frame("complete");
    frame.field("content", "Response complete");
    if (usage) {
        std::string json = "{\"input_tokens\":" + std::to_string(usage->inputTokens) +
                           ",\"output_tokens\":" + std::to_string(usage->outputTokens);
        if (usage->hasCache)
            json += ",\"cache_creation_input_tokens\":" +
                    std::to_string(usage->cacheCreationInputTokens) +
                    ",\"cache_read_input_tokens\":" + std::to_string(usage->cacheReadInputTokens);
        frame.raw("usage", json + "}");
    }
    if (!stopReason.empty()) frame.field("stop_reason", stopReason);
    return frame.timestamp().finish();
}

std::string cancelledFrame() {
    return FrameWriter("complete")
        .field("content", "Response cancelled")
        .raw("cancelled", "true")
        .timestamp()
        .finish();
}

std::string errorFrame(std::string_view code, std::string_view content) {
    return FrameWriter("error").field("content", content).field("code", code).timestamp().finish();
}

std::string limitErrorFrame(std::string_view code, std::string_view content,
                            std::int64_t retryAfterS) {
    return FrameWriter("error")
        .field("content", content)
        .field("code", code)
        .raw("retry_after_s", std::to_string(retryAfterS))
        .timestamp()
        .finish();
}

std::string pongFrame() {
    return FrameWriter("pong").timestamp().finish();
}

namespace {

// The two fields a client frame is read for. A field that is absent stays empty; one that is
// present but not a string is marked so.
struct ClientFields {
    std::optional<std::string> type, content, conversationId, approvalId, decision;
    std::optional<std::int64_t> afterSeq;
    bool typeNotString = false, contentNotString = false, conversationIdNotString = false;
    bool approvalIdNotString = false, decisionNotString = false;
    bool afterSeqNotInteger = false;
};

// The shape nearly every client frame has: one flat object whose values are strings without
// escapes, e.g. {"content":"hello"}. Read here without building a JSON tree; anything else
// (escapes, numbers, nesting, repeated keys, bad syntax) returns nothing, and Poco's parser
// decides. The text is already valid UTF-8 (the frame decoder checked it).
std::optional<ClientFields> scanFlatObject(std::string_view text) {
    std::size_t i = 0;
    const auto skipSpace = [&] {
        while (i < text.size() &&
               (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
            ++i;
    };
    const auto plainString = [&]() -> std::optional<std::string_view> {
        if (i >= text.size() || text[i] != '"') return std::nullopt;
        const std::size_t begin = ++i;
        while (i < text.size() && text[i] != '"') {
            if (text[i] == '\\' || static_cast<unsigned char>(text[i]) < 0x20) return std::nullopt;
            ++i;
        }
        if (i >= text.size()) return std::nullopt;
        return text.substr(begin, i++ - begin);
    };
    ClientFields fields;
    skipSpace();
    if (i >= text.size() || text[i++] != '{') return std::nullopt;
    skipSpace();
    if (i < text.size() && text[i] == '}') {
        ++i;
    } else {
        for (;;) {
            skipSpace();
            const auto key = plainString();
            skipSpace();
            if (!key || i >= text.size() || text[i++] != ':') return std::nullopt;
            skipSpace();
            const auto value = plainString();
            if (!value) return std::nullopt;
            auto* field = *key == "type"              ? &fields.type
                          : *key == "content"         ? &fields.content
                          : *key == "conversation_id" ? &fields.conversationId
                          : *key == "approval_id"     ? &fields.approvalId
                          : *key == "decision"        ? &fields.decision
                                                      : nullptr;
            if (field) {
                if (*field) return std::nullopt;  // repeated: let the full parser decide
                *field = std::string(*value);
            }
            if (*key == "after_seq") fields.afterSeqNotInteger = true;  // a string here
            skipSpace();
            if (i < text.size() && text[i] == ',') {
                ++i;
                continue;
            }
            if (i < text.size() && text[i] == '}') {
                ++i;
                break;
            }
            return std::nullopt;
        }
    }
    skipSpace();
    if (i != text.size()) return std::nullopt;
    return fields;
}

// Any JSON, with Poco's parser; an error text when it is not a JSON object.
std::variant<ClientFields, std::string> parseAnyObject(const std::string& text) {
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(text);
    } catch (const Poco::Exception&) {
        return std::string("frame is not valid JSON");
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        return std::string("frame must be a JSON object");
    auto object = parsed.extract<Poco::JSON::Object::Ptr>();
    ClientFields fields;
    const auto read = [&](const char* name, std::optional<std::string>& value, bool& notString) {
        if (!object->has(name)) return;
        auto var = object->get(name);
        if (var.isString())
            value = var.toString();
        else
            notString = true;
    };
    read("type", fields.type, fields.typeNotString);
    read("content", fields.content, fields.contentNotString);
    read("conversation_id", fields.conversationId, fields.conversationIdNotString);
    read("approval_id", fields.approvalId, fields.approvalIdNotString);
    read("decision", fields.decision, fields.decisionNotString);
    if (object->has("after_seq")) {
        auto var = object->get("after_seq");
        if (var.isInteger())
            fields.afterSeq = var.convert<std::int64_t>();
        else
            fields.afterSeqNotInteger = true;
    }
    return fields;
}

ClientFrame interpret(const ClientFields& fields) {
    if (fields.typeNotString) return {ClientFrame::Kind::Invalid, "\"type\" must be a string"};
    const std::string type = fields.type.value_or("message");
    if (type == "cancel") return {ClientFrame::Kind::Cancel, ""};
    if (type == "ping") return {ClientFrame::Kind::Ping, ""};
    if (type == "resume") {
        if (!fields.conversationId || fields.conversationIdNotString)
            return {ClientFrame::Kind::Invalid, "a resume needs a string \"conversation_id\""};
        if (fields.afterSeqNotInteger)
            return {ClientFrame::Kind::Invalid, "\"after_seq\" must be an integer"};
        return {ClientFrame::Kind::Resume, *fields.conversationId, fields.afterSeq.value_or(0)};
    }
    if (type == "approve") {
        if (!fields.approvalId || fields.approvalIdNotString)
            return {ClientFrame::Kind::Invalid, "an approve needs a string \"approval_id\""};
        if (!fields.decision || fields.decisionNotString ||
            (*fields.decision != "accept" && *fields.decision != "decline"))
            return {ClientFrame::Kind::Invalid,
                    "an approve needs \"decision\": \"accept\" or \"decline\""};
        ClientFrame frame{ClientFrame::Kind::Approve, *fields.approvalId};
        frame.accept = *fields.decision == "accept";
        return frame;
    }
    if (type != "message") return {ClientFrame::Kind::Invalid, "unknown type \"" + type + "\""};
    if (!fields.content || fields.contentNotString)
        return {ClientFrame::Kind::Invalid, "a message needs a string \"content\""};
    return {ClientFrame::Kind::Message, *fields.content};
}

}  // namespace

ClientFrame parseClientFrame(const std::string& text) {
    if (auto fields = scanFlatObject(text)) return interpret(*fields);
    auto parsed = parseAnyObject(text);
    if (auto* error = std::get_if<std::string>(&parsed))
        return {ClientFrame::Kind::Invalid, *error};
    return interpret(std::get<ClientFields>(parsed));
}

}  // namespace agenthost::protocol
