// A turn record as one line of JSON: how turns are stored in turn segments (several turns of a
// conversation in one row, written by one commit). Field names follow the HTTP API.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/ConversationStore.h"

namespace agenthost::store {

// Appends the record as a JSON object without a raw newline.
void appendTurnRecordJson(std::string& out, const TurnRecord& turn);
// nullopt when `json` is not such an object.
std::optional<TurnRecord> parseTurnRecordJson(std::string_view json);

}  // namespace agenthost::store
