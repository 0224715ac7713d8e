#include "store/TurnRecordJson.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <concepts>
#include <sstream>

#include "store/TurnStatus.h"
#include "util/Utf8.h"

namespace agenthost::store {

namespace {

// Written by hand: the writer encodes every saved turn, and this is several times cheaper
// than building a Poco::JSON object.
void appendString(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            out += "\\u00";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xF];
        } else {
            out += c;
        }
    }
    out += '"';
}

void appendField(std::string& out, const char* name, std::string_view text) {
    out += ",\"";
    out += name;
    out += "\":";
    appendString(out, text);
}

// Signed (seqs, times) and unsigned (token counts, what a plugin may report) numbers, each
// written as its own type: an unsigned count cast to int64 could give negative text, which would
// make the record unreadable.
template <std::integral Integer>
void appendField(std::string& out, const char* name, Integer value) {
    out += ",\"";
    out += name;
    out += "\":";
    out += std::to_string(value);
}

// A plugin's turn data is opaque bytes; JSON strings hold only UTF-8 (Poco's parser refuses a
// record with anything else), so other bytes are kept as base64 instead.
std::string base64(std::string_view bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_NO_PADDING);
    encoder.rdbuf()->setLineLength(0);
    encoder.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    encoder.close();
    return out.str();
}

std::string fromBase64(const std::string& text) {
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in, Poco::BASE64_NO_PADDING);
    return std::string(std::istreambuf_iterator<char>(decoder), {});
}

}  // namespace

void appendTurnRecordJson(std::string& out, const TurnRecord& turn) {
    out += "{\"turn\":";
    out += std::to_string(turn.turn);
    appendField(out, "status", turnStatusName(turn.status));
    appendField(out, "user", turn.user);
    appendField(out, "assistant", turn.assistant);
    appendField(out, "stop_reason", turn.stopReason);
    if (turn.usage) {
        appendField(out, "input_tokens", turn.usage->inputTokens);
        appendField(out, "output_tokens", turn.usage->outputTokens);
        if (turn.usage->hasCache) {
            appendField(out, "cache_creation_input_tokens", turn.usage->cacheCreationInputTokens);
            appendField(out, "cache_read_input_tokens", turn.usage->cacheReadInputTokens);
        }
    }
    appendField(out, "error_code", turn.errorCode);
    appendField(out, "error_message", turn.errorMessage);
    appendField(out, "started_at", turn.startedAt);
    appendField(out, "finished_at", turn.finishedAt);
    if (turn.seqReserved) appendField(out, "seq_reserved", turn.seqReserved);
    if (util::isValidUtf8(turn.pluginData)) {
        if (!turn.pluginData.empty()) appendField(out, "plugin_data", turn.pluginData);
    } else {
        appendField(out, "plugin_data_base64", base64(turn.pluginData));
    }
    out += '}';
}

std::optional<TurnRecord> parseTurnRecordJson(std::string_view json) {
    try {
        Poco::JSON::Parser parser;
        const auto object = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
        TurnRecord turn;
        turn.turn = object->getValue<int>("turn");
        turn.status =
            turnStatusFromName(object->getValue<std::string>("status")).value_or(TurnStatus::Error);
        turn.user = object->optValue<std::string>("user", "");
        turn.assistant = object->optValue<std::string>("assistant", "");
        turn.stopReason = object->optValue<std::string>("stop_reason", "");
        if (object->has("input_tokens") && !object->isNull("input_tokens"))
            turn.usage = TokenUsage{object->getValue<std::uint64_t>("input_tokens"),
                                    object->isNull("output_tokens")
                                        ? 0
                                        : object->getValue<std::uint64_t>("output_tokens")};
        if (turn.usage && object->has("cache_read_input_tokens")) {
            turn.usage->hasCache = true;
            turn.usage->cacheCreationInputTokens =
                object->optValue<std::uint64_t>("cache_creation_input_tokens", 0);
            turn.usage->cacheReadInputTokens =
                object->optValue<std::uint64_t>("cache_read_input_tokens", 0);
        }
        turn.errorCode = object->optValue<std::string>("error_code", "");
        turn.errorMessage = object->optValue<std::string>("error_message", "");
        turn.startedAt = object->optValue<Millis>("started_at", 0);
        turn.finishedAt = object->optValue<Millis>("finished_at", 0);
        turn.seqReserved = object->optValue<std::int64_t>("seq_reserved", 0);
        turn.pluginData = object->has("plugin_data_base64")
                              ? fromBase64(object->getValue<std::string>("plugin_data_base64"))
                              : object->optValue<std::string>("plugin_data", "");
        return turn;
    } catch (const Poco::Exception&) {
        return std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace agenthost::store
