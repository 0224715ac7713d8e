// What a plugin runner process gives up before it loads the plugin: every inherited file
// descriptor but its socket and the standard ones, the ability to gain privileges (setuid
// programs, file capabilities), its life beyond the host's, and resources beyond its limits.
#pragma once

#include <cstdint>
#include <string>

namespace agenthost::runner {

struct RunnerLimits {
    std::uint64_t cpuSeconds = 0;  // RLIMIT_CPU (SIGXCPU, then SIGKILL a second later); 0: none
    std::uint64_t openFiles = 0;   // RLIMIT_NOFILE; 0: inherited
};

// stdin from /dev/null, every descriptor above 2 but `keep` closed, PR_SET_NO_NEW_PRIVS,
// SIGKILL when the host dies, signals unblocked and at their defaults. Returns an empty string,
// or what failed.
std::string dropInheritance(int keep);

// Applies `limits`; an empty string, or what failed.
std::string applyLimits(const RunnerLimits& limits);

}  // namespace agenthost::runner
