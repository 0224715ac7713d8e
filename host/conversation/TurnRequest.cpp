#include "conversation/TurnRequest.h"

#include "conversation/Conversation.h"

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
    raw_.session_id = view(identity_->conversationId);
    raw_.key_name = view(identity_->keyName);
    raw_.message = view(message);
    raw_.history = history_->data();
    raw_.history_count = history_->size();
    raw_.session_state = view(state_);
}

void TurnRequest::onText(std::string_view text) {
    if (auto conversation = conversation_.lock()) conversation->requestText(*this, text);
}

void TurnRequest::onUsage(std::uint64_t inputTokens, std::uint64_t outputTokens) {
    reportedTokens_.store(inputTokens + outputTokens, std::memory_order_relaxed);
    if (auto conversation = conversation_.lock())
        conversation->requestUsage(*this, inputTokens, outputTokens);
}

void TurnRequest::onSessionState(std::string_view state) {
    if (auto conversation = conversation_.lock()) conversation->requestState(*this, state);
}

std::uint32_t TurnRequest::onEvent(std::string_view kind, std::string_view content,
                                   std::string_view data) {
    if (auto conversation = conversation_.lock())
        return conversation->requestEvent(*this, kind, content, data);
    return AGENTHOST_EMIT_CANCELLED;
}

std::uint32_t TurnRequest::onApprovalRequest(std::uint64_t cookie, std::string_view action,
                                             std::string_view content, std::string_view detail) {
    if (auto conversation = conversation_.lock())
        return conversation->requestApproval(*this, cookie, action, content, detail);
    return AGENTHOST_EMIT_CANCELLED;
}

// Replaced by the request's state machine (plugin calls in flight, release).
void TurnRequest::approvalDecided(std::uint64_t, std::uint32_t) {}

void TurnRequest::onFinish(const char* code, const char* text) {
    auto keepAlive = std::move(pluginReference);  // the plugin is done with this handle
    // Before the terminal frame: a client's next message already sees these tokens.
    if (limits) limits->addTokens(identity_->keyName, reportedTokens_.load());
    if (auto conversation = conversation_.lock()) conversation->requestFinished(*this, code, text);
}

}  // namespace agenthost::conversation
