// A host with two routes from a plugin folder of its own: `echo`, and `stuck`, served in the
// host's process by the stuck_health fixture plugin, which blocks while the file `stuckFlag`
// exists (where it blocks is said by `stuckSettings`, e.g. "stuck_in = request_start\n").
#pragma once

#include <memory>
#include <string>

#include "support/HostProcess.h"
#include "support/PluginFolder.h"
#include "support/TempDir.h"

namespace agenthost::test {

inline std::unique_ptr<HostProcess> startStuckPluginHost(TempDir& plugins,
                                                         const std::string& stuckFlag,
                                                         const std::string& stuckSettings = "") {
    HostConfig config;
    config.pluginDirectory =
        pluginFolderWithEcho(plugins, {{STUCK_HEALTH_PLUGIN, "stuck_health.so"}});
    config.sections = "[key.test]\nsecret = " + std::string(kTestKey) +
                      "\n\n[plugin.echo]\nlibrary = echo\n\n[plugin.stuck]\nlibrary = "
                      "stuck_health\nisolation = in_process\n" +
                      stuckSettings + "stuck_while = " + stuckFlag + "\n";
    return std::make_unique<HostProcess>(config);
}

}  // namespace agenthost::test
