// A plugin folder of a test's own (HostConfig::pluginDirectory): the built echo.so and the
// given fixture libraries copied into `folder`, each under the file name it is loaded by.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <string>
#include <utility>

#include "support/HostProcess.h"
#include "support/TempDir.h"

namespace agenthost::test {

// `libraries`: (built library's path, file name in the folder). Returns the folder's path.
inline std::string pluginFolderWithEcho(
    TempDir& folder, std::initializer_list<std::pair<std::string, std::string>> libraries) {
    std::filesystem::copy_file(pluginBuildDirectory() + "/echo.so", folder.file("echo.so"));
    for (const auto& [path, name] : libraries) std::filesystem::copy_file(path, folder.file(name));
    return folder.path();
}

}  // namespace agenthost::test
