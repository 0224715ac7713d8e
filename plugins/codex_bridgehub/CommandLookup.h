// Finds the program a route would start, for the health report.
#pragma once

#include <string>

namespace codex_bridgehub {

// Empty when `command` (a path, or a name looked up on PATH the way posix_spawnp does) is an
// executable file; otherwise a sentence saying what is wrong.
std::string commandProblem(const std::string& command);

}  // namespace codex_bridgehub
