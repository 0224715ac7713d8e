// What a running turn reports besides its text: event frames (thinking streamed like text,
// tool calls, commands, file changes, status) and approval requests, which wait for a
// client's approve frame or the route's approval_timeout_s (then approval_policy decides).
//
// Rules (docs/protocol.md):
//   - Events go to protocol 2 connections whose `events=` admits the kind, live and on replay;
//     they are stored with their seq like every frame of a turn. Protocol 1 never gets them.
//   - Thinking is not part of the history handed to plugins, nor of the turn's stored
//     assistant text (so not of the HTTP API's markdown either): it is only in the frames.
//   - A request may ask for approval when the message came from a protocol 2 connection that
//     takes approval_request events; otherwise request_approval answers UNSUPPORTED and the
//     plugin applies its policy (a protocol 1 sender never waits on a client it cannot ask).
//     Any connection on the conversation may answer, also after a reconnect (the request is
//     in the replay).
//   - An approval ends exactly once: the first answer, or a decline at the timeout, is handed
//     to the plugin, and a `status` event (data {approval_id, decision, by}) tells every
//     connection, and later replays, that it was answered. When the turn ends first the
//     approval is dropped: the plugin is not called, and a late answer gets
//     approval_not_found.
#include <Poco/Clock.h>
#include <Poco/Util/Timer.h>

#include "conversation/Conversation.h"
#include "conversation/ConversationId.h"
#include "plugin/PluginInstance.h"
#include "protocol/Frames.h"
#include "util/CallbackTimerTask.h"

namespace agenthost::conversation {

bool Conversation::replays(const Attachment& attachment, std::string_view storedFrame) {
    const auto kind = protocol::eventKindOfFrame(storedFrame);
    return !kind || attachment.events.admits(*kind);
}

std::uint32_t Conversation::requestEvent(TurnRequest& request, std::string_view kindName,
                                         std::string_view content, std::string_view data) {
    const auto kind = protocol::eventKindNamed(kindName);
    // approval_request comes only from requestApproval, with an id the host made.
    if (!kind || *kind == protocol::EventKind::ApprovalRequest) return AGENTHOST_EMIT_INVALID;
    const auto dataJson = protocol::compactJsonObject(data);
    if (!dataJson) return AGENTHOST_EMIT_INVALID;
    std::lock_guard<std::mutex> lock(mutex_);
    if (&request != current_.get()) return request.endedStatus();
    if (*kind == protocol::EventKind::Thinking) {
        // Streamed like the message text: pieces joined, split at chunk_chars.
        for (auto& chunk : thinkingChunker_.push(content))
            emitLocked(protocol::eventFrame(kindName, chunk, *dataJson), request.turn, Kind::Event,
                       *kind);
    } else {
        emitLocked(protocol::eventFrame(kindName, util::repairUtf8(content), *dataJson),
                   request.turn, Kind::Event, *kind);
    }
    return acceptedLocked(request);
}

void Conversation::flushThinkingLocked(int turn) {
    if (auto rest = thinkingChunker_.flush(); !rest.empty())
        emitLocked(protocol::eventFrame("thinking", rest, "{}"), turn, Kind::Event,
                   protocol::EventKind::Thinking);
}

std::uint32_t Conversation::requestApproval(TurnRequest& request, std::uint64_t cookie,
                                            std::string_view action, std::string_view content,
                                            std::string_view detail) {
    if (action != "command" && action != "file_change") return AGENTHOST_EMIT_INVALID;
    const auto detailJson = protocol::compactJsonObject(detail);
    if (!detailJson) return AGENTHOST_EMIT_INVALID;
    std::lock_guard<std::mutex> lock(mutex_);
    if (&request != current_.get()) return request.endedStatus();
    if (!request.canAskApproval()) return AGENTHOST_EMIT_UNSUPPORTED;
    const std::string approvalId = newConversationId();  // the same unguessable form
    // The timeout resolves it on the timer's thread, unless an answer or the turn's end
    // comes first (both cancel the task).
    std::weak_ptr<Conversation> weak = weak_from_this();
    const auto timeout = util::scheduleAfter(
        *services_.timer, std::chrono::seconds(instance_->settings().approvalTimeoutS),
        [weak, approvalId] {
            if (auto self = weak.lock()) self->approvalTimedOut(approvalId);
        });
    approvals_[approvalId] = {current_, cookie, timeout};
    emitLocked(protocol::eventFrame("approval_request", util::repairUtf8(content),
                                    protocol::approvalRequestData(approvalId, action, *detailJson)),
               request.turn, Kind::Event, protocol::EventKind::ApprovalRequest);
    return AGENTHOST_EMIT_OK;
}

bool Conversation::approve(const std::string& approvalId, bool accept) {
    return decideApproval(approvalId, accept, false);
}

// No answer within approval_timeout_s: the route's approval_policy decides.
void Conversation::approvalTimedOut(const std::string& approvalId) {
    bool accept = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        accept = instance_ && instance_->settings().approvalTimeoutAccepts;
    }
    decideApproval(approvalId, accept, true);
}

bool Conversation::decideApproval(const std::string& approvalId, bool accept, bool timedOut) {
    std::shared_ptr<TurnRequest> request;
    std::uint64_t cookie = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto open = approvals_.find(approvalId);
        if (open == approvals_.end()) return false;
        request = std::move(open->second.request);
        cookie = open->second.cookie;
        open->second.timeout->cancel();
        approvals_.erase(open);
        const char* said = !timedOut ? (accept ? "Approved" : "Declined")
                           : accept  ? "Approved by the route's policy: no answer in time"
                                     : "Declined: no answer in time";
        emitLocked(
            protocol::eventFrame("status", said,
                                 protocol::approvalDecisionData(approvalId, accept, timedOut)),
            request->turn, Kind::Event, protocol::EventKind::Status);
    }
    // Into the plugin with no host lock held (its approval_decided may emit at once).
    request->approvalDecided(cookie,
                             accept ? AGENTHOST_APPROVAL_ACCEPT : AGENTHOST_APPROVAL_DECLINE);
    return true;
}

void Conversation::dropApprovalsLocked() {
    for (auto& [id, open] : approvals_) open.timeout->cancel();
    approvals_.clear();
}

}  // namespace agenthost::conversation
