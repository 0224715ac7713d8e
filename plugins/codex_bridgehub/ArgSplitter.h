// Splits a configured argument string into words the way a POSIX shell would, without running
// a shell: no variable, command, glob or tilde expansion ever happens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace codex_bridgehub {

// Words are separated by unquoted blanks (space, tab, newline). Inside single quotes every
// character is literal; inside double quotes a backslash escapes only " \ $ ` and newline;
// elsewhere a backslash makes the next character literal. '' and "" make an empty word.
// Throws std::invalid_argument on an unterminated quote or a trailing lone backslash.
std::vector<std::string> splitArgs(std::string_view text);

}  // namespace codex_bridgehub
