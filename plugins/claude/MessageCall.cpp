#include "MessageCall.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

#include "AnthropicRequest.h"

namespace agenthost::claude {
namespace {

constexpr std::size_t kMaxErrorBodyBytes = 64 * 1024;
constexpr std::chrono::milliseconds kMaxConnectTimeout{10'000};

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

curl_slist* requestHeaders(const ClaudeConfig& config) {
    curl_slist* list = nullptr;
    for (const std::string& header :
         {std::string("content-type: application/json"), std::string("accept: text/event-stream"),
          "anthropic-version: " + config.anthropicVersion, "x-api-key: " + config.apiKey,
          std::string("user-agent: agenthost-claude/1.0"),
          std::string("Expect:")}) {  // no 100-continue round trip before large bodies
        curl_slist* next = curl_slist_append(list, header.c_str());
        if (next == nullptr) {
            curl_slist_free_all(list);
            throw std::runtime_error("out of memory for request headers");
        }
        list = next;
    }
    return list;
}

}  // namespace

MessageCall::MessageCall(CallEnvironment environment, Request request,
                         std::shared_ptr<Response> response,
                         std::function<void(MessageCall*)> onFinished)
    : env_(std::move(environment)),
      request_(std::move(request)),
      body_(buildMessagesBody(*env_.config, request_.history, request_.message)),
      requestId_(request_.id),
      response_(std::move(response)),
      onFinished_(std::move(onFinished)) {}

MessageCall::~MessageCall() {
    releaseEasy();
}

void MessageCall::begin() {
    if (!done_) startAttempt();
}

void MessageCall::cancel() {
    abort("cancelled", "The response was cancelled.");
}

void MessageCall::abort(const std::string& code, const std::string& message) {
    if (done_) {
        releaseEasy();  // a finished answer whose connection lingers
        return;
    }
    auto keepAlive = shared_from_this();
    releaseEasy();  // closes the connection at once: the API stops generating
    fail({code, message});
}

void MessageCall::startAttempt() {
    ++attempts_;
    status_ = 0;
    contentType_.clear();
    apiRequestId_.clear();
    retryAfterMs_.clear();
    retryAfterSeconds_.clear();
    shouldRetry_.reset();
    errorBody_.clear();
    curlError_[0] = '\0';
    streamFailure_.reset();
    continuePending_ = false;
    stream_.emplace(streamSinks());
    try {
        easy_ = newEasyHandle();
        lastByte_ = Clock::now();
        auto self = shared_from_this();
        env_.loop->attach(easy_, [self](CURLcode result) { self->attemptDone(result); });
    } catch (const std::exception& e) {
        releaseEasy();
        fail({"plugin_error",
              std::string("Cannot start the request to the Anthropic API: ") + e.what()});
        return;
    }
    env_.log.debug("request " + std::to_string(requestId_) + ": attempt " +
                   std::to_string(attempts_) + " to " + env_.config->messagesUrl());
    watchSilence(static_cast<unsigned>(attempts_), lastByte_ + env_.config->timeout);
}

StreamSinks MessageCall::streamSinks() {
    StreamSinks sinks;
    sinks.text = [this](std::string_view text) {
        if (!stopStatus_) emitted(response_->text(text));
    };
    sinks.thinking = [this](std::string_view thinking) {
        if (!stopStatus_) emitted(response_->thinking(thinking));
    };
    // Redacted reasoning has no text to show; one status says why the thinking has a gap.
    sinks.redactedThinking = [this] {
        if (stopStatus_ || std::exchange(redactionShown_, true)) return;
        emitted(response_->event("status",
                                 "Part of the model's reasoning was encrypted by the API's "
                                 "safety systems and is not shown.",
                                 R"({"redacted_thinking":true})"));
    };
    sinks.unknown = env_.onUnknown;
    return sinks;
}

void MessageCall::emitted(Emit status) {
    switch (status) {
        case Emit::Ok:
            textSent_ = true;
            break;
        case Emit::Cancelled:
        case Emit::ClientGone:
        case Emit::Stopping:
            stopStatus_ = status;
            break;
        case Emit::Invalid:      // a bug of ours; the answer goes on without the piece
        case Emit::Unsupported:  // a host that takes no events: nothing was shown
            break;
    }
}

// Called from onBody: finishes the response; the caller then returns 0 to drop the transfer.
void MessageCall::stopStreaming() {
    if (*stopStatus_ == Emit::Stopping)
        fail(shutDownFailure());
    else
        fail({"cancelled", "The response was cancelled."});
}

CURL* MessageCall::newEasyHandle() {
    headers_ = requestHeaders(*env_.config);
    CURL* easy = curl_easy_init();
    if (easy == nullptr) throw std::runtime_error("curl_easy_init failed");
    // Like the official SDKs, give up on connecting sooner than on a silent stream.
    const long connectTimeoutMs =
        static_cast<long>(std::min(env_.config->timeout, kMaxConnectTimeout).count());
    curl_easy_setopt(easy, CURLOPT_URL, env_.config->messagesUrl().c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body_.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &MessageCall::writeCallback);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &MessageCall::headerCallback);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, curlError_);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // many threads in this process
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connectTimeoutMs);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    if (!env_.config->caFile.empty()) {  // these certificates only, not the default store too
        curl_easy_setopt(easy, CURLOPT_CAINFO, env_.config->caFile.c_str());
        curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
    }
    return easy;
}

