// Starting, watching and reaping one plugin runner process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace agenthost::runner {

struct RunnerProcess {
    pid_t pid = -1;
    int fd = -1;  // the host's end of the socket pair: non-blocking, close-on-exec
};

// Starts this same executable as `agenthost --plugin-runner 3 LIBRARY`, its end of a new
// socket pair as descriptor 3, every signal unblocked and at its default. Throws
// std::runtime_error.
RunnerProcess spawnRunner(const std::string& library);

// Waits for `pid` to end and says how it did: "exited with status 1", "killed by signal 11
// (SIGSEGV)".
std::string reapRunner(pid_t pid);

// The resident memory of `pid`, in bytes (0 when it cannot be read).
std::uint64_t residentBytes(pid_t pid);

}  // namespace agenthost::runner
