#include "conversation/ConversationMarkdown.h"

namespace agenthost::conversation {

namespace {

std::string oneLine(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

// How a turn that did not complete ended, in a line a person reads.
std::string endNote(const store::TurnRecord& turn) {
    std::string what;
    switch (turn.status) {
        case store::TurnStatus::Complete:
            return "";
        case store::TurnStatus::Running:
            return "*(still running)*";
        case store::TurnStatus::Error:
            what = "Error";
            break;
        case store::TurnStatus::Cancelled:
            what = "Cancelled";
            break;
        case store::TurnStatus::Interrupted:
            what = "Interrupted";
            break;
    }
    std::string note = "> **" + what + "**";
    if (!turn.errorCode.empty()) note += " (`" + turn.errorCode + "`)";
    if (!turn.errorMessage.empty()) note += ": " + oneLine(turn.errorMessage);
    return note;
}

}  // namespace

std::string conversationMarkdown(const store::ConversationInfo& info,
                                 const std::vector<store::TurnRecord>& turns) {
    std::string out =
        "# " + (info.title.empty() ? std::string("Conversation") : oneLine(info.title)) + "\n";
    for (const store::TurnRecord& turn : turns) {
        out += "\n**You:**\n\n" + turn.user + "\n";
        if (!turn.assistant.empty()) out += "\n**Assistant:**\n\n" + turn.assistant + "\n";
        const std::string note = endNote(turn);
        if (!note.empty()) out += "\n" + note + "\n";
    }
    return out;
}

}  // namespace agenthost::conversation
