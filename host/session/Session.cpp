#include "session/Session.h"

#include <Poco/Logger.h>
#include <Poco/String.h>
#include <Poco/UUIDGenerator.h>
#include <Poco/Util/Timer.h>

#include "util/CallbackTimerTask.h"

namespace agenthost::session {
namespace {

constexpr std::size_t kMaxStateBytes = 64 * 1024;
constexpr std::size_t kMaxHistoryResponseBytes = 1 << 20;

Poco::Logger& log() {
    return Poco::Logger::get("agenthost.session");
}

agenthost_str view(const std::string& s) {
    return {s.c_str(), s.size()};
}

// A plugin's error code as clients may rely on it: a short [a-z0-9_] word, else the generic one.
std::string errorCodeFrom(const char* code) {
    const std::string text = code;
    const bool wellFormed =
        !text.empty() && text.size() <= 64 &&
        text.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    return wellFormed ? text : protocol::error_code::kPluginError;
}

}  // namespace

// ---- PluginRequest: forwards the plugin's callbacks to its session, if it still exists.

PluginRequest::PluginRequest(std::weak_ptr<Session> session, std::uint64_t requestId,
                             std::string text, std::shared_ptr<const SessionIdentity> identity,
                             std::shared_ptr<const History> history, std::string state)
    : id(requestId),
      message(std::move(text)),
      session_(std::move(session)),
      identity_(std::move(identity)),
      history_(std::move(history)),
      state_(std::move(state)) {
    raw_.struct_size = sizeof raw_;
    raw_.request_id = id;
    raw_.route = view(identity_->route);
    raw_.session_id = view(identity_->sessionId);
    raw_.key_name = view(identity_->keyName);
    raw_.message = view(message);
    raw_.history = history_->data();
    raw_.history_count = history_->size();
    raw_.session_state = view(state_);
}

void PluginRequest::onText(std::string_view text) {
    if (auto session = session_.lock()) session->requestText(*this, text);
}

void PluginRequest::onUsage(std::uint64_t inputTokens, std::uint64_t outputTokens) {
    if (auto session = session_.lock()) session->requestUsage(*this, inputTokens, outputTokens);
}

void PluginRequest::onSessionState(std::string_view state) {
    if (auto session = session_.lock()) session->requestState(*this, state);
}

void PluginRequest::onFinish(const char* code, const char* text) {
    auto keepAlive = std::move(pluginReference);  // the plugin is done with this handle
    if (auto session = session_.lock()) session->requestFinished(*this, code, text);
}

// ---- Session

Session::Session(std::shared_ptr<net::Connection> connection,
                 std::shared_ptr<plugin::PluginInstance> instance, const Environment& environment)
    : connection_(std::move(connection)),
      route_(instance->route()),
      environment_(environment),
      queue_(std::make_shared<core::SerialQueue>(*environment.pool)),
      id_(Poco::UUIDGenerator::defaultGenerator().createRandom().toString()),
      instance_(std::move(instance)),
      runtime_(environment.runtime()) {
    instance_->connections.fetch_add(1);
}

Session::~Session() {
    instance_->connections.fetch_sub(1);
    // This may run on a plugin thread (the last reference can be a plugin callback's), and the
    // last reference to an instance destroys it, which joins the plugin's threads: so let go
    // of it on a worker thread instead.
    environment_.pool->post([instance = std::move(instance_)] {});
}

void Session::begin(const std::optional<std::string>& bearerKeyName) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (bearerKeyName) {
        acceptedLocked(*bearerKeyName);
        return;
    }
    connection_->setDeadline(net::Clock::now() +
                             std::chrono::seconds(runtime_->server.authTimeoutS));
}

void Session::acceptedLocked(const std::string& keyName) {
    authenticated_ = true;
    identity_ = std::make_shared<SessionIdentity>(SessionIdentity{route_, id_, keyName});
    connection_->clearDeadline();
    log().information("session " + id_ + " opened on /api/" + instance_->route() + "/ws by key " +
                      keyName + " from " + connection_->peer());
    connection_->sendText("authenticated");
    connection_->sendText(
        protocol::readyFrame(instance_->route(), id_, instance_->library().version()));
}

void Session::onText(std::string message) {
    // On the loop thread when the session is idle: a plugin's request_start must return
    // promptly (ABI), so this costs other connections microseconds and saves a hand-off.
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
        self->sendLocked(protocol::errorFrame(protocol::error_code::kUnsupportedFrame,
                                              "binary frames are not supported: send JSON text"));
    });
}

