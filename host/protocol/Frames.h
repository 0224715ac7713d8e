// The JSON frames of wire protocol version 1 (see docs/protocol.md): what the server sends,
// and what a client text frame asks for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agenthost::protocol {

constexpr int kProtocolVersion = 1;

// Machine codes of error frames.
namespace error_code {
inline constexpr const char* kInvalidMessage = "invalid_message";
inline constexpr const char* kUnsupportedFrame = "unsupported_frame";
inline constexpr const char* kBusy = "busy";
inline constexpr const char* kPluginError = "plugin_error";
inline constexpr const char* kPluginUnavailable = "plugin_unavailable";
inline constexpr const char* kShuttingDown = "shutting_down";
inline constexpr const char* kAuthTimeout = "auth_timeout";
}  // namespace error_code

struct Usage {
    std::uint64_t inputTokens = 0;
    std::uint64_t outputTokens = 0;
};

// ISO 8601 UTC with milliseconds, e.g. 2026-11-26T10:30:00.123Z.
std::string timestampNow();

std::string readyFrame(const std::string& route, const std::string& sessionId,
                       const std::string& pluginVersion);
std::string messageFrame(std::string_view chunk);
std::string completeFrame(const std::optional<Usage>& usage);
std::string cancelledFrame();
std::string errorFrame(std::string_view code, std::string_view content);
std::string pongFrame();

// What one client text frame asks for.
struct ClientFrame {
    enum class Kind { Message, Cancel, Ping, Invalid };
    Kind kind = Kind::Invalid;
    std::string content;  // the message text, or why the frame is invalid
};

ClientFrame parseClientFrame(const std::string& text);

}  // namespace agenthost::protocol
