#include "store/TurnRecordJson.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>
#include <concepts>
#include <sstream>

#include "store/TurnStatus.h"
#include "util/Utf8.h"

namespace agenthost::store {

namespace {

// Written by hand: the writer encodes every saved turn, and this is several times cheaper
// than building a Poco::JSON object. The bytes between two that need escaping are appended as
// one span; every other byte (UTF-8 or not) is kept as it is.
void appendString(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    std::size_t spanStart = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
        out.append(text.data() + spanStart, i - spanStart);
        spanStart = i + 1;
        if (byte == '"' || byte == '\\') {
            const char escaped[] = {'\\', text[i]};
            out.append(escaped, sizeof escaped);
        } else {
            const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xF]};
            out.append(escaped, sizeof escaped);
        }
    }
    out.append(text.data() + spanStart, text.size() - spanStart);
    out += '"';
}

void appendName(std::string& out, std::string_view name) {
    out += ",\"";
    out += name;
    out += "\":";
}

void appendField(std::string& out, std::string_view name, std::string_view text) {
    appendName(out, name);
    appendString(out, text);
}

// An empty text is left out: the reader takes a missing one as empty.
void appendTextField(std::string& out, std::string_view name, std::string_view text) {
    if (!text.empty()) appendField(out, name, text);
}

template <std::integral Integer>
void appendNumber(std::string& out, Integer value) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, end);
}

// Signed (seqs, times) and unsigned (token counts, what a plugin may report) numbers, each
// written as its own type: an unsigned count cast to int64 could give negative text, which would
// make the record unreadable.
template <std::integral Integer>
void appendField(std::string& out, std::string_view name, Integer value) {
    appendName(out, name);
    appendNumber(out, value);
}

// Makes room for the record at once, still growing by doubling when a batch's records share
// one string.
void reserveFor(std::string& out, const TurnRecord& turn) {
    constexpr std::size_t kFixedPart = 256;  // names, numbers and quotes
    const std::size_t needed = out.size() + kFixedPart + turn.user.size() + turn.assistant.size() +
                               turn.stopReason.size() + turn.errorCode.size() +
                               turn.errorMessage.size() + turn.pluginData.size() * 4 / 3;
    if (needed > out.capacity()) out.reserve(std::max(needed, 2 * out.capacity()));
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

// Read in pieces into a string that exists already: one built from stream iterators lost its
// buffer when the decoder threw on a byte that is not base64 (found by fuzz_turn_record).
std::string fromBase64(const std::string& text) {
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in, Poco::BASE64_NO_PADDING);
    decoder.exceptions(std::ios::badbit);  // that byte still makes the record unreadable
    std::string bytes;
    char piece[256];
    do {
        decoder.read(piece, sizeof piece);
        bytes.append(piece, static_cast<std::size_t>(decoder.gcount()));
    } while (decoder);
    return bytes;
}

}  // namespace

void appendTurnRecordJson(std::string& out, const TurnRecord& turn) {
    reserveFor(out, turn);
    out += "{\"turn\":";
    appendNumber(out, turn.turn);
    appendField(out, "status", turnStatusName(turn.status));
    appendTextField(out, "user", turn.user);
    appendTextField(out, "assistant", turn.assistant);
    appendTextField(out, "stop_reason", turn.stopReason);
    if (turn.usage) {
        appendField(out, "input_tokens", turn.usage->inputTokens);
        appendField(out, "output_tokens", turn.usage->outputTokens);
        if (turn.usage->hasCache) {
            appendField(out, "cache_creation_input_tokens", turn.usage->cacheCreationInputTokens);
            appendField(out, "cache_read_input_tokens", turn.usage->cacheReadInputTokens);
        }
    }
    appendTextField(out, "error_code", turn.errorCode);
    appendTextField(out, "error_message", turn.errorMessage);
    appendField(out, "started_at", turn.startedAt);
    appendField(out, "finished_at", turn.finishedAt);
    if (turn.seqReserved) appendField(out, "seq_reserved", turn.seqReserved);
    if (util::isValidUtf8(turn.pluginData)) {
        appendTextField(out, "plugin_data", turn.pluginData);
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
