// The exact argv and stdin for one request. The user's text is only ever one argv element or
// the stdin bytes: no shell sees it.
#pragma once

#include <string>
#include <vector>

#include "BridgeSettings.h"

namespace codex_bridgehub {

struct Invocation {
    std::vector<std::string> argv;
    std::string input;  // written to the child's stdin, which is then closed
};

// text:       command args... [separator prompt]        (prompt = arg)
//             command args...                           (prompt = stdin)
// codex-json: command exec --json args... [resume THREAD] [separator prompt | -]
// `threadId` is the stored Codex thread to continue, or empty for a new one.
Invocation buildInvocation(const BridgeSettings& settings, const std::string& message,
                           const std::string& threadId);

// Whether a stored session state looks like a Codex thread id (and so cannot pose as an option).
bool isThreadId(const std::string& text);

}  // namespace codex_bridgehub
