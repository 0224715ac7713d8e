#include "session/Session.h"

#include <Poco/Logger.h>
#include <Poco/String.h>
#include <Poco/UUIDGenerator.h>

#include "conversation/ConversationId.h"
#include "limits/KeyLimits.h"
#include "plugin/InstanceReaper.h"

namespace agenthost::session {
namespace {

Poco::Logger& log() {
    return Poco::Logger::get("agenthost.session");
}

}  // namespace

Session::Session(std::shared_ptr<net::Connection> connection,
                 std::shared_ptr<plugin::PluginInstance> instance, const Environment& environment,
                 UpgradeOptions options)
    : connection_(std::move(connection)),
      route_(instance->route()),
      environment_(environment),
      queue_(std::make_shared<core::SerialQueue>(*environment.pool)),
      id_(Poco::UUIDGenerator::defaultGenerator().createRandom().toString()),
      options_(std::move(options)),
      routeMetrics_(environment.metrics ? &environment.metrics->route(route_) : nullptr),
      instance_(std::move(instance)),
      protocol_(options_.protocol) {
    instance_->connections.fetch_add(1);
    if (routeMetrics_) {
        routeMetrics_->opened.fetch_add(1, std::memory_order_relaxed);
        routeMetrics_->unauthenticated.fetch_add(1, std::memory_order_relaxed);
    }
}

Session::~Session() {
    releaseConnectionSlotLocked();  // the last reference: nobody else holds mutex_
    instance_->connections.fetch_sub(1);
    if (routeMetrics_)
        (authenticated_ ? routeMetrics_->authenticated : routeMetrics_->unauthenticated)
            .fetch_sub(1, std::memory_order_relaxed);
    // The last reference to an instance destroys it, which joins the plugin's threads: the
    // reaper lets go of it, never whichever thread drops the session.
    environment_.reaper->release(std::move(instance_));
}

void Session::begin(const std::optional<std::string>& bearerKeyName) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (bearerKeyName) {
        acceptedLocked(*bearerKeyName);
        return;
    }
    connection_->setDeadline(net::Clock::now() +
                             std::chrono::seconds(environment_.runtime()->server.authTimeoutS));
}

void Session::acceptedLocked(const std::string& keyName) {
    if (environment_.limits) {
        if (auto refusal = environment_.limits->openConnection(keyName)) {
            // The key frame's answer as the app reads it, then the details (protocol.md).
            log().information("session " + id_ + " of key " + keyName +
                              " refused: " + refusal->message);
            closed_ = true;
            connection_->clearDeadline();
            connection_->sendText(std::string("error:") + refusal->code);
            connection_->sendText(
                protocol::limitErrorFrame(refusal->code, refusal->message, refusal->retryAfterS));
            connection_->close(ws::close_code::kTryAgainLater, "too many connections for this key");
            return;
        }
        holdsConnectionSlot_ = true;
    }
    authenticated_ = true;
    keyName_ = keyName;
    if (routeMetrics_) {
        routeMetrics_->unauthenticated.fetch_sub(1, std::memory_order_relaxed);
        routeMetrics_->authenticated.fetch_add(1, std::memory_order_relaxed);
        keyMetrics_ = &environment_.metrics->key(route_, keyName_);
    }
    connection_->clearDeadline();
    connection_->keyAccepted();
    log().information("session " + id_ + " opened on /api/" + route_ + "/ws by key " + keyName +
                      " from " + connection_->peer());
    connection_->sendText("authenticated");
    if (options_.conversationId || !options_.invalid.empty() || options_.afterSeq) {
        // A resume may read the store: not on the loop thread.
        queue_->post([self = shared_from_this()] { self->attachFromUrl(); });
        return;
    }
    attachNewLocked("");
}

std::string Session::readyFrameLocked(const std::string& conversationId,
                                      std::int64_t lastSeq) const {
    return protocol::readyFrame(
        {route_, id_, instance_->pluginVersion(), protocol_, conversationId, lastSeq});
}

