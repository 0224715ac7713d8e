#include "ChatSession.h"

#include <Poco/JSON/Stringifier.h>
#include <poll.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sstream>

#include "ExitCodes.h"

namespace agenthost::client {
namespace {

// After this many failed attempts in a row (about a minute of backoff) the server counts as
// gone for good.
constexpr int kMaxReconnectAttempts = 12;

int exitCodeFor(OpenFailure failure) {
    switch (failure) {
        case OpenFailure::KeyRefused:
            return kExitKeyRefused;
        case OpenFailure::UnknownRoute:
            return kExitUnknownRoute;
        default:
            return kExitUnreachable;
    }
}

}  // namespace

ChatSession::ChatSession(Target target, Screen& screen)
    : target_(std::move(target)), screen_(screen) {}

int ChatSession::run() {
    if (!connectFirst()) return *exitCode_;
    while (!exitCode_) waitAndDispatch();
    screen_.close();
    return *exitCode_;
}

void ChatSession::finish(int exitCode) {
    if (!exitCode_) exitCode_ = exitCode;
}

// --- connection ---

std::string ChatSession::resumeQuery() const {
    if (conversationId_.empty()) return "";
    return "&conversation=" + conversationId_ + "&after_seq=" + std::to_string(lastShown_);
}

bool ChatSession::connectFirst() {
    conversationId_ = target_.conversation;
    auto opened = ServerConnection::open(target_, resumeQuery());
    if (opened.failure != OpenFailure::None) {
        screen_.error(opened.message);
        finish(exitCodeFor(opened.failure));
        return false;
    }
    adopt(std::move(opened));
    return !exitCode_;
}

void ChatSession::reconnect() {
    reconnectAt_.reset();
    auto opened = ServerConnection::open(target_, resumeQuery());
    if (opened.failure == OpenFailure::KeyRefused || opened.failure == OpenFailure::UnknownRoute) {
        screen_.error(opened.message);
        finish(exitCodeFor(opened.failure));
        return;
    }
    if (opened.failure != OpenFailure::None) {
        // A person at the prompt decides when to give up (Ctrl-C twice); a script does not.
        if (!screen_.prompts() && backoff_.attempts() >= kMaxReconnectAttempts) {
            screen_.error(opened.message + "; giving up");
            finish(kExitUnreachable);
            return;
        }
        reconnectAt_ = Clock::now() + backoff_.next();
        return;
    }
    adopt(std::move(opened));
}

void ChatSession::adopt(ServerConnection::Opened opened) {
    connection_ = std::move(opened.connection);
    backoff_.reset();
    liveness_.heard(Clock::now());
    const std::string id = opened.ready->optValue<std::string>("conversation_id", "");
    const long long lastSeq = opened.ready->optValue<long long>("last_seq", 0);
    const bool resumed = !conversationId_.empty();
    if (resumed && id != conversationId_) {
        // A refused URL resume still upgrades, onto a new conversation; its error frame follows.
        refusalExpected_ = true;
        if (!everConnected_) {
            screen_.error("no conversation " + conversationId_ + " of this key on route " +
                          target_.route);
            finish(kExitNoConversation);
            return;
        }
        if (lastShown_ > 0 || busy())
            screen_.note("conversation " + conversationId_ +
                         " is gone; this is a new conversation");
        ourTurn_.reset();
        switchConversation(id, lastSeq);
    } else {
        conversationId_ = id;
        replayUntil_ = lastSeq;
    }
    if (!everConnected_ && screen_.interactive())
        screen_.note("agenthost chat on " + target_.describe() + ", conversation " + id +
                     " (/help lists the commands)");
    else if (dropped_)
        screen_.note("reconnected");
    dropped_ = false;
    everConnected_ = true;
    replayed_ = false;
    cancelSent_ = false;  // the one sent before the drop may not have arrived
    afterReplay();
}

void ChatSession::connectionLost() {
    connection_.reset();
    opening_.reset();
    dropped_ = true;
    screen_.note("connection lost; reconnecting");
    reconnectAt_ = Clock::now() + backoff_.next();
}

void ChatSession::requestCancel() {
    if (cancelSent_) return;
    cancelSent_ = send(Poco::JSON::Object().set("type", "cancel"));
}

bool ChatSession::send(const Poco::JSON::Object& frame) {
    if (!connection_) return false;
    std::ostringstream text;
    Poco::JSON::Stringifier::condense(frame, text);
    if (connection_->send(text.str())) return true;
    connectionLost();
    return false;
}

// --- the loop ---

bool ChatSession::wantsLine() const {
    if (input_.ended() || !connection_ || opening_) return false;  // (ended: no more lines)
    if (!approvals_.empty()) return true;
    return !busy() && lastShown_ >= replayUntil_;
}

int ChatSession::pollTimeoutMs() {
    if (connection_ && connection_->hasBuffered()) return 0;
    const auto now = Clock::now();
    if (connection_) return static_cast<int>(liveness_.untilNextCheck(now).count());
    if (!reconnectAt_) return -1;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*reconnectAt_ - now);
    return static_cast<int>(std::max<long long>(0, left.count()));
}

