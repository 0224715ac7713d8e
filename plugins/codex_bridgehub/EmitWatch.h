// Remembers whether the host answered something a request sent with cancelled, client gone or
// stopping: nobody wants more of the answer then, so the work behind it stops.
#pragma once

#include <agenthost/plugin.hpp>
#include <optional>

namespace codex_bridgehub {

class EmitWatch {
  public:
    // Every emit's answer goes through here; returns it unchanged.
    agenthost::Emit note(agenthost::Emit status) {
        using agenthost::Emit;
        const bool nobodyWantsMore =
            status == Emit::Cancelled || status == Emit::ClientGone || status == Emit::Stopping;
        if (nobodyWantsMore && !stopStatus_) stopStatus_ = status;
        return status;
    }
    // The first such answer, if any.
    const std::optional<agenthost::Emit>& stopStatus() const { return stopStatus_; }

  private:
    std::optional<agenthost::Emit> stopStatus_;
};

}  // namespace codex_bridgehub