// On a new conversation; `greetingError` (an error frame, or "") follows the ready frame.
void Session::attachNewLocked(const std::string& greetingError) {
    conversation_ = environment_.hub->create(keyName_, instance_);
    attachment_ = std::make_shared<conversation::Attachment>(connection_, protocol_,
                                                             weak_from_this(), options_.events);
    const std::string id = conversation_->id();
    conversation_->attach(attachment_, std::nullopt, [&](std::int64_t lastSeq, bool) {
        return readyFrameLocked(id, lastSeq);
    });
    if (!greetingError.empty()) connection_->sendText(greetingError);
}

// On the session's queue: the resume asked for in the upgrade URL.
void Session::attachFromUrl() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    std::string refusal;
    if (!options_.invalid.empty()) {
        refusal = protocol::errorFrame(protocol::error_code::kInvalidMessage, options_.invalid);
    } else if (!options_.conversationId) {
        refusal = protocol::errorFrame(protocol::error_code::kInvalidMessage,
                                       "after_seq needs a conversation to resume");
    } else if (!conversation::isWellFormedId(*options_.conversationId)) {
        refusal = protocol::errorFrame(protocol::error_code::kInvalidMessage,
                                       "conversation is not a well-formed conversation id");
    } else if (auto found = environment_.hub->open(*options_.conversationId, keyName_, instance_)) {
        auto attachment = std::make_shared<conversation::Attachment>(
            connection_, protocol_, weak_from_this(), options_.events);
        const bool attached = found->attach(
            attachment, options_.afterSeq.value_or(0),
            [&](std::int64_t lastSeq, bool) { return readyFrameLocked(found->id(), lastSeq); });
        if (attached) {
            conversation_ = std::move(found);
            attachment_ = std::move(attachment);
            return;
        }
        refusal =
            protocol::errorFrame(protocol::error_code::kInvalidMessage,
                                 "after_seq must be between 0 and the conversation's last_seq");
    } else {
        refusal = protocol::errorFrame(protocol::error_code::kConversationNotFound,
                                       "no such conversation");
    }
    attachNewLocked(refusal);
}

// On the session's queue: a resume frame. A refused one changes nothing.
void Session::resume(const std::string& conversationId, std::int64_t afterSeq) {
    std::shared_ptr<conversation::Conversation> previous;
    std::shared_ptr<conversation::Attachment> previousAttachment;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (closed_ || !conversation_) return;
        auto found = environment_.hub->open(conversationId, keyName_, instance_);
        if (!found) {
            connection_->sendText(protocol::errorFrame(protocol::error_code::kConversationNotFound,
                                                       "no such conversation"));
            return;
        }
        auto attachment = std::make_shared<conversation::Attachment>(
            connection_, 2, weak_from_this(), options_.events);
        const bool same = found == conversation_;
        const bool attached = found->attach(
            attachment, afterSeq,
            [&](std::int64_t lastSeq, bool running) {
                return protocol::resumedFrame(found->id(), lastSeq, running);
            },
            same ? attachment_.get() : nullptr);
        if (!attached) {
            connection_->sendText(protocol::errorFrame(
                protocol::error_code::kInvalidMessage,
                "after_seq must be between 0 and the conversation's last_seq"));
            return;
        }
        protocol_ = 2;
        if (!same) {
            previous = std::move(conversation_);
            previousAttachment = std::move(attachment_);
        }
        conversation_ = std::move(found);
        attachment_ = std::move(attachment);
    }
    if (previous) previous->detach(*previousAttachment);
}

void Session::conversationDeleted() {
    queue_->post([self = shared_from_this()] {
        std::lock_guard<std::mutex> lock(self->mutex_);
        if (self->closed_) return;
        self->connection_->sendText(protocol::errorFrame(
            protocol::error_code::kConversationDeleted,
            "this conversation was deleted; you are on a new one (see the ready frame)"));
        self->attachNewLocked("");
    });
}

