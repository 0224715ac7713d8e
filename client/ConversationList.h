// /list: this key's conversations on the route, from the HTTP API
// (GET /api/conversations?route=R), one line each.
#pragma once

#include <string>
#include <vector>

#include "Target.h"

namespace agenthost::client {

struct ConversationLines {
    std::vector<std::string> lines;  // "ID  N turns  updated T  title", newest first
    std::string error;               // non-empty: the request failed, for a person
};

// `current` is marked with a "*".
ConversationLines listConversations(const Target& target, const std::string& current);

}  // namespace agenthost::client
