// Where this build put the host and its plugins, and where the sources are. The paths are baked
// into one translation unit (BuildPaths.cpp) rather than into every test's command line, so the
// tests compile to the same thing in any checkout and ccache can reuse them across folders.
#pragma once

#include <string>

namespace agenthost::test {

std::string agenthostBinary();
std::string pluginBuildDirectory();  // where the build puts the bundled plugins
std::string sourceDirectory();       // the repository's root

}  // namespace agenthost::test
