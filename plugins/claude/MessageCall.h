// One client message answered by a streaming Messages API request, with its retries, and
// with continuation requests when the API pauses the turn (stop_reason pause_turn).
//
// Lives on the CurlMultiLoop thread: every member function runs there, so it needs no locks.
// Text and thinking deltas go to the client as curl hands over each read. Retries happen only
// while the client has seen nothing. When the host answers an emit with cancelled, client gone
// or stopping, the stream is dropped at once: nobody wants the rest, and the API stops
// generating (and charging) when the connection closes. Whatever happens, the Response is
// finished exactly once. When it completes, the answer's content blocks are kept with the turn
// (Response::turnData) if they hold more than text, for later requests to send back.
#pragma once

#include <curl/curl.h>

#include <agenthost/plugin.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "ApiErrors.h"
#include "ClaudeConfig.h"
#include "CurlMultiLoop.h"
#include "MessageStream.h"
#include "RetryPolicy.h"

namespace agenthost::claude {

// What a call shares with its plugin instance (all used on the loop thread only).
struct CallEnvironment {
    CurlMultiLoop* loop = nullptr;
    std::shared_ptr<const ClaudeConfig> config;
    Logger log;
    std::mt19937* random = nullptr;
    std::function<void(long status)> onHttpStatus;  // lets the plugin's health see a 401
    // A stream event, block or delta type this code does not know (the plugin logs it once).
    std::function<void(const std::string&)> onUnknown;
};

class MessageCall : public std::enable_shared_from_this<MessageCall> {
  public:
    // `request`'s history views stay valid until `response` is finished (see agenthost::Turn).
    MessageCall(CallEnvironment environment, Request request, std::shared_ptr<Response> response,
                std::function<void(MessageCall*)> onFinished);
    ~MessageCall();
    MessageCall(const MessageCall&) = delete;
    MessageCall& operator=(const MessageCall&) = delete;

    void begin();   // first attempt
    void cancel();  // the client cancelled or went away
    void abort(const std::string& code, const std::string& message);  // shutdown

  private:
    using Clock = CurlMultiLoop::Clock;

    void startAttempt();
    CURL* newEasyHandle();
    void releaseEasy();
    void attemptDone(CURLcode result);
    void retryOrFail(Failure failure, bool retryable, const RetryHints& hints);
    void watchSilence(unsigned attempt, Clock::time_point when);
    void streamEnded();
    bool mayContinue() const;
    void continueTurn();
    void succeed();
    void explainStopReason(const std::string& reason);
    void fail(const Failure& failure);
    void finished();
    StreamSinks streamSinks();
    void emitted(Emit status);
    void stopStreaming();

    std::size_t onBody(std::string_view bytes);
    void onHeaderLine(std::string_view line);
    static std::size_t writeCallback(char* data, std::size_t size, std::size_t n, void* self);
    static std::size_t headerCallback(char* data, std::size_t size, std::size_t n, void* self);

    CallEnvironment env_;
    const Request request_;
    std::string body_;  // the current request's; a continuation has its own
    const std::uint64_t requestId_;
    std::shared_ptr<Response> response_;
    std::function<void(MessageCall*)> onFinished_;

    bool done_ = false;               // the Response is finished; nothing more reaches the client
    bool textSent_ = false;           // from here on a retry would repeat text: never retry
    bool redactionShown_ = false;     // the status about redacted thinking went out
    std::optional<Emit> stopStatus_;  // an emit said nobody wants more: drop the stream
    int attempts_ = 0;
    int continuations_ = 0;
    AssistantContent earlierContent_;  // what paused responses produced before this one
    TokenUsage earlierUsage_;          // and the tokens they took
    // Decided while curl delivers the body, acted on when the transfer is over (a handle must
    // not be detached inside its own callback): a retryable error event, or a paused turn.
    std::optional<Failure> streamFailure_;
    bool continuePending_ = false;

    // The current attempt.
    CURL* easy_ = nullptr;
    curl_slist* headers_ = nullptr;
    // The attempt's silence watch: cancelled with the attempt, since a pending timer keeps this
    // call's memory for up to timeout_s after it finished.
    std::optional<CurlMultiLoop::TimerId> silenceTimer_;
    char curlError_[CURL_ERROR_SIZE] = {};
    long status_ = 0;
    std::string contentType_;
    std::string apiRequestId_;
    std::string retryAfterMs_, retryAfterSeconds_;
    std::optional<bool> shouldRetry_;
    std::string errorBody_;
    std::optional<MessageStream> stream_;
    Clock::time_point lastByte_;
};

}  // namespace agenthost::claude
