// Reads the JSON-lines events of `codex exec --json` (one JSON object per line).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace codex_bridgehub {

// Something the agent did besides writing text, as an `event` frame for protocol 2 clients.
struct AgentEvent {
    std::string kind;         // command, file_change, tool_call, tool_result or status
    std::string content;      // one line a person reads
    std::string data = "{}";  // a JSON object
    // What a protocol 1 client was shown of this item as answer text (it never sees events),
    // e.g. "[ran: ls -la (exit 0)]"; empty when it was shown nothing.
    std::string protocol1Text;
};

struct CodexEvent {
    enum class Kind {
        Ignored,        // an event type we do not show (turn.started, plan items, ...)
        ThreadStarted,  // text: the thread id, to resume the conversation later
        Text,           // text: an answer of the agent
        Thinking,       // text: a reasoning summary
        Event,          // event: a command, file change, tool call, plan, ...
        TurnCompleted,  // inputTokens / outputTokens
        Failed,         // text: the error message (turn.failed or error)
    };
    Kind kind = Kind::Ignored;
    std::string text;
    AgentEvent event;
    std::uint64_t inputTokens = 0;
    std::uint64_t outputTokens = 0;
};

// Interprets one line. A line that is not a JSON object, or an event we do not know, is
// Ignored: newer Codex versions add event and item types freely.
CodexEvent parseCodexEvent(std::string_view line);

// Collects bytes into complete lines (without their "\n" or "\r\n").
class LineBuffer {
  public:
    template <class OnLine>
    void feed(std::string_view bytes, OnLine&& onLine) {
        buffer_.append(bytes);
        std::size_t start = 0;
        for (auto nl = buffer_.find('\n'); nl != std::string::npos;
             nl = buffer_.find('\n', start)) {
            std::string_view line(buffer_.data() + start, nl - start);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            onLine(line);
            start = nl + 1;
        }
        buffer_.erase(0, start);
    }
    // The unterminated last line, if any (the stream ended without a final newline).
    std::string takeRest() { return std::exchange(buffer_, std::string()); }

  private:
    std::string buffer_;
};

}  // namespace codex_bridgehub
