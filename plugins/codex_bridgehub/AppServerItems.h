// The thread items of `codex app-server` (camelCase: commandExecution, fileChange, mcpToolCall,
// webSearch, reasoning, agentMessage, ...) in the shape of `codex exec --json` items, so that
// both modes show an item the same way (CodexItems). Shapes: `codex app-server
// generate-json-schema`, ThreadItem, for the pinned Codex version.
#pragma once

#include <Poco/JSON/Object.h>

namespace codex_bridgehub {

// The exec-mode item for `item`, or nullptr for items that have no exec counterpart.
Poco::JSON::Object::Ptr execItemOf(const Poco::JSON::Object::Ptr& item);

}  // namespace codex_bridgehub
