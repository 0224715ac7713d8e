#include "store/KnownTurns.h"

#include <algorithm>

namespace agenthost::store {

// A row starts at or before its last turn, so no row starts above the largest last turn.
KnownTurns::Conversation::Conversation(int maxLastTurn, std::vector<int> running)
    : rowsStartBelow_(std::int64_t{maxLastTurn} + 1), running_(std::move(running)) {
    std::sort(running_.begin(), running_.end());
}

void KnownTurns::Conversation::wroteRow(int firstTurn) {
    rowsStartBelow_ = std::max(rowsStartBelow_, std::int64_t{firstTurn} + 1);
}

bool KnownTurns::Conversation::mayBeRunning(int from, int to) const {
    const auto first = std::lower_bound(running_.begin(), running_.end(), from);
    return first != running_.end() && *first <= to;
}

void KnownTurns::Conversation::ended(int from, int to) {
    running_.erase(std::lower_bound(running_.begin(), running_.end(), from),
                   std::upper_bound(running_.begin(), running_.end(), to));
}

void KnownTurns::Conversation::started(int turn) {
    const auto at = std::lower_bound(running_.begin(), running_.end(), turn);
    if (at == running_.end() || *at != turn) running_.insert(at, turn);
}

KnownTurns::Conversation* KnownTurns::find(std::string_view conversationId) {
    const auto it = conversations_.find(conversationId);
    return it == conversations_.end() ? nullptr : &it->second;
}

KnownTurns::Conversation& KnownTurns::learn(std::string_view conversationId, Conversation known) {
    if (conversations_.size() >= kMaxConversations) conversations_.clear();
    return conversations_.insert_or_assign(std::string(conversationId), std::move(known))
        .first->second;
}

}  // namespace agenthost::store
