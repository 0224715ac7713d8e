#include "support/BuildPaths.h"

namespace agenthost::test {

std::string agenthostBinary() {
    return AGENTHOST_BINARY;
}

std::string pluginBuildDirectory() {
    return AGENTHOST_PLUGIN_DIR;
}

std::string sourceDirectory() {
    return AGENTHOST_SOURCE_DIR;
}

}  // namespace agenthost::test
