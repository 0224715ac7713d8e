// The Anthropic Messages API event stream, interpreted: text and thinking deltas out as they
// arrive, plus the usage, stop reason and any error event.
//
// Grammar (https://docs.anthropic.com/en/api/messages-streaming): message_start (input usage),
// then per content block content_block_start / content_block_delta* / content_block_stop, with
// ping anywhere, then message_delta (stop_reason, cumulative usage) and message_stop. An `error`
// event may arrive after the HTTP 200. Unknown event, block and delta types are ignored, as the
// API asks (versioning: new types may appear at any time), and reported once to `unknown`.
//
// Extended thinking (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking)
// comes as blocks of type "thinking" (thinking_delta pieces, then a signature_delta) before the
// text blocks, and as "redacted_thinking" blocks, whose reasoning is encrypted: they have no
// text, only the fact that they exist. Signatures and input_json deltas are not shown; every
// block is kept whole in content(), for requests that must send it back.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "AssistantContent.h"
#include "SseParser.h"

namespace agenthost::claude {

struct TokenUsage {
    std::uint64_t inputTokens = 0;  // not read from the cache nor written to it
    std::uint64_t outputTokens = 0;
    bool hasCache = false;  // the API reported the prompt-cache counts
    std::uint64_t cacheCreationInputTokens = 0;
    std::uint64_t cacheReadInputTokens = 0;

    TokenUsage& operator+=(const TokenUsage& other);
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
    // A type this code does not know, e.g. "event foo", "content block bar", "delta baz".
    std::function<void(const std::string&)> unknown;
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
    const AssistantContent& content() const { return content_; }

  private:
    void onEvent(const SseEvent& event);
    void interpret(const std::string& type, const std::string& data);
    void text(const std::string& piece);
    void thinking(const std::string& piece);
    void blockStart(const Poco::JSON::Object::Ptr& root);
    void blockDelta(const Poco::JSON::Object::Ptr& root);
    void readUsage(const Poco::JSON::Object::Ptr& usage);
    void noteUnknown(const std::string& what);

    StreamSinks sinks_;
    SseParser parser_;
    AssistantContent content_;
    TokenUsage usage_;
    std::string stopReason_;
    std::optional<StreamError> error_;
    bool finished_ = false;
    bool sentText_ = false;
    bool sentThinking_ = false;
    bool thinkingBlockApart_ = false;  // a new thinking block began after earlier thinking
};

}  // namespace agenthost::claude
