// One user message being answered by the plugin: the handle the plugin holds, and the
// per-request state machine that decides when the host may call into the plugin for it.
//
// The host calls into the plugin for a request with request_start, request_cancel and
// approval_decided ("calls in flight"), and releases it (request_release) exactly once: after
// the plugin's finish, when no call is in flight. Whichever leaves the request finished with
// nothing in flight releases it: the host call returning last releases inline (the fast path:
// a plugin that finishes inside request_start is released right after it returns), a finish
// on a plugin thread that comes last hands the release to the InstanceReaper's thread (never
// inside the plugin's callback). A cancel that arrives while request_start still runs is held
// and issued when it returns, unless the plugin finished meanwhile; the context is never passed
// to the plugin before request_start returned it, nor after release.
//
// It owns every text the plugin's agenthost_request points to, until the plugin calls finish.
#pragma once

#include <agenthost/plugin_abi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conversation/History.h"
#include "limits/KeyLimits.h"
#include "plugin/HostApi.h"
#include "plugin/PluginInstance.h"
#include "protocol/Frames.h"

namespace agenthost::plugin {
class InstanceReaper;
}

namespace agenthost::conversation {

class Conversation;

// Who is asking; shared by a conversation's requests, which may outlive it.
struct RequestIdentity {
    std::string route;
    std::string conversationId;
    std::string keyName;
};

class TurnRequest final : public agenthost_request_host,
                          public std::enable_shared_from_this<TurnRequest> {
  public:
    TurnRequest(std::weak_ptr<Conversation> conversation, std::uint64_t id, int turn,
                std::string message, std::shared_ptr<const RequestIdentity> identity,
                std::shared_ptr<const History> history, std::string state);

    // Set before start(): AGENTHOST_REQUEST_* flags and the deadline the plugin is told.
    void setFlags(std::uint32_t flags) { raw_.flags = flags; }
    void setTimeout(std::chrono::milliseconds timeout) {
        raw_.timeout_ms = static_cast<std::uint64_t>(timeout.count());
    }

    // The request as the ABI passes it; valid while this object is.
    const agenthost_request& raw() const { return raw_; }

    // After finish the plugin no longer reads the request: let go of the history snapshot,
    // so the conversation can extend its history without copying it.
    void releaseHistory() {
        raw_.history = nullptr;
        raw_.history_count = 0;
        raw_.history_turn_data = nullptr;
        history_.reset();
    }

    // request_start, at most once, on a thread where the plugin may block unless it declared
    // itself non-blocking. The plugin's refusal comes back; a request cancelled before it
    // started is not started (refused, with no code). Hold no host lock.
    plugin::PluginInstance::Started start(const std::shared_ptr<plugin::PluginInstance>& instance,
                                          plugin::InstanceReaper& reaper);

    // request_cancel with an AGENTHOST_CANCEL_* reason, unless the plugin finished; held until
    // request_start returns. From now on the plugin's emits get the status the reason implies.
    // Any thread; hold no host lock.
    void cancel(std::uint32_t reason);

    // approval_decided(cookie, AGENTHOST_APPROVAL_*), unless the plugin finished; held until
    // request_start returns. Any thread; hold no host lock.
    void approvalDecided(std::uint64_t cookie, std::uint32_t decision);

    // The conversation ended the turn for `reason` (AGENTHOST_CANCEL_*); cancel() follows.
    // Under the conversation's lock, so an emit refused from now on says why.
    void ended(std::uint32_t reason) {
        std::uint32_t none = kNotCancelled;
        cancelReason_.compare_exchange_strong(none, reason);
    }

    // What an emit that reached no client returns: CANCELLED, CLIENT_GONE or STOPPING.
    std::uint32_t endedStatus() const;

    // agenthost_request_host: the plugin's callbacks, from any thread.
    std::uint32_t onText(std::string_view text) override;
    std::uint32_t onWaitWritable(std::uint64_t timeoutMs) override;
    std::uint32_t onWritableNow() override;
    std::uint32_t onEvent(std::string_view kind, std::string_view content,
                          std::string_view data) override;
    std::uint32_t onApprovalRequest(std::uint64_t cookie, std::string_view action,
                                    std::string_view content, std::string_view detail) override;
    void onUsage(std::uint64_t inputTokens, std::uint64_t outputTokens) override;
    void onStopReason(std::string_view reason) override;
    void onSessionState(std::string_view state) override;
    void onTurnData(std::string_view data) override;
    void onCacheUsage(std::uint64_t creation, std::uint64_t read) override;
    void onLog(std::uint32_t level, std::string_view message) override;
    void onFinish(std::string_view code, std::string_view message) override;
    // Whether a client can answer request_approval (AGENTHOST_REQUEST_CAN_ASK_APPROVAL in the
    // flags set before start).
    bool canAskApproval() const { return (raw_.flags & AGENTHOST_REQUEST_CAN_ASK_APPROVAL) != 0; }

    const std::uint64_t id;
    const int turn;
    const std::string message;

    // Guarded by the conversation's mutex.
    std::string responseText;  // for the history and the store
    std::optional<protocol::Usage> usage;
    std::optional<std::string> newState;
    std::string turnData;  // the plugin's opaque data for this turn (set_turn_data)
    std::string stopReason;
    std::uint64_t senderAttachment = 0;  // who sent the message (0: nobody attached)
    bool senderIsProtocol1 = false;
    // The plugin sets AGENTHOST_PLUGIN_HONORS_SLOW_DOWN: emits may answer SLOW_DOWN. Set before
    // start.
    bool honorsSlowDown = false;
    std::int64_t startedAtMs = 0;
    // Where the tokens the plugin reports are counted when it finishes (null: nowhere). Set
    // before the plugin gets the request.
    std::shared_ptr<limits::KeyLimits> limits;
    std::chrono::steady_clock::time_point runningSince{};  // for the metrics (when they are on)
    bool sentChunk = false;                                // a message frame went out

  private:
    // A host->plugin call for this request begins: the context to pass and the instance to
    // call, or nothing when the call must not happen now (held, finished or released).
    struct Call {
        agenthost_request_plugin_ptr context = nullptr;
        std::shared_ptr<plugin::PluginInstance> instance;
    };
    // Under lifecycle_, once request_start returned: the plugin's context and a strong reference
    // to its instance, counted as a call in flight; no instance when it is being destroyed.
    Call enterCallLocked();
    // After the plugin call: leaveCall, then the reference goes to the reaper (handOver).
    void endCall(Call call);
    // A call returned: releases the request if it is finished and nothing else is in flight.
    void leaveCall(const std::shared_ptr<plugin::PluginInstance>& instance);
    void handOver(std::shared_ptr<plugin::PluginInstance> instance);
    void releaseNow(const std::shared_ptr<plugin::PluginInstance>& instance);

    std::weak_ptr<Conversation> conversation_;
    std::shared_ptr<const RequestIdentity> identity_;
    std::shared_ptr<const History> history_;
    std::string state_;
    // The plugin's last usage report (input + output): counted when it finishes, even when the
    // turn was cancelled or its client left meanwhile.
    std::atomic<std::uint64_t> reportedTokens_{0};
    // The first cancel's reason, or kNotCancelled.
    static constexpr std::uint32_t kNotCancelled = 0xFFFFFFFFu;
    std::atomic<std::uint32_t> cancelReason_{kNotCancelled};
    std::atomic<bool> finishing_{false};  // the plugin called finish (a second call is ignored)
    agenthost_request raw_{};

    // The plugin side; guarded by lifecycle_ (never held while calling the plugin).
    std::mutex lifecycle_;
    std::weak_ptr<plugin::PluginInstance> instance_;  // weak: see start()
    plugin::InstanceReaper* reaper_ = nullptr;
    agenthost_request_plugin_ptr context_ = nullptr;
    int inFlight_ = 1;  // request_start counts from construction: it has not returned yet
    bool startReturned_ = false;
    bool finished_ = false;
    bool released_ = false;
    std::optional<std::uint32_t> heldCancel_;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> heldDecisions_;
    // Keeps this alive from start until release (or until the plugin finished when no release
    // can come): the plugin's handle, and the release's.
    std::shared_ptr<TurnRequest> self_;
};

}  // namespace agenthost::conversation
