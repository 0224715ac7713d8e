#include "OutputStream.h"

namespace codex_bridgehub {

agenthost::Emit OutputStream::note(agenthost::Emit status) {
    using agenthost::Emit;
    const bool nobodyWantsMore =
        status == Emit::Cancelled || status == Emit::ClientGone || status == Emit::Stopping;
    if (nobodyWantsMore && !stopStatus_) stopStatus_ = status;
    return status;
}

std::string exitFailure(const std::string& command, const RunResult& result) {
    std::string message = "\"" + command + "\" ended with " + result.status.describe();
    if (result.stderrTail.empty()) return message + " and wrote nothing to stderr";
    return message + "; the end of its stderr:\n" + result.stderrTail;
}

}  // namespace codex_bridgehub
