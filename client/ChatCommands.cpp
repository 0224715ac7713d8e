// ChatSession: what a line typed at the prompt does: a message, a /command, or the answer to
// an approval request.
#include "ChatSession.h"
#include "ConversationList.h"
#include "ExitCodes.h"
#include "conversation/ConversationId.h"

namespace agenthost::client {
namespace {

constexpr const char* kCommands[] = {
    "/new        start a new conversation",
    "/list       this key's conversations on the route, newest first",
    "/open ID    switch to conversation ID and show it from its start",
    "/quit       exit (so does Ctrl-D)",
    "Ctrl-C cancels a running answer; //text sends /text",
};

std::string trimmed(const std::string& text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) return "";
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

void ChatSession::sendMessage(const std::string& text) {
    pending_ = text;
    cancelRequested_ = false;
    cancelSent_ = false;
    send(Poco::JSON::Object().set("type", "message").set("content", text));
}

void ChatSession::runCommand(const std::string& line) {
    const std::string command = trimmed(line);
    const auto space = command.find(' ');
    const std::string name = command.substr(0, space);
    const std::string argument = space == std::string::npos ? "" : trimmed(command.substr(space));
    if (name == "/quit" || name == "/exit") {
        finish(answerFailed_ && !screen_.prompts() ? kExitAnswerFailed : kExitOk);
    } else if (name == "/new") {
        newConversation();
    } else if (name == "/list") {
        listConversations();
    } else if (name == "/open" && !argument.empty()) {
        openConversation(argument);
    } else if (name == "/help") {
        for (const char* help : kCommands) screen_.listing(help);
    } else {
        screen_.error("unknown command " + command + " (/help lists them)");
    }
}

void ChatSession::newConversation() {
    connection_.reset();  // protocol 2: leaving cancels nothing
    switchConversation("", 0);
    reconnect();
    if (connection_) screen_.note("new conversation " + conversationId_);
}

void ChatSession::listConversations() {
    const auto listed = client::listConversations(target_, conversationId_);
    if (!listed.error.empty()) return screen_.error(listed.error);
    for (const auto& line : listed.lines) screen_.listing(line);
}

void ChatSession::openConversation(const std::string& id) {
    if (!conversation::isWellFormedId(id)) return screen_.error("not a conversation id: " + id);
    opening_ = id;
    send(Poco::JSON::Object().set("type", "resume").set("conversation_id", id).set("after_seq", 0));
}

void ChatSession::askNextApproval() {
    if (asking_ || approvals_.empty()) return;
    asking_ = true;
    screen_.question(approvals_.front().question);
}

void ChatSession::answerApproval(const std::string& line) {
    std::string answer = trimmed(line);
    for (auto& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (answer != "y" && answer != "yes" && answer != "n" && answer != "no") {
        asking_ = false;
        screen_.note("please answer y or n");
        return askNextApproval();
    }
    const Approval approval = approvals_.front();
    approvals_.pop_front();
    asking_ = false;
    send(Poco::JSON::Object()
             .set("type", "approve")
             .set("approval_id", approval.id)
             .set("decision", answer[0] == 'y' ? "accept" : "decline"));
    askNextApproval();
}

}  // namespace agenthost::client
