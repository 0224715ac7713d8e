// A turn's status as stored and as the HTTP API spells it.
#pragma once

#include <optional>
#include <string_view>

#include "store/ConversationStore.h"

namespace agenthost::store {

inline const char* turnStatusName(TurnStatus status) {
    switch (status) {
        case TurnStatus::Running:
            return "running";
        case TurnStatus::Complete:
            return "complete";
        case TurnStatus::Error:
            return "error";
        case TurnStatus::Cancelled:
            return "cancelled";
        case TurnStatus::Interrupted:
            return "interrupted";
    }
    return "error";
}

inline std::optional<TurnStatus> turnStatusFromName(std::string_view name) {
    for (TurnStatus status : {TurnStatus::Running, TurnStatus::Complete, TurnStatus::Error,
                              TurnStatus::Cancelled, TurnStatus::Interrupted})
        if (name == turnStatusName(status)) return status;
    return std::nullopt;
}

}  // namespace agenthost::store
