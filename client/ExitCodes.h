// The exit statuses of `agenthost chat`, documented in its --help text: scripts branch on them.
#pragma once

namespace agenthost::client {

enum ExitCode : int {
    kExitOk = 0,
    kExitAnswerFailed = 1,    // an answer ended with an error frame (or a message was refused)
    kExitUsage = 2,           // a bad option or URL, or no key to send
    kExitUnreachable = 3,     // the server could not be reached (or was lost for good)
    kExitKeyRefused = 4,      // invalid_api_key, or the key may not use the route
    kExitUnknownRoute = 5,    // no such route on the server (HTTP 404 on the upgrade)
    kExitNoConversation = 6,  // --conversation names no conversation of this key and route
    kExitInterrupted = 130,   // Ctrl-C (128 + SIGINT) when not at an interactive prompt
};

}  // namespace agenthost::client
