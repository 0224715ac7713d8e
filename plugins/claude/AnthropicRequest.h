// The JSON body of one streaming Messages API request.
#pragma once

#include <Poco/JSON/Array.h>

#include <agenthost/plugin.hpp>
#include <string>
#include <vector>

#include "ClaudeConfig.h"

namespace agenthost::claude {

// {"model", "max_tokens", "stream": true, "messages": history + the new user message,
//  optional "system", "temperature" and "thinking" (with thinkingBudgetTokens)}.
//
// - Turns with empty text are left out: the API refuses empty content blocks, and a turn that
//   produced no text adds nothing to the conversation.
// - With extended thinking on, an assistant turn whose Turn::data holds its content blocks
//   (thinkingContentToKeep) is sent as those blocks, unchanged: the API verifies each thinking
//   block's signature, and redacted_thinking blocks go back as the opaque data they are.
// - With prompt caching on, the system prompt and the last block of the new user message carry
//   a cache_control breakpoint: the API caches the whole prefix up to each breakpoint, and the
//   next turn, whose prefix is this request plus the answer, reads it from the cache (the API
//   looks for the longest cached prefix at earlier block boundaries).
// - `partialAnswer`: when the API paused a turn (pause_turn), the assistant's content so far,
//   sent as the last message so that the model goes on from there (empty text blocks and the
//   whitespace that ends it left out: the API refuses both in a last assistant message).
std::string buildMessagesBody(const ClaudeConfig& config, const History& history,
                              const std::string& message,
                              const Poco::JSON::Array::Ptr& partialAnswer = nullptr);

}  // namespace agenthost::claude
