#include "protocol/EventKinds.h"

#include <array>
#include <utility>

namespace agenthost::protocol {
namespace {

constexpr std::array<std::pair<EventKind, const char*>, 7> kNames{{
    {EventKind::Thinking, "thinking"},
    {EventKind::ToolCall, "tool_call"},
    {EventKind::ToolResult, "tool_result"},
    {EventKind::Command, "command"},
    {EventKind::FileChange, "file_change"},
    {EventKind::Status, "status"},
    {EventKind::ApprovalRequest, "approval_request"},
}};

constexpr std::string_view kEventPrefix = R"({"type":"event","kind":")";

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

std::optional<EventKind> eventKindNamed(std::string_view name) {
    for (const auto& [kind, text] : kNames)
        if (name == text) return kind;
    return std::nullopt;
}

const char* nameOf(EventKind kind) {
    for (const auto& [each, text] : kNames)
        if (each == kind) return text;
    return "";
}

std::optional<EventFilter> EventFilter::parse(std::string_view list, std::string* unknown) {
    std::uint32_t mask = 0;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view name = trimmed(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (name.empty()) continue;
        const auto kind = eventKindNamed(name);
        if (!kind) {
            if (unknown) *unknown = std::string(name);
            return std::nullopt;
        }
        mask |= static_cast<std::uint32_t>(*kind);
    }
    return EventFilter(mask);
}

std::optional<EventKind> eventKindOfFrame(std::string_view frame) {
    if (frame.substr(0, kEventPrefix.size()) != kEventPrefix) return std::nullopt;
    frame.remove_prefix(kEventPrefix.size());
    const auto quote = frame.find('"');
    if (quote == std::string_view::npos) return std::nullopt;
    return eventKindNamed(frame.substr(0, quote));
}

}  // namespace agenthost::protocol