void ChatSession::checkLiveness() {
    if (!connection_) return;
    switch (liveness_.check(Clock::now())) {
        case Liveness::Action::Probe:
            send(Poco::JSON::Object().set("type", "ping"));
            break;
        case Liveness::Action::GiveUp:
            connectionLost();
            break;
        case Liveness::Action::Nothing:
            break;
    }
}

void ChatSession::waitAndDispatch() {
    if (reconnectAt_ && Clock::now() >= *reconnectAt_) reconnect();
    if (exitCode_) return;
    // Whole lines already read (a pipe hands over many at once) are taken without waiting.
    if (wantsLine()) {
        if (auto line = input_.next()) return takeLine(std::move(*line));
        if (!input_.ended() && approvals_.empty() && !screen_.waitingForLine()) screen_.prompt();
    }
    if (input_.ended() && (!approvals_.empty() || (!busy() && !opening_))) inputEnded();
    if (exitCode_) return;

    pollfd fds[3] = {{signals_.descriptor(), POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
    if (connection_) fds[1].fd = connection_->descriptor();
    if (wantsLine()) fds[2].fd = input_.descriptor();
    const int ready = ::poll(fds, 3, pollTimeoutMs());
    if (ready < 0 && errno != EINTR) {
        screen_.error(std::string("poll: ") + std::strerror(errno));
        finish(kExitUnreachable);
        return;
    }
    if (fds[0].revents != 0)
        while (auto signal = signals_.take()) handleSignal(*signal);
    if (exitCode_) return;
    if (connection_ && (fds[1].revents != 0 || connection_->hasBuffered())) readServer();
    if (fds[2].revents != 0) input_.fill();
    checkLiveness();
}

void ChatSession::readServer() {
    // Everything that is already here, then back to poll.
    do {
        Incoming in = connection_->read();
        liveness_.heard(Clock::now());
        if (in.kind == Incoming::Kind::Gone) return connectionLost();
        if (in.kind == Incoming::Kind::Text) handleFrame(in.text);
    } while (!exitCode_ && connection_ && connection_->hasBuffered());
}

void ChatSession::handleSignal(int signal) {
    if (signal != SIGINT) return finish(128 + signal);
    if (busy() || !approvals_.empty()) {
        if (cancelRequested_) return finish(kExitInterrupted);  // a second Ctrl-C: give up
        cancelRequested_ = true;
        exitAfterAnswer_ = !screen_.prompts();
        approvals_.clear();
        asking_ = false;
        screen_.note("cancelling (Ctrl-C again to quit)");
        if (replayed_) requestCancel();  // else once the replay shows where the turn is
        return;
    }
    if (!screen_.prompts()) return finish(kExitInterrupted);
    if (interruptedAtPrompt_) return finish(kExitOk);
    interruptedAtPrompt_ = true;
    screen_.lineAbandoned();
    screen_.note("(Ctrl-C again or /quit to exit)");
}

void ChatSession::takeLine(std::string line) {
    screen_.lineEntered();
    interruptedAtPrompt_ = false;
    if (!approvals_.empty()) return answerApproval(line);
    if (line.find_first_not_of(" \t") == std::string::npos) return;
    if (line.rfind("//", 0) == 0) return sendMessage(line.substr(1));
    if (line.rfind("/", 0) == 0) return runCommand(line);
    sendMessage(line);
}

void ChatSession::inputEnded() {
    if (!approvals_.empty()) {
        // Nobody is left to answer: decline rather than leave the agent waiting.
        for (const auto& approval : approvals_)
            send(Poco::JSON::Object()
                     .set("type", "approve")
                     .set("approval_id", approval.id)
                     .set("decision", "decline"));
        approvals_.clear();
        asking_ = false;
    }
    if (busy() || opening_) return;
    const bool failed = answerFailed_ && !screen_.prompts();
    finish(failed ? kExitAnswerFailed : kExitOk);
}

}  // namespace agenthost::client
