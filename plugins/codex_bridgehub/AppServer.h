// The route's one `codex app-server`: started when the first message needs it, initialized
// (initialize / initialized), started again after it died (not sooner than a backoff that grows
// with every failure in a row), stopped when the route goes away.
#pragma once

#include <agenthost/plugin.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "AppServerConnection.h"
#include "BridgeSettings.h"

namespace codex_bridgehub {

// The app-server could not be started or did not answer `initialize`.
class AppServerError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class AppServer {
  public:
    AppServer(const BridgeSettings& settings, agenthost::Logger log);

    // A running, initialized child, started if there is none. Waits out the backoff after a
    // failure (returns nullptr if `cancelled` turns true meanwhile). Throws AppServerError.
    std::shared_ptr<AppServerConnection> connection(const std::function<bool()>& cancelled);

    // Why the app-server is down (it died or failed to start and was not started again yet);
    // nullopt while it runs or before it was ever needed.
    std::optional<std::string> problem() const;

    // A conversation's lock, locked; unlocks when dropped, and keeps the mutex alive meanwhile.
    class ConversationHold {
      public:
        explicit ConversationHold(std::shared_ptr<std::mutex> locked) : mutex_(std::move(locked)) {}
        ~ConversationHold() { mutex_->unlock(); }
        ConversationHold(const ConversationHold&) = delete;
        ConversationHold& operator=(const ConversationHold&) = delete;

      private:
        std::shared_ptr<std::mutex> mutex_;
    };

    // Held for the whole of a turn, so that a conversation's next turn starts only when Codex
    // ended the one before (turn/start on a thread with a running turn would join that turn).
    // Null when `cancelled` turned true while waiting.
    std::unique_ptr<ConversationHold> holdConversation(const std::string& conversationId,
                                                       const std::function<bool()>& cancelled);

    // A turn went well: the next failure waits the shortest backoff again.
    void turnSucceeded();

    // Calls `method`, retrying with backoff while Codex answers that it is overloaded (-32001).
    static RpcReply callRetrying(AppServerConnection& connection, const std::string& method,
                                 const Object::Ptr& params, std::chrono::milliseconds timeout);

  private:
    std::shared_ptr<AppServerConnection> start();
    void noteFailure(const std::string& why);
    std::chrono::milliseconds backoff() const;

    const BridgeSettings& settings_;
    agenthost::Logger log_;
    std::mutex startMutex_;  // one start at a time; later callers use its result
    mutable std::mutex mutex_;
    std::shared_ptr<AppServerConnection> current_;
    int failuresInARow_ = 0;
    std::chrono::steady_clock::time_point lastFailure_;
    std::optional<std::string> startProblem_;  // the last start failed, and why
    std::map<std::string, std::weak_ptr<std::mutex>> conversations_;  // under mutex_
};

}  // namespace codex_bridgehub