void MessageCall::releaseEasy() {
    if (easy_ != nullptr) {
        if (silenceTimer_) env_.loop->cancel(*std::exchange(silenceTimer_, std::nullopt));
        env_.loop->detach(easy_);
        curl_easy_cleanup(easy_);
        easy_ = nullptr;
    }
    curl_slist_free_all(headers_);
    headers_ = nullptr;
}

void MessageCall::attemptDone(CURLcode result) {
    auto keepAlive = shared_from_this();
    if (easy_ != nullptr && status_ == 0)
        curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status_);
    releaseEasy();
    if (done_) return;
    if (continuePending_) {  // the paused turn's stream ended with message_stop
        continueTurn();
        return;
    }
    if (streamFailure_) {  // an error event; only an overloaded API is worth another attempt
        const bool overloaded = stream_->error() && stream_->error()->type == "overloaded_error";
        retryOrFail(*streamFailure_, overloaded, {});
        return;
    }
    if (result == CURLE_ABORTED_BY_CALLBACK) {  // the loop is shutting down
        fail({"plugin_unavailable", "The claude plugin was shut down. Send the message again."});
        return;
    }
    if (result != CURLE_OK) {
        retryOrFail(transportFailure(*env_.config, result, curlError_),
                    shouldRetryTransport(result), {});
        return;
    }
    if (env_.onHttpStatus) env_.onHttpStatus(status_);
    if (status_ != 200) {
        RetryHints hints{parseRetryAfter(retryAfterMs_, retryAfterSeconds_), shouldRetry_};
        retryOrFail(httpFailure(*env_.config, status_, errorBody_, apiRequestId_),
                    shouldRetryStatus(status_, hints), hints);
        return;
    }
    if (lowercase(contentType_).rfind("text/event-stream", 0) != 0) {
        fail(notAStreamFailure(*env_.config, contentType_));
        return;
    }
    retryOrFail(truncatedFailure(apiRequestId_), true, {});
}

void MessageCall::retryOrFail(Failure failure, bool retryable, const RetryHints& hints) {
    const bool mayRetry = retryable && !textSent_ && attempts_ <= env_.config->maxRetries;
    if (!mayRetry) {
        noteAttempts(failure, attempts_);
        fail(failure);
        return;
    }
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const auto delay = retryDelay(attempts_ - 1, hints, uniform(*env_.random));
    env_.log.info("request " + std::to_string(requestId_) + ": attempt " +
                  std::to_string(attempts_) + " failed (" + failure.code + "), retrying in " +
                  std::to_string(delay.count()) + " ms");
    std::weak_ptr<MessageCall> weak = shared_from_this();
    env_.loop->schedule(Clock::now() + delay, [weak] {
        if (auto self = weak.lock(); self && !self->done_) self->startAttempt();
    });
}

// Fails the attempt when the API sends nothing for `timeout`, checking again after each read.
void MessageCall::watchSilence(unsigned attempt, Clock::time_point when) {
    std::weak_ptr<MessageCall> weak = shared_from_this();
    silenceTimer_ = env_.loop->schedule(when, [weak, attempt] {
        auto self = weak.lock();
        if (!self || self->easy_ == nullptr || static_cast<unsigned>(self->attempts_) != attempt)
            return;
        const auto deadline = self->lastByte_ + self->env_.config->timeout;
        if (Clock::now() < deadline) {
            self->watchSilence(attempt, deadline);
            return;
        }
        self->releaseEasy();
        if (!self->done_) self->retryOrFail(timeoutFailure(*self->env_.config), true, {});
    });
}

// message_stop arrived: the answer is complete, or the API paused it and it goes on.
void MessageCall::streamEnded() {
    if (env_.onHttpStatus) env_.onHttpStatus(status_);
    if (mayContinue())
        continuePending_ = true;  // once curl is done with this transfer (attemptDone)
    else
        succeed();
}

bool MessageCall::mayContinue() const {
    return stream_->stopReason() == "pause_turn" && continuations_ < env_.config->maxContinuations;
}

// Asks the API to go on with the paused turn: the same request, with the assistant's content
// so far as the last message. The client sees one answer.
void MessageCall::continueTurn() {
    ++continuations_;
    earlierContent_.append(stream_->content());
    earlierUsage_ += stream_->usage();
    env_.log.debug("request " + std::to_string(requestId_) + ": the API paused the turn; " +
                   "continuation " + std::to_string(continuations_));
    try {
        body_ = buildMessagesBody(*env_.config, request_.history, request_.message,
                                  earlierContent_.blocks());
    } catch (const std::exception& e) {
        fail({"plugin_error", std::string("Cannot continue the paused answer: ") + e.what()});
        return;
    }
    startAttempt();
}

