#include "conversation/TurnAccess.h"

#include "store/TurnStatus.h"
#include "util/EpochMillis.h"

namespace agenthost::conversation {

log::TurnAccess turnAccess(const RequestIdentity& identity, int turn, const std::string& user,
                           store::TurnStatus status, const std::optional<protocol::Usage>& usage,
                           const std::string& errorCode, std::int64_t acceptedAtMs,
                           std::int64_t firstChunkAtMs) {
    log::TurnAccess access;
    access.keyName = identity.keyName;
    access.route = identity.route;
    access.conversationId = identity.conversationId;
    access.turn = turn;
    access.outcome = store::turnStatusName(status);
    if (status == store::TurnStatus::Error) access.errorCode = errorCode;
    access.durationMs = util::epochMillis() - acceptedAtMs;
    if (firstChunkAtMs > 0) access.firstChunkMs = firstChunkAtMs - acceptedAtMs;
    if (usage) {
        access.inputTokens = usage->inputTokens;
        access.outputTokens = usage->outputTokens;
    }
    access.content = user;
    return access;
}

}  // namespace agenthost::conversation
