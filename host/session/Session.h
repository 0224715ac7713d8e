// The wire protocol of one client connection: authentication, the ready frame, the protocol
// version it speaks, which conversation it is on (a new one, or one it resumes), and turning
// its client frames into actions on that conversation. The conversation (conversation/) runs
// the turns and sends their frames to every connection attached to it.
//
// Threading: client events run one at a time on the session's SerialQueue (a worker pool
// thread, or the loop thread when the session is idle); mutex_ guards the session's state.
// Calls into the conversation are made without mutex_ held when they may reach the plugin
// (submit, cancel, detach); attach is made with it held (lock order: session, conversation,
// connection), so no client frame is handled while a replay is being sent.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "conversation/Conversation.h"
#include "conversation/ConversationHub.h"
#include "core/WorkerPool.h"
#include "metrics/Metrics.h"
#include "net/Connection.h"
#include "plugin/PluginInstance.h"
#include "protocol/Frames.h"
#include "session/Runtime.h"
#include "session/UpgradeOptions.h"

namespace agenthost::session {

class Session final : public net::ConnectionHandler,
                      public conversation::AttachmentListener,
                      public std::enable_shared_from_this<Session> {
  public:
    Session(std::shared_ptr<net::Connection> connection,
            std::shared_ptr<plugin::PluginInstance> instance, const Environment& environment,
            UpgradeOptions options);
    ~Session() override;

    // Starts the protocol: with a key name (Bearer authentication) the session is ready at
    // once; without, it waits for the key as the first frame, up to auth_timeout_s.
    void begin(const std::optional<std::string>& bearerKeyName);

    const std::string& id() const { return id_; }
    const std::string& route() const { return route_; }

    // The session's route is gone from the configuration: end it with Close 1012.
    void closeForRestart();

    // ConnectionHandler, called on the loop thread.
    void onText(std::string message) override;
    void onBinary() override;
    void onDeadline() override;
    void onShutdown() override;
    void onClosed() override;

    // AttachmentListener.
    void conversationDeleted() override;

  private:
    void authenticate(const std::string& key);
    void acceptedLocked(const std::string& keyName);
    void attachFromUrl();
    void attachNewLocked(const std::string& greetingError);
    void resume(const std::string& conversationId, std::int64_t afterSeq);
    void handleFrame(const std::string& text);
    void submit(std::string content);
    void approve(const std::string& approvalId, bool accept);
    void refreshInstanceLocked();
    std::string readyFrameLocked(const std::string& conversationId, std::int64_t lastSeq) const;
    void sendError(const char* code, const std::string& message);
    void releaseConnectionSlotLocked();

    const std::shared_ptr<net::Connection> connection_;
    const std::string route_;
    const Environment environment_;
    const std::shared_ptr<core::SerialQueue> queue_;
    const std::string id_;
    const UpgradeOptions options_;
    metrics::RouteSeries* const routeMetrics_;  // null when metrics are off

    std::mutex mutex_;  // guards everything below
    // The route's newest instance as of this session's last message: what /api/health counts
    // the connection on. The conversation chooses the instance that runs a turn.
    std::shared_ptr<plugin::PluginInstance> instance_;
    bool authenticated_ = false;
    bool closed_ = false;
    std::string keyName_;                       // set when authenticated
    bool holdsConnectionSlot_ = false;          // one of the key's max_connections
    metrics::KeySeries* keyMetrics_ = nullptr;  // set when authenticated, if metrics are on
    int protocol_ = 1;
    std::shared_ptr<conversation::Conversation> conversation_;
    std::shared_ptr<conversation::Attachment> attachment_;
};

}  // namespace agenthost::session
