// Turns a child's stdout into what the client sees, and its end into the terminal frame.
#pragma once

#include <agenthost/plugin.hpp>
#include <optional>
#include <string_view>

#include "ChildRun.h"
#include "EmitWatch.h"

namespace codex_bridgehub {

class OutputStream {
  public:
    virtual ~OutputStream() = default;
    // Raw stdout bytes, as soon as they were read.
    virtual void onStdout(std::string_view bytes) = 0;
    // The child exited (and was reaped): send what is left and fail the response if the run
    // failed. Returning without failing lets the response complete.
    virtual void onExit(const RunResult& result) = 0;

    // Set once the host answered something the stream sent with cancelled, client gone or
    // stopping: nobody wants more, so the child is stopped. Read on the thread that feeds
    // onStdout.
    const std::optional<agenthost::Emit>& stopStatus() const { return emits_.stopStatus(); }

  protected:
    // Every emit's answer goes through here.
    agenthost::Emit note(agenthost::Emit status) { return emits_.note(status); }

  private:
    EmitWatch emits_;
};

// The sentence for a program that ended badly: its exit status and the end of its stderr.
std::string exitFailure(const std::string& command, const RunResult& result);

}  // namespace codex_bridgehub
