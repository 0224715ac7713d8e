// Runs one child to its end: feeds its stdin, streams its stdout, keeps its stderr's tail,
// and stops it (the whole process group) on cancel or timeout.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "ChildProcess.h"

namespace codex_bridgehub {

struct RunControl {
    std::function<void(std::string_view)> onStdout;  // raw bytes, as soon as they are read
    std::function<bool()> cancelled;                 // polled every few tens of milliseconds
    std::chrono::steady_clock::time_point deadline;
    std::chrono::milliseconds killGrace{2000};  // SIGTERM to SIGKILL
};

struct RunResult {
    enum class End { Exited, Cancelled, TimedOut, NotStarted };
    End end = End::NotStarted;
    ExitStatus status;       // when Exited
    std::string stderrTail;  // the last lines of stderr, valid UTF-8
    std::string startError;  // when NotStarted
};

// Blocks until the child ended and was reaped, together with whatever it left running in its
// process group. `input` is written to the child's stdin, which is then closed.
RunResult runChild(const SpawnOptions& options, std::string_view input, const RunControl& control);

}  // namespace codex_bridgehub
