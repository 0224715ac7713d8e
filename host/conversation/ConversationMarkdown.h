// A stored conversation as Markdown, for GET /api/conversations/<id>?format=markdown.
#pragma once

#include <string>
#include <vector>

#include "store/ConversationStore.h"

namespace agenthost::conversation {

// A heading with the title, then each turn as a "**You:**" block and an "**Assistant:**" block;
// a turn that did not complete says how it ended.
std::string conversationMarkdown(const store::ConversationInfo& info,
                                 const std::vector<store::TurnRecord>& turns);

}  // namespace agenthost::conversation
