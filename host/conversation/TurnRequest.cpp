#include "conversation/TurnRequest.h"

#include <Poco/Logger.h>

#include "conversation/Conversation.h"
#include "plugin/InstanceReaper.h"
#include "util/Utf8.h"

namespace agenthost::conversation {
namespace {

agenthost_str view(const std::string& s) {
    return {s.c_str(), s.size()};
}

}  // namespace

TurnRequest::TurnRequest(std::weak_ptr<Conversation> conversation, std::uint64_t requestId,
                         int turnNumber, std::string text,
                         std::shared_ptr<const RequestIdentity> identity,
                         std::shared_ptr<const History> history, std::string state)
    : id(requestId),
      turn(turnNumber),
      message(std::move(text)),
      conversation_(std::move(conversation)),
      identity_(std::move(identity)),
      history_(std::move(history)),
      state_(std::move(state)) {
    raw_.struct_size = sizeof raw_;
    raw_.request_id = id;
    raw_.route = view(identity_->route);
    raw_.conversation_id = view(identity_->conversationId);
    raw_.turn = static_cast<std::uint32_t>(turn);
    raw_.key_name = view(identity_->keyName);
    raw_.message = view(message);
    raw_.history = history_->data();
    raw_.history_count = history_->size();
    raw_.history_turn_data = history_->turnData();
    raw_.session_state = view(state_);
}

// ---- Host -> plugin

plugin::PluginInstance::Started TurnRequest::start(
    const std::shared_ptr<plugin::PluginInstance>& instance, plugin::InstanceReaper& reaper) {
    {
        std::lock_guard<std::mutex> lock(lifecycle_);
        // Weak: a request the plugin never finishes must not keep its instance from being
        // destroyed (instance_destroy is what makes the plugin finish it).
        instance_ = instance;
        reaper_ = &reaper;
        if (heldCancel_) {  // ended before it started: the plugin never sees it
            startReturned_ = finished_ = released_ = true;
            inFlight_ = 0;
            return {};
        }
        self_ = shared_from_this();
    }
    auto started = instance->start(raw_, this);
    std::optional<std::uint32_t> cancel;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> decisions;
    std::shared_ptr<TurnRequest> keep;  // let go of last, after the lock
    {
        std::lock_guard<std::mutex> lock(lifecycle_);
        startReturned_ = true;
        if (!started.accepted) {  // no finish, no release: the plugin has no context for it
            finished_ = released_ = true;
            inFlight_ = 0;
            keep = std::move(self_);
            return started;
        }
        context_ = started.context;
        if (!finished_) {
            cancel = heldCancel_;
            decisions = std::move(heldDecisions_);
            inFlight_ += static_cast<int>(decisions.size()) + (cancel ? 1 : 0);
        }
    }
    // request_start's own count goes last, so nothing is released between these calls.
    for (const auto& [cookie, decision] : decisions) {
        instance->approvalDecided(started.context, cookie, decision);
        leaveCall(instance);
    }
    if (cancel) {
        instance->cancel(started.context, *cancel);
        leaveCall(instance);
    }
    leaveCall(instance);
    return started;
}

void TurnRequest::cancel(std::uint32_t reason) {
    ended(reason);
    Call call;
    {
        std::lock_guard<std::mutex> lock(lifecycle_);
        if (finished_ || released_) return;  // nothing left to stop
        if (!startReturned_) {
            if (!heldCancel_) heldCancel_ = reason;
            return;
        }
        call = enterCallLocked();
    }
    if (!call.instance) return;
    call.instance->cancel(call.context, reason);
    endCall(std::move(call));
}

void TurnRequest::approvalDecided(std::uint64_t cookie, std::uint32_t decision) {
    Call call;
    {
        std::lock_guard<std::mutex> lock(lifecycle_);
        if (finished_ || released_) return;
        if (!startReturned_) {
            heldDecisions_.emplace_back(cookie, decision);
            return;
        }
        call = enterCallLocked();
    }
    if (!call.instance) return;
    call.instance->approvalDecided(call.context, cookie, decision);
    endCall(std::move(call));
}

TurnRequest::Call TurnRequest::enterCallLocked() {
    Call call;
    call.instance = instance_.lock();
    if (!call.instance) return call;  // being destroyed: instance_destroy finishes everything
    call.context = context_;
    ++inFlight_;
    return call;
}

void TurnRequest::endCall(Call call) {
    leaveCall(call.instance);
    handOver(std::move(call.instance));
}

void TurnRequest::leaveCall(const std::shared_ptr<plugin::PluginInstance>& instance) {
    std::shared_ptr<TurnRequest> keep;  // the release's reference; dropped last
    {
        std::lock_guard<std::mutex> lock(lifecycle_);
        if (--inFlight_ == 0 && finished_ && !released_) {
            released_ = true;
            keep = std::move(self_);
        }
    }
    if (keep) releaseNow(instance);
}

// A reference taken from the weak one may turn out to be the instance's last: it is dropped on
// the reaper's thread, like every other.
void TurnRequest::handOver(std::shared_ptr<plugin::PluginInstance> instance) {
    plugin::InstanceReaper* reaper = nullptr;
    {
        std::lock_guard<std::mutex> lock(lifecycle_);
        reaper = reaper_;
    }
    if (reaper) reaper->release(std::move(instance));
}

void TurnRequest::releaseNow(const std::shared_ptr<plugin::PluginInstance>& instance) {
    instance->release(context_);  // released_ is set: context_ no longer changes
}

std::uint32_t TurnRequest::endedStatus() const {
    return plugin::emitStatusAfterCancel(cancelReason_.load());
}

// ---- Plugin -> host

std::uint32_t TurnRequest::onText(std::string_view text) {
    if (auto conversation = conversation_.lock()) return conversation->requestText(*this, text);
    return endedStatus();
}

std::uint32_t TurnRequest::onWaitWritable(std::uint64_t timeoutMs) {
    // A host thread (inside request_start, request_cancel, ...) must not wait: the loop may be
    // the one that would drain the backlog.
    if (plugin::insideHostCall()) return AGENTHOST_EMIT_OK;
    if (auto conversation = conversation_.lock())
        return conversation->requestWaitWritable(
            *this,
            std::chrono::milliseconds(std::min<std::uint64_t>(timeoutMs, std::uint64_t{1} << 40)));
    return endedStatus();
}

std::uint32_t TurnRequest::onWritableNow() {
    if (auto conversation = conversation_.lock()) return conversation->requestWritableNow(*this);
    return endedStatus();
}

// Events and approvals: the conversation delivers them (ConversationEvents.cpp).
std::uint32_t TurnRequest::onEvent(std::string_view kind, std::string_view content,
                                   std::string_view data) {
    if (auto conversation = conversation_.lock())
        return conversation->requestEvent(*this, kind, content, data);
    return endedStatus();
}

std::uint32_t TurnRequest::onApprovalRequest(std::uint64_t cookie, std::string_view action,
                                             std::string_view content, std::string_view detail) {
    if (auto conversation = conversation_.lock())
        return conversation->requestApproval(*this, cookie, action, content, detail);
    return endedStatus();
}

void TurnRequest::onUsage(std::uint64_t inputTokens, std::uint64_t outputTokens) {
    reportedTokens_.store(inputTokens + outputTokens, std::memory_order_relaxed);
    if (auto conversation = conversation_.lock())
        conversation->requestUsage(*this, inputTokens, outputTokens);
}

void TurnRequest::onStopReason(std::string_view reason) {
    if (auto conversation = conversation_.lock()) conversation->requestStopReason(*this, reason);
}

void TurnRequest::onSessionState(std::string_view state) {
    if (auto conversation = conversation_.lock()) conversation->requestState(*this, state);
}

void TurnRequest::onTurnData(std::string_view data) {
    if (auto conversation = conversation_.lock()) conversation->requestTurnData(*this, data);
}

void TurnRequest::onCacheUsage(std::uint64_t creation, std::uint64_t read) {
    if (auto conversation = conversation_.lock())
        conversation->requestCacheUsage(*this, creation, read);
}

void TurnRequest::onLog(std::uint32_t level, std::string_view text) {
    plugin::logAtLevel(Poco::Logger::get("plugin"), level,
                       "[" + identity_->route + "] request " + std::to_string(id) +
                           " conversation " + identity_->conversationId + " turn " +
                           std::to_string(turn) + ": " + util::repairUtf8(text));
}

void TurnRequest::onFinish(std::string_view code, std::string_view text) {
    if (finishing_.exchange(true)) {
        Poco::Logger::get("plugin").error("[" + identity_->route + "] request " +
                                          std::to_string(id) +
                                          " was finished twice; the second finish is ignored");
        return;
    }
    // Before the terminal frame: a client's next message already sees these tokens.
    if (limits) limits->addTokens(identity_->keyName, reportedTokens_.load());
    if (auto conversation = conversation_.lock())
        conversation->requestFinished(*this, code, text);
    else
        releaseHistory();
    std::shared_ptr<TurnRequest> keep;  // released below, or let go of: the plugin is done
    plugin::InstanceReaper* reaper = nullptr;
    {
        std::lock_guard<std::mutex> lock(lifecycle_);
        finished_ = true;
        if (inFlight_ == 0 && !released_) {
            released_ = true;
            keep = std::move(self_);
            reaper = reaper_;
        }
    }
    if (!keep || !reaper) return;
    // Not inside the plugin's callback: on the reaper's thread, which then also drops the
    // instance reference (a release always precedes instance_destroy).
    auto instance = instance_.lock();
    if (!instance) return;  // being destroyed: an unreleased request is never released
    reaper->post(
        [self = std::move(keep), instance = std::move(instance)] { self->releaseNow(instance); });
}

}  // namespace agenthost::conversation
