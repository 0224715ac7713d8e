// The wire protocol of one client connection: authentication, the ready frame, message
// queueing, cancel, and turning a plugin's output into message/complete/error frames.
//
// Threading: client events run one at a time on the session's SerialQueue (a worker pool
// thread); plugin callbacks arrive on plugin threads. Both take mutex_ for the session's state
// and send frames while holding it, so frames leave in order. Calls into the plugin
// (start, cancel) are made without holding mutex_, because a plugin may call back at once.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/WorkerPool.h"
#include "net/Connection.h"
#include "plugin/PluginInstance.h"
#include "protocol/Frames.h"
#include "session/History.h"
#include "session/Runtime.h"
#include "util/Utf8.h"

namespace agenthost::session {

class Session;

// Who a session is; shared by its requests, which may outlive it.
struct SessionIdentity {
    std::string route;
    std::string sessionId;
    std::string keyName;
};

// One client message being answered by the plugin: the handle the plugin holds. It owns every
// text the plugin's agenthost_request points to, until the plugin calls finish.
class PluginRequest final : public agenthost_request_host {
  public:
    PluginRequest(std::weak_ptr<Session> session, std::uint64_t id, std::string message,
                  std::shared_ptr<const SessionIdentity> identity,
                  std::shared_ptr<const History> history, std::string state);

    // The request as the ABI passes it; valid while this object is.
    const agenthost_request& raw() const { return raw_; }

    // After finish the plugin no longer reads the request: let go of the history snapshot,
    // so the session can extend its history without copying it.
    void releaseHistory() {
        raw_.history = nullptr;
        raw_.history_count = 0;
        history_.reset();
    }

    void onText(std::string_view text) override;
    void onUsage(std::uint64_t inputTokens, std::uint64_t outputTokens) override;
    void onSessionState(std::string_view state) override;
    void onFinish(const char* code, const char* message) override;

    const std::uint64_t id;
    const std::string message;

    // The plugin's reference: keeps this alive until the plugin calls finish.
    std::shared_ptr<PluginRequest> pluginReference;

    // Guarded by the session's mutex.
    std::string responseText;  // for the conversation history
    std::optional<protocol::Usage> usage;
    std::optional<std::string> newState;

  private:
    std::weak_ptr<Session> session_;
    std::shared_ptr<const SessionIdentity> identity_;
    std::shared_ptr<const History> history_;
    std::string state_;
    agenthost_request raw_{};
};

class Session final : public net::ConnectionHandler, public std::enable_shared_from_this<Session> {
  public:
    Session(std::shared_ptr<net::Connection> connection,
            std::shared_ptr<plugin::PluginInstance> instance, const Environment& environment);
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

  private:
    friend class PluginRequest;

    void authenticate(const std::string& key);
    void acceptedLocked(const std::string& keyName);
    void handleFrame(const std::string& text);
    void enqueueMessage(std::string content);
    void startNext();
    void moveToNewestInstanceLocked();
    void cancelCurrent(const char* errorCode, const char* errorText);

    // From PluginRequest, on plugin threads.
    void requestText(PluginRequest& request, std::string_view text);
    void requestUsage(PluginRequest& request, std::uint64_t input, std::uint64_t output);
    void requestState(PluginRequest& request, std::string_view state);
    void requestFinished(PluginRequest& request, const char* code, const char* message);

    void sendLocked(const std::string& frame);
    void sendPacedLocked(std::string frame);
    void drainPacedLocked();
    void commitTurnLocked(const PluginRequest& request);

    const std::shared_ptr<net::Connection> connection_;
    const std::string route_;
    const Environment environment_;
    const std::shared_ptr<core::SerialQueue> queue_;
    const std::string id_;

    std::mutex mutex_;  // guards everything below
    // The instance serving the session: the newest generation's, checked before each request
    // starts, so a running request always finishes on the instance it started on.
    std::shared_ptr<plugin::PluginInstance> instance_;
    bool authenticated_ = false;
    bool closed_ = false;
    std::shared_ptr<const SessionIdentity> identity_;  // set when authenticated
    std::deque<std::string> pending_;                  // queued client messages
    std::shared_ptr<PluginRequest> current_;
    util::Utf8Chunker chunker_{100};
    // Requests hold snapshots of it (shared_ptr<const>); it is changed in place only when no
    // request holds it any more, and copied otherwise.
    std::shared_ptr<History> history_ = std::make_shared<History>();
    std::string pluginState_;
    std::deque<std::string> paced_;  // frames waiting for chunk_delay_ms
    bool pacingScheduled_ = false;
    net::Clock::time_point nextPacedSend_{};
    std::shared_ptr<const Runtime> runtime_;  // read when a request starts
};

}  // namespace agenthost::session