void MessageCall::succeed() {
    if (done_) return;
    TokenUsage usage = earlierUsage_;
    usage += stream_->usage();
    response_->usage(usage.inputTokens, usage.outputTokens);
    if (usage.hasCache)
        response_->cacheUsage(usage.cacheCreationInputTokens, usage.cacheReadInputTokens);
    AssistantContent content = earlierContent_;
    content.append(stream_->content());
    if (!content.onlyText()) response_->turnData(content.json());
    const std::string& reason = stream_->stopReason();
    if (!reason.empty()) {
        explainStopReason(reason);
        response_->stopReason(reason);
    }
    done_ = true;
    response_->complete();
    finished();
}

// A sentence for the stop reasons a person should know about (a `status` event for protocol 2
// clients; the complete frame's stop_reason says it to everyone).
void MessageCall::explainStopReason(const std::string& reason) {
    std::string sentence;
    if (reason == "max_tokens")
        sentence = "The answer was cut off: it reached the " +
                   std::to_string(env_.config->maxTokens) +
                   " tokens that max_tokens allows. Ask to go on, or raise max_tokens in " +
                   env_.config->section() + ".";
    else if (reason == "model_context_window_exceeded")
        sentence =
            "The answer was cut off: the conversation filled the model's context window. "
            "Start a new conversation to go on.";
    else if (reason == "refusal")
        sentence = "Claude declined to answer this request.";
    else if (reason == "pause_turn")
        sentence = "The model paused its turn " + std::to_string(continuations_ + 1) +
                   " times, more than max_continuations (" +
                   std::to_string(env_.config->maxContinuations) +
                   ") lets it go on. Send a message to continue.";
    if (sentence.empty()) return;
    response_->event("status", sentence, R"({"stop_reason":")" + reason + R"("})");
}

void MessageCall::fail(const Failure& failure) {
    if (done_) return;
    done_ = true;
    if (failure.code != "cancelled")
        env_.log.warning("request " + std::to_string(requestId_) + " failed: " + failure.code +
                         ": " + failure.message);
    response_->fail(failure.code, failure.message);
    finished();
}

void MessageCall::finished() {
    if (onFinished_) onFinished_(this);
}

// Runs inside curl_multi_perform: it may answer the client, but must not detach the handle.
std::size_t MessageCall::onBody(std::string_view bytes) {
    lastByte_ = Clock::now();
    if (done_) return bytes.size();  // after message_stop: let the connection end cleanly
    if (status_ == 0) curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status_);
    if (status_ != 200 || lowercase(contentType_).rfind("text/event-stream", 0) != 0) {
        if (errorBody_.size() < kMaxErrorBodyBytes) errorBody_.append(bytes);
        return bytes.size();
    }
    stream_->feed(bytes);
    if (stopStatus_) {
        stopStreaming();
        return 0;  // CURLE_WRITE_ERROR: closes the connection
    }
    if (const auto& error = stream_->error()) {
        streamFailure_ = streamFailure(*error, apiRequestId_);  // retried or failed in attemptDone
        return 0;  // CURLE_WRITE_ERROR: drop the connection, nothing more is wanted from it
    }
    if (stream_->finished() && !continuePending_) streamEnded();
    return bytes.size();
}

void MessageCall::onHeaderLine(std::string_view line) {
    lastByte_ = Clock::now();
    line = trimmed(line);
    if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a 100 Continue, say)
        contentType_.clear();
        apiRequestId_.clear();
        retryAfterMs_.clear();
        retryAfterSeconds_.clear();
        shouldRetry_.reset();
        return;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const std::string name = lowercase(trimmed(line.substr(0, colon)));
    const std::string value(trimmed(line.substr(colon + 1)));
    if (name == "content-type")
        contentType_ = value;
    else if (name == "request-id")
        apiRequestId_ = value;
    else if (name == "retry-after-ms")
        retryAfterMs_ = value;
    else if (name == "retry-after")
        retryAfterSeconds_ = value;
    else if (name == "x-should-retry") {
        if (value == "true") shouldRetry_ = true;
        if (value == "false") shouldRetry_ = false;
    }
}

std::size_t MessageCall::writeCallback(char* data, std::size_t size, std::size_t n, void* self) {
    return static_cast<MessageCall*>(self)->onBody(std::string_view(data, size * n));
}

std::size_t MessageCall::headerCallback(char* data, std::size_t size, std::size_t n, void* self) {
    static_cast<MessageCall*>(self)->onHeaderLine(std::string_view(data, size * n));
    return size * n;
}

}  // namespace agenthost::claude
