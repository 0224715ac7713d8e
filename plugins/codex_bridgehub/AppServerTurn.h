// One message answered through the route's `codex app-server`: the conversation's Codex thread
// is started (or resumed), a turn is started, and what Codex says about it is streamed to the
// client until the turn completes, fails, or is interrupted.
#pragma once

#include <agenthost/plugin.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "AppServer.h"
#include "CodexJsonEvents.h"
#include "EmitWatch.h"

namespace codex_bridgehub {

class TurnInbox;

class AppServerTurn {
  public:
    AppServerTurn(AppServer& server, const BridgeSettings& settings,
                  const agenthost::Request& request, agenthost::Response& response);
    ~AppServerTurn();

    // Blocks until the turn ended; the response is finished (or was cancelled) afterwards.
    void run();

  private:
    enum class Outcome { Running, Completed, Failed, Interrupted, Closed };

    void runHeld();
    std::string openThread();
    bool startTurn();
    void followTurn();
    void endTurn();
    void handle(const Object::Ptr& message);
    void handleNotification(const std::string& method, const Object::Ptr& params);
    void handleItem(bool completed, const Object::Ptr& item);
    void handleUsage(const Object::Ptr& params);
    void handleTurnCompleted(const Object::Ptr& params);
    void askApproval(const std::string& method, const Object::Ptr& message);
    void answerApproval(const Poco::Dynamic::Var& id, agenthost::Decision decision);
    bool stopWanted() const;
    void interrupt();
    void showText(const std::string& itemId, const std::string& text);
    void think(const std::string& key, const std::string& text);
    void report(const AgentEvent& event);
    agenthost::Emit note(agenthost::Emit status) { return emits_.note(status); }

    AppServer& server_;
    const BridgeSettings& settings_;
    const agenthost::Request& request_;
    agenthost::Response& response_;
    std::shared_ptr<AppServerConnection> connection_;
    std::shared_ptr<TurnInbox> inbox_;
    std::string threadId_;
    std::string turnId_;

    Outcome outcome_ = Outcome::Running;
    std::string failure_;      // Codex's message for a failed turn
    std::string closeReason_;  // why the app-server went away
    EmitWatch emits_;
    bool timedOut_ = false;
    bool interruptSent_ = false;

    std::set<std::string> streamedItems_;  // items whose text came as deltas
    std::string lastTextItem_;
    std::string lastThinkingKey_;
    bool shownAnything_ = false;

    std::optional<std::pair<std::uint64_t, std::uint64_t>> baseline_;  // thread totals before
    std::optional<std::pair<std::uint64_t, std::uint64_t>> total_;     // thread totals now
};

}  // namespace codex_bridgehub
