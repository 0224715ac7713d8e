// The plugin runner process (isolation = process): `agenthost --plugin-runner FD LIBRARY`.
// It loads one plugin library with the host's own loader, makes the route's instance, and
// serves the host's frames on socket FD one at a time on its main thread, while the plugin's
// threads send their callbacks as frames (runner/Frames.h).
#pragma once

namespace agenthost::runner {

inline constexpr const char* kRunnerFlag = "--plugin-runner";

// The runner's main(); `argv` as main got it (argv[1] is kRunnerFlag). Returns the exit code.
int runnerMain(int argc, char** argv);

}  // namespace agenthost::runner
