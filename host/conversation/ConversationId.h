// Conversation ids: opaque, unguessable (128 random bits), [A-Za-z0-9_-] only.
#pragma once

#include <string>
#include <string_view>

namespace agenthost::conversation {

std::string newConversationId();

// 16-64 characters of [A-Za-z0-9_-], as the protocol allows.
bool isWellFormedId(std::string_view id);

}  // namespace agenthost::conversation
