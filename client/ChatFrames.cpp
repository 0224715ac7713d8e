// ChatSession: what each server frame does. A frame with a seq is shown only when its seq is
// above the highest shown, which is what makes a replay after a reconnect show nothing twice.
#include <Poco/JSON/Parser.h>

#include "ChatSession.h"
#include "ExitCodes.h"

namespace agenthost::client {
namespace {

std::string text(const Poco::JSON::Object& frame, const std::string& name) {
    return frame.optValue<std::string>(name, "");
}

// "Echo `hi`? [y/n]" for a person: the request's line, and what it is about when it says.
std::string approvalQuestion(const Poco::JSON::Object& frame) {
    const auto data = frame.getObject("data");
    const std::string action = data ? data->optValue<std::string>("action", "") : "";
    return text(frame, "content") + (action.empty() ? "" : " (" + action + ")");
}

}  // namespace

void ChatSession::handleFrame(const std::string& message) {
    Poco::JSON::Object::Ptr frame;
    try {
        frame = Poco::JSON::Parser().parse(message).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        return;  // not a JSON object: nothing this client knows how to show
    }
    if (!frame) return;
    if (frame->has("seq")) {
        const long long seq = frame->optValue<long long>("seq", 0);
        if (seq <= lastShown_) return;  // shown before the connection dropped
        lastShown_ = seq;
        handleTurnFrame(*frame);
        afterReplay();
    } else {
        handleUnnumbered(*frame);
    }
}

void ChatSession::handleTurnFrame(const Poco::JSON::Object& frame) {
    const std::string type = text(frame, "type");
    if (type == "user") {
        if (pending_ && text(frame, "content") == *pending_) {
            ourTurn_ = frame.optValue<long long>("turn", 0);  // our message is this turn
            pending_.reset();
            if (cancelRequested_) requestCancel();  // Ctrl-C came while it was on its way
        } else {
            screen_.userMessage(text(frame, "content"));  // a replay, or another device
        }
    } else if (type == "message") {
        screen_.answerText(text(frame, "content"));
    } else if (type == "event") {
        handleEvent(frame);
    } else if (type == "complete" || type == "error") {
        handleTurnEnd(frame);
    }
}

void ChatSession::handleEvent(const Poco::JSON::Object& frame) {
    const std::string kind = text(frame, "kind");
    const auto data = frame.getObject("data");
    if (kind == "thinking") return screen_.thinking(text(frame, "content"));
    if (kind == "approval_request") {
        const std::string id = data ? data->optValue<std::string>("approval_id", "") : "";
        if (id.empty()) return;
        approvals_.push_back({id, approvalQuestion(frame)});
        return askNextApproval();
    }
    if (kind == "status" && data && data->has("approval_id")) {
        // Answered (here, on another device, or by the timeout): no longer ours to ask.
        const std::string id = data->optValue<std::string>("approval_id", "");
        const bool wasAsking = !approvals_.empty() && approvals_.front().id == id;
        std::erase_if(approvals_, [&id](const Approval& a) { return a.id == id; });
        if (wasAsking) asking_ = false;
    }
    std::string line = text(frame, "content");
    if (kind == "command" && data && data->has("exit_code"))
        line += " (exit " + data->get("exit_code").toString() + ")";
    screen_.event(kind, line);
    askNextApproval();
}

void ChatSession::handleTurnEnd(const Poco::JSON::Object& frame) {
    screen_.endAnswer();
    if (text(frame, "type") == "error") {
        screen_.error(text(frame, "content") + " (" + text(frame, "code") + ")");
        answerFailed_ = true;
    } else if (frame.optValue<bool>("cancelled", false)) {
        screen_.note("(cancelled)");
    }
    const long long turn = frame.optValue<long long>("turn", 0);
    if (!ourTurn_ || *ourTurn_ != turn) return;
    ourTurn_.reset();
    cancelRequested_ = false;
    cancelSent_ = false;
    approvals_.clear();  // an ended turn drops its open approvals
    asking_ = false;
    if (exitAfterAnswer_) finish(kExitInterrupted);
}

void ChatSession::handleUnnumbered(const Poco::JSON::Object& frame) {
    const std::string type = text(frame, "type");
    if (type == "error") return handleRefusal(frame);
    if (type == "ready") {  // after conversation_deleted: the connection is on a new one
        switchConversation(text(frame, "conversation_id"),
                           frame.optValue<long long>("last_seq", 0));
        screen_.note("now in a new conversation " + conversationId_);
    } else if (type == "resumed" && opening_) {
        opening_.reset();
        switchConversation(text(frame, "conversation_id"),
                           frame.optValue<long long>("last_seq", 0));
        if (replayUntil_ == 0) screen_.note("conversation " + conversationId_ + " (empty)");
    }
}

void ChatSession::handleRefusal(const Poco::JSON::Object& frame) {
    const std::string code = text(frame, "code");
    if (code == "conversation_not_found" && refusalExpected_) {
        refusalExpected_ = false;  // adopt() said it already
        return;
    }
    if (code == "conversation_not_found" && opening_) {
        screen_.error("no conversation " + *opening_ + " of this key on route " + target_.route);
        opening_.reset();
        return;
    }
    if (code == "conversation_deleted") {
        screen_.note("this conversation was deleted");
        pending_.reset();
        ourTurn_.reset();
        approvals_.clear();
        asking_ = false;
        return;
    }
    screen_.error(text(frame, "content") + " (" + code + ")");
    if (code == "approval_not_found") return;
    if (pending_) {  // refused messages are not part of the conversation: no turn will come
        pending_.reset();
        answerFailed_ = true;
        if (exitAfterAnswer_) finish(kExitInterrupted);
    }
}

void ChatSession::switchConversation(const std::string& id, long long lastSeq) {
    conversationId_ = id;
    lastShown_ = 0;
    replayUntil_ = lastSeq;
}

void ChatSession::afterReplay() {
    // Once this connection has shown what the server had when it opened: a message whose user
    // frame is not among it never reached the conversation, so it goes again (or, cancelled
    // meanwhile, not at all), and a cancel asked for while away goes out.
    if (replayed_ || !connection_ || lastShown_ < replayUntil_) return;
    replayed_ = true;
    if (pending_ && cancelRequested_) {
        pending_.reset();
        cancelRequested_ = false;
        screen_.note("(cancelled)");
        if (exitAfterAnswer_) finish(kExitInterrupted);
    } else if (pending_) {
        send(Poco::JSON::Object().set("type", "message").set("content", *pending_));
    } else if (ourTurn_ && cancelRequested_) {
        requestCancel();
    }
}

}  // namespace agenthost::client
