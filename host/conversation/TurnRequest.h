// One user message being answered by the plugin: the handle the plugin holds. It owns every
// text the plugin's agenthost_request points to, until the plugin calls finish.
#pragma once

#include <agenthost/plugin_abi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "conversation/History.h"
#include "limits/KeyLimits.h"
#include "plugin/HostApi.h"
#include "protocol/Frames.h"

namespace agenthost::conversation {

class Conversation;

// Who is asking; shared by a conversation's requests, which may outlive it.
struct RequestIdentity {
    std::string route;
    std::string conversationId;  // passed to the plugin as its session_id
    std::string keyName;
};

class TurnRequest final : public agenthost_request_host {
  public:
    TurnRequest(std::weak_ptr<Conversation> conversation, std::uint64_t id, int turn,
                std::string message, std::shared_ptr<const RequestIdentity> identity,
                std::shared_ptr<const History> history, std::string state);

    // The request as the ABI passes it; valid while this object is.
    const agenthost_request& raw() const { return raw_; }

    // After finish the plugin no longer reads the request: let go of the history snapshot,
    // so the conversation can extend its history without copying it.
    void releaseHistory() {
        raw_.history = nullptr;
        raw_.history_count = 0;
        history_.reset();
    }

    void onText(std::string_view text) override;
    void onUsage(std::uint64_t inputTokens, std::uint64_t outputTokens) override;
    void onSessionState(std::string_view state) override;
    void onFinish(const char* code, const char* message) override;
    // Events and approvals go to the conversation (ConversationEvents.cpp).
    std::uint32_t onEvent(std::string_view kind, std::string_view content, std::string_view data);
    std::uint32_t onApprovalRequest(std::uint64_t cookie, std::string_view action,
                                    std::string_view content, std::string_view detail);

    // The client's answer to an approval request, for the plugin's approval_decided. Called
    // once per approval, with no host lock held.
    void approvalDecided(std::uint64_t cookie, std::uint32_t decision);

    // Whether a client can answer request_approval (AGENTHOST_REQUEST_CAN_ASK_APPROVAL). Set
    // before the plugin gets the request.
    void setCanAskApproval(bool can) {
        if (can)
            raw_.flags |= AGENTHOST_REQUEST_CAN_ASK_APPROVAL;
        else
            raw_.flags &= ~AGENTHOST_REQUEST_CAN_ASK_APPROVAL;
    }
    bool canAskApproval() const { return (raw_.flags & AGENTHOST_REQUEST_CAN_ASK_APPROVAL) != 0; }

    const std::uint64_t id;
    const int turn;
    const std::string message;

    // The plugin's reference: keeps this alive until the plugin calls finish.
    std::shared_ptr<TurnRequest> pluginReference;

    // Guarded by the conversation's mutex.
    std::string responseText;  // for the history and the store
    std::optional<protocol::Usage> usage;
    std::optional<std::string> newState;
    std::uint64_t senderAttachment = 0;  // who sent the message (0: nobody attached)
    bool senderIsProtocol1 = false;
    std::int64_t startedAtMs = 0;
    // Where the tokens the plugin reports are counted when it finishes (null: nowhere). Set
    // before the plugin gets the request.
    std::shared_ptr<limits::KeyLimits> limits;
    std::chrono::steady_clock::time_point runningSince{};  // for the metrics (when they are on)
    bool sentChunk = false;                                // a message frame went out

  private:
    std::weak_ptr<Conversation> conversation_;
    std::shared_ptr<const RequestIdentity> identity_;
    std::shared_ptr<const History> history_;
    std::string state_;
    // The plugin's last usage report (input + output): counted when it finishes, even when the
    // turn was cancelled or its client left meanwhile.
    std::atomic<std::uint64_t> reportedTokens_{0};
    agenthost_request raw_{};
};

}  // namespace agenthost::conversation