void Session::onText(std::string message) {
    // On the loop thread when the session is idle, which saves a hand-off: a plugin's
    // request_start runs here only if the plugin declared it non-blocking (Conversation::
    // startNext moves it to a worker otherwise).
    queue_->runOrPost(
        [self = shared_from_this(), message = std::move(message)] { self->handleFrame(message); });
}

void Session::onBinary() {
    queue_->post([self = shared_from_this()] {
        std::lock_guard<std::mutex> lock(self->mutex_);
        if (!self->authenticated_) {
            self->closed_ = true;
            self->connection_->sendText("error:invalid_api_key");
            self->connection_->close(ws::close_code::kPolicyViolation, "invalid api key");
            return;
        }
        self->connection_->sendText(
            protocol::errorFrame(protocol::error_code::kUnsupportedFrame,
                                 "binary frames are not supported: send JSON text"));
    });
}

void Session::onDeadline() {
    queue_->post([self = shared_from_this()] {
        std::lock_guard<std::mutex> lock(self->mutex_);
        if (self->authenticated_ || self->closed_) return;
        log().information("authentication timeout for " + self->connection_->peer());
        if (self->routeMetrics_) self->routeMetrics_->authTimeout.fetch_add(1);
        self->closed_ = true;
        self->connection_->sendText("error:auth_timeout");
        self->connection_->close(ws::close_code::kPolicyViolation, "authentication timeout");
    });
}

void Session::onShutdown() {
    // The host has already ended the running turns with their error frames.
    queue_->post([self = shared_from_this()] {
        self->connection_->close(ws::close_code::kGoingAway, "server shutting down");
    });
}

void Session::closeForRestart() {
    queue_->post([self = shared_from_this()] {
        std::shared_ptr<conversation::Conversation> conversation;
        {
            std::lock_guard<std::mutex> lock(self->mutex_);
            conversation = self->conversation_;
        }
        if (conversation)
            conversation->end(protocol::error_code::kPluginUnavailable,
                              "this route was removed from the server's configuration", false,
                              AGENTHOST_CANCEL_DRAIN);
        self->connection_->close(ws::close_code::kServiceRestart, "route removed");
    });
}

void Session::onClosed() {
    if (environment_.closed) environment_.closed(this);
    queue_->post([self = shared_from_this()] {
        std::shared_ptr<conversation::Conversation> conversation;
        std::shared_ptr<conversation::Attachment> attachment;
        {
            std::lock_guard<std::mutex> lock(self->mutex_);
            self->closed_ = true;
            self->releaseConnectionSlotLocked();
            conversation = std::move(self->conversation_);
            attachment = std::move(self->attachment_);
        }
        if (conversation) {
            conversation->detach(*attachment);
            log().information("session " + self->id_ + " closed");
        }
    });
}

void Session::handleFrame(const std::string& text) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (closed_) return;
        if (!authenticated_) {
            authenticate(text);
            return;
        }
    }
    auto frame = protocol::parseClientFrame(text);
    switch (frame.kind) {
        case protocol::ClientFrame::Kind::Message:
            submit(std::move(frame.content));
            break;
        case protocol::ClientFrame::Kind::Cancel: {
            std::shared_ptr<conversation::Conversation> conversation;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                conversation = conversation_;
            }
            if (conversation) conversation->cancel();
            break;
        }
        case protocol::ClientFrame::Kind::Ping:
            connection_->sendText(protocol::pongFrame());
            break;
        case protocol::ClientFrame::Kind::Approve:
            approve(frame.content, frame.accept);
            break;
        case protocol::ClientFrame::Kind::Resume:
            // It may read the store: never on the loop thread.
            queue_->post([self = shared_from_this(), id = std::move(frame.content),
                          after = frame.afterSeq] { self->resume(id, after); });
            break;
        case protocol::ClientFrame::Kind::Invalid:
            sendError(protocol::error_code::kInvalidMessage, frame.content);
            break;
    }
}