void Session::onDeadline() {
    queue_->post([self = shared_from_this()] {
        std::lock_guard<std::mutex> lock(self->mutex_);
        if (self->authenticated_ || self->closed_) return;
        log().information("authentication timeout for " + self->connection_->peer());
        self->closed_ = true;
        self->connection_->sendText("error:auth_timeout");
        self->connection_->close(ws::close_code::kPolicyViolation, "authentication timeout");
    });
}

void Session::onShutdown() {
    queue_->post([self = shared_from_this()] {
        self->cancelCurrent(protocol::error_code::kShuttingDown, "the server is shutting down");
        self->connection_->close(ws::close_code::kGoingAway, "server shutting down");
    });
}

void Session::closeForRestart() {
    queue_->post([self = shared_from_this()] {
        self->cancelCurrent(protocol::error_code::kPluginUnavailable,
                            "this route was removed from the server's configuration");
        self->connection_->close(ws::close_code::kServiceRestart, "route removed");
    });
}

void Session::onClosed() {
    if (environment_.closed) environment_.closed(this);
    queue_->post([self = shared_from_this()] {
        std::shared_ptr<PluginRequest> running;
        std::shared_ptr<plugin::PluginInstance> instance;
        bool authenticated = false;
        {
            std::lock_guard<std::mutex> lock(self->mutex_);
            authenticated = self->authenticated_;
            instance = self->instance_;
            self->closed_ = true;
            self->pending_.clear();
            self->paced_.clear();
            running = std::move(self->current_);
        }
        if (running) instance->cancel(running.get());
        if (authenticated) log().information("session " + self->id_ + " closed");
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
            enqueueMessage(std::move(frame.content));
            break;
        case protocol::ClientFrame::Kind::Cancel:
            cancelCurrent(nullptr, nullptr);
            break;
        case protocol::ClientFrame::Kind::Ping: {
            std::lock_guard<std::mutex> lock(mutex_);
            sendLocked(protocol::pongFrame());
            break;
        }
        case protocol::ClientFrame::Kind::Invalid: {
            std::lock_guard<std::mutex> lock(mutex_);
            sendLocked(protocol::errorFrame(protocol::error_code::kInvalidMessage, frame.content));
            break;
        }
    }
}

// With mutex_ held.
void Session::authenticate(const std::string& key) {
    const auto decision = runtime_->keys->check(Poco::trim(key), route_);
    switch (decision.verdict) {
        case auth::Verdict::Allowed:
            acceptedLocked(decision.keyName);
            return;
        case auth::Verdict::Forbidden:
            log().warning("key " + decision.keyName + " may not open route " + route_);
            closed_ = true;  // the session ends here; later frames are ignored
            connection_->sendText("error:forbidden");
            connection_->close(ws::close_code::kPolicyViolation, "forbidden");
            return;
        case auth::Verdict::InvalidKey:
            log().warning("invalid key from " + connection_->peer());
            closed_ = true;
            connection_->sendText("error:invalid_api_key");
            connection_->close(ws::close_code::kPolicyViolation, "invalid api key");
            return;
    }
}

void Session::enqueueMessage(std::string content) {
    bool startNow = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const std::size_t limit = runtime_->server.maxQueuedMessages;
        if (current_ && pending_.size() >= limit) {
            sendLocked(protocol::errorFrame(
                protocol::error_code::kBusy,
                "too many messages waiting (" + std::to_string(limit) + "): wait for a response"));
            return;
        }
        pending_.push_back(std::move(content));
        startNow = !current_;
    }
    if (startNow) startNext();
}

// On the session's queue.
void Session::startNext() {
    std::shared_ptr<PluginRequest> request;
    std::shared_ptr<plugin::PluginInstance> instance;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (closed_ || current_ || pending_.empty()) return;
        runtime_ = environment_.runtime();  // settings of the newest config apply from here
        moveToNewestInstanceLocked();
        instance = instance_;
        request = std::make_shared<PluginRequest>(
            weak_from_this(), environment_.requestIds->fetch_add(1) + 1,
            std::move(pending_.front()), identity_, history_, pluginState_);
        pending_.pop_front();
        request->pluginReference = request;
        current_ = request;
        chunker_ = util::Utf8Chunker(runtime_->streaming.chunkChars);
    }

    // Frames the plugin sends before start returns (an answer it had at hand) leave in one write.
    net::Connection::Batch batch(*connection_);
    if (!instance->start(request->raw(), request.get())) {
        request->pluginReference.reset();
        requestFinished(*request, protocol::error_code::kPluginError,
                        "the plugin refused the request");
    }
}

