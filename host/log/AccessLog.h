// Access lines, one per finished turn (logger agenthost.access) and one per HTTP request
// (agenthost.http), at level information. In text format a line reads
//   turn key=phone route=claude conversation=... turn=3 outcome=complete duration_ms=1840 ...
// and in JSON format the same fields are members of the line's object. No line holds a key;
// the text of a message only with [log] log_content = true.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace agenthost::log {

struct TurnAccess {
    std::string keyName;
    std::string route;
    std::string conversationId;
    int turn = 0;
    std::string outcome;                       // complete, error, cancelled
    std::string errorCode;                     // with outcome error
    std::int64_t durationMs = 0;               // from the message's acceptance to its end
    std::optional<std::int64_t> firstChunkMs;  // from acceptance to the first text sent
    std::optional<std::uint64_t> inputTokens, outputTokens;  // as the plugin reported them
    std::string content;  // the user's message; written only with log_content = true
};
void logTurn(const TurnAccess& access);

struct HttpAccess {
    std::string client;  // address without the port
    std::string method;  // "-" when the request head could not be read
    std::string path;
    std::string query;  // raw; only parameters known to hold no secret keep their value
    int status = 0;
    double durationMs = 0;
};
void logHttp(const HttpAccess& access);

// [log] log_content: whether logTurn writes the message text. Set by configureLogging().
void setLogContent(bool enabled);
// [log] format = json: access lines carry their fields as JSON members (JsonFormatter). Set by
// configureLogging(); the text format needs none, so none are made for it.
void setAccessFieldsAsJson(bool enabled);

// `query` with the value of every parameter not known to be harmless replaced by "-".
std::string redactQuery(const std::string& query);

}  // namespace agenthost::log
