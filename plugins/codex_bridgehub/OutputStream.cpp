#include "OutputStream.h"

namespace codex_bridgehub {

std::string exitFailure(const std::string& command, const RunResult& result) {
    std::string message = "\"" + command + "\" ended with " + result.status.describe();
    if (result.stderrTail.empty()) return message + " and wrote nothing to stderr";
    return message + "; the end of its stderr:\n" + result.stderrTail;
}

}  // namespace codex_bridgehub
