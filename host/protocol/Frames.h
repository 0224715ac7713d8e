// The JSON frames of the wire protocol (see docs/protocol.md): what the server sends, and what
// a client text frame asks for. Protocol 2 adds seq/turn to the frames of a turn (TurnFrame),
// the user, resumed and replayed frames, and the resume client frame.
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
inline constexpr const char* kTimeout = "timeout";  // the route's request_timeout_s passed
}  // namespace error_code

struct Usage {
    std::uint64_t inputTokens = 0;
    std::uint64_t outputTokens = 0;
};

// ISO 8601 UTC with milliseconds, e.g. 2026-11-26T10:30:00.123Z.
std::string timestampNow();

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
std::string completeFrame(const std::optional<Usage>& usage);
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
    enum class Kind { Message, Cancel, Ping, Resume, Invalid };
    Kind kind = Kind::Invalid;
    std::string content;        // the message text, the resumed conversation, or why it is invalid
    std::int64_t afterSeq = 0;  // resume
};

ClientFrame parseClientFrame(const std::string& text);

}  // namespace agenthost::protocol
