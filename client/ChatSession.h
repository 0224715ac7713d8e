// The chat itself: one loop over poll(2) that waits on the server's socket, standard input
// and the signal descriptor at once, and the protocol 2 client recipe: remember the
// conversation and the highest seq shown, show a frame only when its seq is above it, and
// after a drop reconnect with backoff and resume from there (docs/protocol.md, "Client recipe").
// Everything runs on the calling thread.
#pragma once

#include <Poco/JSON/Object.h>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "Backoff.h"
#include "LineReader.h"
#include "Liveness.h"
#include "Screen.h"
#include "ServerConnection.h"
#include "SignalFd.h"
#include "Target.h"

namespace agenthost::client {

class ChatSession {
  public:
    ChatSession(Target target, Screen& screen);
    // Runs until the input ends (and the last answer is complete), /quit, or a fatal error;
    // returns the exit status (ExitCodes.h).
    int run();

  private:
    using Clock = std::chrono::steady_clock;
    struct Approval {
        std::string id;
        std::string question;
    };

    // Connection (ChatSession.cpp)
    bool connectFirst();
    void reconnect();
    void adopt(ServerConnection::Opened opened);
    void connectionLost();
    std::string resumeQuery() const;
    void finish(int exitCode);

    // The loop (ChatSession.cpp)
    void waitAndDispatch();
    int pollTimeoutMs();
    void readServer();
    void checkLiveness();
    void handleSignal(int signal);
    bool wantsLine() const;
    bool busy() const { return pending_.has_value() || ourTurn_.has_value(); }
    void takeLine(std::string line);
    void inputEnded();
    bool send(const Poco::JSON::Object& frame);

    // Server frames (ChatFrames.cpp)
    void handleFrame(const std::string& text);
    void handleTurnFrame(const Poco::JSON::Object& frame);
    void handleEvent(const Poco::JSON::Object& frame);
    void handleTurnEnd(const Poco::JSON::Object& frame);
    void handleUnnumbered(const Poco::JSON::Object& frame);
    void handleRefusal(const Poco::JSON::Object& frame);
    void switchConversation(const std::string& id, long long lastSeq);
    void afterReplay();
    void requestCancel();

    // Lines typed (ChatCommands.cpp)
    void sendMessage(const std::string& text);
    void runCommand(const std::string& line);
    void answerApproval(const std::string& line);
    void askNextApproval();
    void listConversations();
    void openConversation(const std::string& id);
    void newConversation();

    Target target_;
    Screen& screen_;
    LineReader input_{0};
    SignalFd signals_;
    std::unique_ptr<ServerConnection> connection_;
    std::optional<Clock::time_point> reconnectAt_;
    Backoff backoff_;
    Liveness liveness_;
    bool everConnected_ = false;
    bool dropped_ = false;  // the connection was lost (not left for /new)

    std::string conversationId_;
    long long lastShown_ = 0;    // the highest seq shown of this conversation
    long long replayUntil_ = 0;  // the last_seq the server had when this connection opened
    bool replayed_ = false;      // this connection has shown every frame up to replayUntil_
    std::optional<std::string> pending_;  // sent; its user frame has not come yet
    std::optional<long long> ourTurn_;    // the turn of our message, running
    bool cancelRequested_ = false;        // Ctrl-C during this answer
    bool cancelSent_ = false;             // ...and the cancel went out on this connection
    bool exitAfterAnswer_ = false;        // without a terminal, Ctrl-C ends the chat
    bool interruptedAtPrompt_ = false;
    bool refusalExpected_ = false;        // the error frame after a refused URL resume
    std::optional<std::string> opening_;  // /open sent a resume frame for this id
    std::deque<Approval> approvals_;
    bool asking_ = false;
    bool answerFailed_ = false;
    std::optional<int> exitCode_;
};

}  // namespace agenthost::client
