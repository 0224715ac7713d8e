// `agenthost chat`: a terminal (and script) client for a route, protocol 2. main() hands it
// the words after `chat`; it does not go through the server's application setup.
#pragma once

namespace agenthost::client {

// argv[0] is "chat". Returns the exit status (ExitCodes.h).
int runChat(int argc, char** argv);

}  // namespace agenthost::client
