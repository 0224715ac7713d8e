// The kinds of `event` frames (see docs/protocol.md) and the set of them a protocol 2
// connection asked for with `events=` in its upgrade URL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agenthost::protocol {

// One bit per kind, so a connection's filter is a mask.
enum class EventKind : std::uint32_t {
    Thinking = 1u << 0,
    ToolCall = 1u << 1,
    ToolResult = 1u << 2,
    Command = 1u << 3,
    FileChange = 1u << 4,
    Status = 1u << 5,
    ApprovalRequest = 1u << 6,
};

// The kinds a connection receives.
class EventFilter {
  public:
    // Every kind: the default without `events=`.
    static EventFilter all() { return EventFilter(kAll); }
    static EventFilter none() { return EventFilter(0); }

    // `events=` as a comma list ("thinking,status"; spaces around names ignored, an empty list
    // admits no kind). Nullopt, with the offending name in *unknown, when a name is no kind.
    static std::optional<EventFilter> parse(std::string_view list, std::string* unknown = nullptr);

    bool admits(EventKind kind) const { return (mask_ & static_cast<std::uint32_t>(kind)) != 0; }

  private:
    static constexpr std::uint32_t kAll = (1u << 7) - 1;
    explicit EventFilter(std::uint32_t mask) : mask_(mask) {}
    std::uint32_t mask_;
};

// The kind named `name` as frames spell it, e.g. "tool_call".
std::optional<EventKind> eventKindNamed(std::string_view name);
const char* nameOf(EventKind kind);

// The kind of an event frame this host wrote (stored or live; it starts with
// {"type":"event","kind":"<kind>"), or nullopt for any other frame. Cheap: no JSON parse, so a
// replay can filter thousands of stored frames.
std::optional<EventKind> eventKindOfFrame(std::string_view frame);

}  // namespace agenthost::protocol