void Session::moveToNewestInstanceLocked() {
    auto newest = environment_.currentInstance ? environment_.currentInstance(route_) : nullptr;
    if (!newest || newest == instance_) return;  // unchanged, or the route is gone: keep ours
    newest->connections.fetch_add(1);
    instance_->connections.fetch_sub(1);
    environment_.pool->post([old = std::move(instance_)] {});  // see ~Session
    instance_ = std::move(newest);
}

void Session::cancelCurrent(const char* errorCode, const char* errorText) {
    std::shared_ptr<PluginRequest> victim;
    std::shared_ptr<plugin::PluginInstance> instance;
    bool more = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!current_) return;
        victim = std::move(current_);
        instance = instance_;
        paced_.clear();  // nothing more of the cancelled response reaches the client
        sendLocked(errorCode ? protocol::errorFrame(errorCode, errorText)
                             : protocol::cancelledFrame());
        more = !pending_.empty() && !closed_ && !errorCode;
    }
    instance->cancel(victim.get());
    if (more) queue_->post([self = shared_from_this()] { self->startNext(); });
}

void Session::requestText(PluginRequest& request, std::string_view text) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (&request != current_.get() || closed_) return;
    for (auto& chunk : chunker_.push(text)) {
        if (request.responseText.size() < kMaxHistoryResponseBytes)
            request.responseText.append(chunk);  // as sent: valid UTF-8
        sendPacedLocked(protocol::messageFrame(chunk));
    }
}

void Session::requestUsage(PluginRequest& request, std::uint64_t input, std::uint64_t output) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (&request == current_.get()) request.usage = protocol::Usage{input, output};
}

void Session::requestState(PluginRequest& request, std::string_view state) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (&request != current_.get()) return;
    if (state.size() > kMaxStateBytes) {
        log().warning("plugin " + route_ + " set a session state over 64 KiB; ignored");
        return;
    }
    request.newState = std::string(state);
}

void Session::requestFinished(PluginRequest& request, const char* code, const char* message) {
    bool more = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        // Finished: the plugin reads none of the request any more. Dropping the history
        // snapshot under the mutex lets commitTurnLocked() see for sure whether it is shared.
        request.releaseHistory();
        if (&request != current_.get() || closed_) return;  // cancelled: already answered
        if (auto rest = chunker_.flush(); !rest.empty()) {
            request.responseText.append(rest);
            sendPacedLocked(protocol::messageFrame(rest));
        }
        if (code == nullptr) {
            sendPacedLocked(protocol::completeFrame(request.usage));
            commitTurnLocked(request);
        } else {
            std::string text = message && *message ? message : "the plugin reported an error";
            sendPacedLocked(protocol::errorFrame(errorCodeFrom(code), util::repairUtf8(text)));
        }
        current_.reset();
        more = !pending_.empty();
    }
    if (more) queue_->post([self = shared_from_this()] { self->startNext(); });
}

void Session::commitTurnLocked(const PluginRequest& request) {
    if (request.newState) pluginState_ = *request.newState;
    const std::size_t maxTurns = runtime_->server.historyMaxTurns;
    if (maxTurns == 0) return;
    if (history_.use_count() > 1)  // a request still reads this one: write a new one
        history_ = std::make_shared<History>(*history_);
    history_->append("user", request.message);
    history_->append("assistant", request.responseText);
    history_->keepLast(2 * maxTurns);
}

void Session::sendLocked(const std::string& frame) {
    connection_->sendText(frame);
}

void Session::sendPacedLocked(std::string frame) {
    if (runtime_->streaming.chunkDelayMs == 0 && paced_.empty()) {
        connection_->sendText(frame);
        return;
    }
    paced_.push_back(std::move(frame));
    if (!pacingScheduled_) drainPacedLocked();
}

void Session::drainPacedLocked() {
    const auto delay = std::chrono::milliseconds(runtime_->streaming.chunkDelayMs);
    while (!paced_.empty()) {
        const auto now = net::Clock::now();
        if (now < nextPacedSend_) {
            pacingScheduled_ = true;
            const auto wait =
                std::chrono::duration_cast<std::chrono::microseconds>(nextPacedSend_ - now);
            Poco::Clock when;
            when += wait.count();
            std::weak_ptr<Session> weak = weak_from_this();
            environment_.timer->schedule(new util::CallbackTimerTask([weak] {
                                             if (auto self = weak.lock()) {
                                                 std::lock_guard<std::mutex> lock(self->mutex_);
                                                 self->pacingScheduled_ = false;
                                                 self->drainPacedLocked();
                                             }
                                         }),
                                         when);
            return;
        }
        connection_->sendText(paced_.front());
        paced_.pop_front();
        nextPacedSend_ = now + delay;
    }
}

}  // namespace agenthost::session
