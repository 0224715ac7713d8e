// The Anthropic Messages API event stream, interpreted: text and thinking deltas out as they
// arrive, plus the usage, stop reason and any error event.
//
// Grammar (https://docs.anthropic.com/en/api/messages-streaming): message_start (input usage),
// then per content block content_block_start / content_block_delta* / content_block_stop, with
// ping anywhere, then message_delta (stop_reason, cumulative usage) and message_stop. An `error`
// event may arrive after the HTTP 200. Unknown event types are ignored, as the API asks.
//
// Extended thinking (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking)
// comes as blocks of type "thinking" (thinking_delta pieces, then a signature_delta) before the
// text blocks, and as "redacted_thinking" blocks, whose reasoning is encrypted: they have no
// text, only the fact that they exist. Signatures and input_json deltas are not shown.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "SseParser.h"

namespace agenthost::claude {

struct TokenUsage {
    std::uint64_t inputTokens = 0;
    std::uint64_t outputTokens = 0;
};

// An `error` event, or a stream this code cannot read.
struct StreamError {
    std::string type;  // the API's error.type, e.g. "overloaded_error"; "malformed_stream" if ours
    std::string message;
};

// Where the stream's content goes, as it arrives.
struct StreamSinks {
    std::function<void(std::string_view)> text;      // answer text
    std::function<void(std::string_view)> thinking;  // reasoning text; blocks apart by "\n\n"
    std::function<void()> redactedThinking;          // a redacted_thinking block began
};

class MessageStream {
  public:
    using TextSink = std::function<void(std::string_view)>;

    explicit MessageStream(TextSink onText) { sinks_.text = std::move(onText); }
    explicit MessageStream(StreamSinks sinks) : sinks_(std::move(sinks)) {}

    // Consumes the next bytes of the response body. Bytes after message_stop or an error are
    // ignored.
    void feed(std::string_view bytes);

    bool finished() const { return finished_; }  // message_stop arrived
    const std::optional<StreamError>& error() const { return error_; }
    bool ended() const { return finished_ || error_.has_value(); }
    const TokenUsage& usage() const { return usage_; }
    const std::string& stopReason() const { return stopReason_; }
    bool sentText() const { return sentText_; }
    bool sentThinking() const { return sentThinking_; }

  private:
    void onEvent(const SseEvent& event);
    void interpret(const std::string& type, const std::string& data);
    void text(const std::string& piece);
    void thinking(const std::string& piece);

    StreamSinks sinks_;
    SseParser parser_;
    TokenUsage usage_;
    std::string stopReason_;
    std::optional<StreamError> error_;
    bool finished_ = false;
    bool sentText_ = false;
    bool sentThinking_ = false;
    bool thinkingBlockApart_ = false;  // a new thinking block began after earlier thinking
};

}  // namespace agenthost::claude
