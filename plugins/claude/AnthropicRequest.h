// The JSON body of one streaming Messages API request.
#pragma once

#include <agenthost/plugin.hpp>
#include <string>
#include <vector>

#include "ClaudeConfig.h"

namespace agenthost::claude {

// {"model", "max_tokens", "stream": true, "messages": history + the new user message,
//  optional "system", "temperature" and "thinking" (with thinkingBudgetTokens)}. Turns with empty
//  text are left out: the API refuses
// empty content blocks, and a turn that produced no text adds nothing to the conversation.
std::string buildMessagesBody(const ClaudeConfig& config, const std::vector<Turn>& history,
                              const std::string& message);

}  // namespace agenthost::claude
