// The plugin SDK as a third party uses it: install only the SDK component of this source tree
// into a prefix, build tests/sdk/example_plugin against it with find_package(AgenthostSDK),
// and serve the resulting reverse.so from a real host.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/HostProcess.h"
#include "support/TempDir.h"
#include "support/WsClient.h"

extern char** environ;

namespace agenthost::test {
namespace {

namespace fs = std::filesystem;

struct ProcessResult {
    int status = -1;
    std::string output;
};

// Runs `argv` (looked up in PATH) to completion, stdout and stderr into `log`.
ProcessResult run(const std::vector<std::string>& argv, const std::string& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    ProcessResult result;
    if (posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) == 0) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    posix_spawn_file_actions_destroy(&actions);
    result.output = readFile(log);
    return result;
}

// One test, because ctest runs each test in its own process and the cmake steps are the cost.
TEST(OutOfTreePlugin, InstalledSdkBuildsAPluginThatTheHostServes) {
    TempDir dir;
    const std::string cmake = CMAKE_COMMAND_PATH;
    const std::string sourceBuild = dir.file("agenthost-build");
    const std::string prefix = dir.file("prefix");
    const std::string pluginBuild = dir.file("plugin-build");
    const std::string pluginDir = dir.file("plugins");

    // 1. Install only the SDK component: no build of the host needed.
    const ProcessResult configure = run({cmake, "-S", sourceDirectory(), "-B", sourceBuild,
                                         "-DAGENTHOST_TESTS=OFF", "-DAGENTHOST_BENCH=OFF"},
                                        dir.file("configure.log"));
    ASSERT_EQ(configure.status, 0) << configure.output;
    const ProcessResult install =
        run({cmake, "--install", sourceBuild, "--component", "sdk", "--prefix", prefix},
            dir.file("install.log"));
    ASSERT_EQ(install.status, 0) << install.output;
    for (const char* file : {"include/agenthost/plugin_abi.h", "include/agenthost/plugin.hpp",
                             "lib/cmake/AgenthostSDK/AgenthostSDKConfig.cmake",
                             "lib/cmake/AgenthostSDK/AgenthostSDKConfigVersion.cmake",
                             "lib/cmake/AgenthostSDK/AgenthostPlugin.cmake"})
        EXPECT_TRUE(fs::exists(prefix + "/" + file)) << file;
    EXPECT_FALSE(fs::exists(prefix + "/bin")) << "the SDK component installs no programs";

    // 2. Build the example plugin against the installed SDK, as a third party would.
    const ProcessResult pluginConfigure =
        run({cmake, "-S", EXAMPLE_PLUGIN_SOURCE_DIR, "-B", pluginBuild,
             "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_BUILD_TYPE=Release",
             std::string("-DCMAKE_CXX_FLAGS=") + EXAMPLE_PLUGIN_CXX_FLAGS},
            dir.file("plugin-configure.log"));
    ASSERT_EQ(pluginConfigure.status, 0) << pluginConfigure.output;
    EXPECT_NE(readFile(pluginBuild + "/CMakeCache.txt")
                  .find("AgenthostSDK_DIR:PATH=" + prefix + "/lib/cmake/AgenthostSDK"),
              std::string::npos)
        << "the SDK did not come from the prefix";
    const ProcessResult build = run({cmake, "--build", pluginBuild}, dir.file("plugin-build.log"));
    ASSERT_EQ(build.status, 0) << build.output;
    fs::create_directories(pluginDir);
    // Whatever the umask: agenthost refuses a plugin folder that group or others can write.
    fs::permissions(pluginDir, fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    fs::copy_file(pluginBuild + "/reverse.so", pluginDir + "/reverse.so");

    // 3. Serve it from a real host and chat with it.
    HostConfig config;
    config.pluginDirectory = pluginDir;
    config.sections = std::string("[key.test]\nsecret = ") + kTestKey +
                      "\n\n[plugin.reverse]\nlibrary = reverse\nprefix = >\n";
    HostProcess host(config);
    WsClient client(host.port(), "/api/reverse/ws");
    const auto ready = client.authenticate(kTestKey);
    EXPECT_EQ(ready->getValue<std::string>("content"), "reverse ready");
    EXPECT_EQ(ready->getValue<std::string>("version"), "0.1.0");

    const Reply reply = client.chat("hello, world");
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, ">dlrow ,olleh");
    const Reply unicode = client.chat("h\xC3\xA9llo \xF0\x9F\x98\x80!");
    EXPECT_EQ(unicode.text, ">!\xF0\x9F\x98\x80 oll\xC3\xA9h");
}

}  // namespace
}  // namespace agenthost::test
