// The access line of a finished turn (log/AccessLog.h), from what the conversation knows of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "conversation/TurnRequest.h"
#include "log/AccessLog.h"
#include "protocol/Frames.h"
#include "store/ConversationStore.h"

namespace agenthost::conversation {

// `firstChunkAtMs`: when its first text went out (epoch ms), 0 when none did.
log::TurnAccess turnAccess(const RequestIdentity& identity, int turn, const std::string& user,
                           store::TurnStatus status, const std::optional<protocol::Usage>& usage,
                           const std::string& errorCode, std::int64_t acceptedAtMs,
                           std::int64_t firstChunkAtMs);

}  // namespace agenthost::conversation
