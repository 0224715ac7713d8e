#include "Chat.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "ChatSession.h"
#include "ExitCodes.h"
#include "Options.h"
#include "Target.h"

namespace agenthost::client {
namespace {

// Escape sequences only for a terminal that takes them (https://no-color.org).
bool wantsColours() {
    const char* term = std::getenv("TERM");
    const char* noColour = std::getenv("NO_COLOR");
    return (noColour == nullptr || *noColour == '\0') && term != nullptr &&
           std::strcmp(term, "dumb") != 0;
}

}  // namespace

int runChat(int argc, char** argv) {
    const auto parsed = parseOptions(std::vector<std::string>(argv + 1, argv + argc));
    if (!parsed.error.empty()) {
        std::cerr << "agenthost chat: " << parsed.error << " (see agenthost chat --help)\n";
        return kExitUsage;
    }
    if (parsed.options.help) {
        std::cout << helpText();
        return kExitOk;
    }
    auto resolved = resolveTarget(parsed.options, std::getenv("AGENTHOST_KEY"));
    if (!resolved.error.empty()) {
        std::cerr << "agenthost chat: " << resolved.error << "\n";
        return resolved.exitCode;
    }
    Screen screen(::isatty(STDOUT_FILENO) == 1, wantsColours(), ::isatty(STDIN_FILENO) == 1);
    ChatSession session(std::move(resolved.target), screen);
    return session.run();
}

}  // namespace agenthost::client
