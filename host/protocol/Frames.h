// The JSON frames of the wire protocol (see docs/protocol.md): what the server sends, and what
// a client text frame asks for. Protocol 2 adds seq/turn to the frames of a turn (TurnFrame),
// the user, event, resumed and replayed frames, and the resume and approve client frames.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agenthost::protocol {

// Machine codes of error frames.
namespace error_code {
inline constexpr const char* kInvalidMessage = "invalid_message";
inline constexpr const char* kUnsupportedFrame = "unsupported_frame";
inline constexpr const char* kBusy = "busy";
inline constexpr const char* kPluginError = "plugin_error";
inline constexpr const char* kPluginUnavailable = "plugin_unavailable";
inline constexpr const char* kShuttingDown = "shutting_down";
inline constexpr const char* kAuthTimeout = "auth_timeout";
inline constexpr const char* kConversationNotFound = "conversation_not_found";
inline constexpr const char* kConversationDeleted = "conversation_deleted";
inline constexpr const char* kInterrupted = "interrupted";
inline constexpr const char* kCancelled = "cancelled";
// An approve frame named an approval that is not open (never was, already answered, timed
// out, or its turn ended).
inline constexpr const char* kApprovalNotFound = "approval_not_found";
inline constexpr const char* kTimeout = "timeout";  // the route's request_timeout_s passed
}  // namespace error_code

struct Usage {
    std::uint64_t inputTokens = 0;
    std::uint64_t outputTokens = 0;
    // Prompt caching (report_cache_usage): tokens written to and read from the upstream's
    // cache, besides inputTokens. Shown only when the plugin reported them.
    bool hasCache = false;
    std::uint64_t cacheCreationInputTokens = 0;
    std::uint64_t cacheReadInputTokens = 0;
};

// ISO 8601 UTC with milliseconds, e.g. 2026-11-26T10:30:00.123Z. Valid until this thread's
// next call (it is formatted once per millisecond and thread).
const std::string& timestampNow();

struct ReadyInfo {
    std::string route;
    std::string sessionId;
    std::string pluginVersion;
    int protocol = 1;
    std::string conversationId;
    std::int64_t lastSeq = 0;
};
std::string readyFrame(const ReadyInfo& ready);
std::string resumedFrame(const std::string& conversationId, std::int64_t lastSeq, bool running);
std::string userFrame(std::string_view content);
std::string messageFrame(std::string_view chunk);
// {"type":"event","kind":...,"content":...,"data":{...},"timestamp":...}. `dataJson` is a
// JSON object as compactJsonObject() returns it.
std::string eventFrame(std::string_view kind, std::string_view content, std::string_view dataJson);
// The data of an approval_request event: {"approval_id","action","detail":{...}}.
std::string approvalRequestData(std::string_view approvalId, std::string_view action,
                                std::string_view detailJson);
// The data of the status event that says how an approval ended:
// {"approval_id","decision":"accept"|"decline","by":"client"|"timeout"}.
std::string approvalDecisionData(std::string_view approvalId, bool accepted, bool timedOut);
// A plugin's JSON object, checked with a real parser and written back compact (key order
// kept); "" or only spaces gives {}. Nullopt when it is not one JSON object.
std::optional<std::string> compactJsonObject(std::string_view json);
// `stopReason` (end_turn, max_tokens, ...) as the plugin reported it; left out when empty.
std::string completeFrame(const std::optional<Usage>& usage, std::string_view stopReason = {});
std::string cancelledFrame();
std::string errorFrame(std::string_view code, std::string_view content);
// An error frame for a limit that was hit: also says when to try again ("retry_after_s").
std::string limitErrorFrame(std::string_view code, std::string_view content,
                            std::int64_t retryAfterS);
std::string pongFrame();

// A frame of a turn (user, message, complete, error) as protocol 2 sends and stores it: the
// protocol 1 frame with "seq" and "turn" added at the end. Protocol 1 connections get it
// without those two fields; a replay adds "replay":true.
struct TurnFrame {
    std::string json;           // {...,"seq":N,"turn":K}
    std::size_t plainSize = 0;  // json[0, plainSize) + "}" is the protocol 1 frame
    std::string protocol1() const;
};
TurnFrame tagTurn(std::string frame, std::int64_t seq, int turn);
// A stored frame as a replay sends it.
std::string replayOf(std::string_view storedFrame);

// What one client text frame asks for.
struct ClientFrame {
    enum class Kind { Message, Cancel, Ping, Resume, Approve, Invalid };
    Kind kind = Kind::Invalid;
    // The message text, the resumed conversation, the approval id, or why it is invalid.
    std::string content;
    std::int64_t afterSeq = 0;  // resume
    bool accept = false;        // approve: "decision":"accept" (else "decline")
};

ClientFrame parseClientFrame(const std::string& text);

}  // namespace agenthost::protocol