// Any connection on the conversation may answer; the decision reaches the plugin from here.
void Session::approve(const std::string& approvalId, bool accept) {
    std::shared_ptr<conversation::Conversation> conversation;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        conversation = conversation_;
    }
    if (conversation && conversation->approve(approvalId, accept)) return;
    sendError(protocol::error_code::kApprovalNotFound,
              "no open approval request has this approval_id: it was answered, timed out, or "
              "its turn ended");
}

void Session::submit(std::string content) {
    std::shared_ptr<conversation::Conversation> conversation;
    std::shared_ptr<conversation::Attachment> attachment;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        refreshInstanceLocked();
        conversation = conversation_;
        attachment = attachment_;
    }
    if (!conversation) return;  // still being attached: cannot happen on the session's queue
    limits::Refusal refusal;
    switch (conversation->submit(*attachment, std::move(content), &refusal)) {
        case conversation::Conversation::Submitted::Accepted:
            break;
        case conversation::Conversation::Submitted::Busy: {
            const auto limit = environment_.runtime()->server.maxQueuedMessages;
            if (keyMetrics_) keyMetrics_->error(protocol::error_code::kBusy);
            sendError(
                protocol::error_code::kBusy,
                "too many messages waiting (" + std::to_string(limit) + "): wait for a response");
            break;
        }
        case conversation::Conversation::Submitted::Gone:
            sendError(protocol::error_code::kConversationDeleted,
                      "this conversation was deleted or the server is stopping");
            break;
        case conversation::Conversation::Submitted::Limited:  // rate_limited or quota_exceeded
            if (keyMetrics_) keyMetrics_->rateLimited.fetch_add(1, std::memory_order_relaxed);
            connection_->sendText(
                protocol::limitErrorFrame(refusal.code, refusal.message, refusal.retryAfterS));
            break;
    }
}

void Session::releaseConnectionSlotLocked() {
    if (!holdsConnectionSlot_) return;
    holdsConnectionSlot_ = false;
    environment_.limits->closeConnection(keyName_);
}

void Session::refreshInstanceLocked() {
    auto newest = environment_.currentInstance ? environment_.currentInstance(route_) : nullptr;
    if (!newest || newest == instance_) return;  // unchanged, or the route is gone: keep ours
    newest->connections.fetch_add(1);
    instance_->connections.fetch_sub(1);
    environment_.reaper->release(std::move(instance_));  // see ~Session
    instance_ = std::move(newest);
}

void Session::sendError(const char* code, const std::string& message) {
    connection_->sendText(protocol::errorFrame(code, message));
}

// With mutex_ held.
void Session::authenticate(const std::string& key) {
    // An address in its brute-force cool-down gets no key checked (auth/AuthThrottle.h).
    if (const int wait = environment_.throttle->retryAfterS(connection_->peerHost())) {
        closed_ = true;
        connection_->sendText("error:rate_limited");
        connection_->close(
            ws::close_code::kPolicyViolation,
            "too many failed authentications: retry in " + std::to_string(wait) + " s");
        return;
    }
    const auto runtime = environment_.runtime();
    const auto decision = runtime->keys->check(Poco::trim(key), route_);
    switch (decision.verdict) {
        case auth::Verdict::Allowed:
            acceptedLocked(decision.keyName);
            return;
        case auth::Verdict::Forbidden:
            log().warning("key " + decision.keyName + " may not open route " + route_);
            if (routeMetrics_) routeMetrics_->forbidden.fetch_add(1);
            closed_ = true;  // the session ends here; later frames are ignored
            connection_->sendText("error:forbidden");
            connection_->close(ws::close_code::kPolicyViolation, "forbidden");
            return;
        case auth::Verdict::InvalidKey:
            log().warning("invalid key from " + connection_->peer());
            environment_.throttle->failed(connection_->peerHost(),
                                          auth::ThrottleLimits::of(runtime->server));
            if (routeMetrics_) routeMetrics_->invalidKey.fetch_add(1);
            closed_ = true;
            connection_->sendText("error:invalid_api_key");
            connection_->close(ws::close_code::kPolicyViolation, "invalid api key");
            return;
    }
}

}  // namespace agenthost::session
