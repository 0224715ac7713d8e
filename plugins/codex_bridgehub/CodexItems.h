// The thread items of `codex exec --json` (agent_message, reasoning, command_execution,
// file_change, mcp_tool_call, web_search, todo_list, error) as what a client is shown: answer
// text, thinking, or an agent event. Item shapes: codex-rs/exec/src/exec_events.rs.
#pragma once

#include <Poco/JSON/Object.h>

#include "CodexJsonEvents.h"

namespace codex_bridgehub {

// Which event carried the item: item.started, item.updated or item.completed.
enum class ItemPhase { Started, Updated, Completed };

// What to show for `item` in `phase`; Ignored for items and phases with nothing new to show.
CodexEvent itemEvent(ItemPhase phase, const Poco::JSON::Object::Ptr& item);

}  // namespace codex_bridgehub
