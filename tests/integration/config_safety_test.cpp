// A config that would silently break the server is refused by the real binary, with the line
// or the fix named: `--check-config` on a truncated or repeated file, and a start with a plugin
// folder or library that others could write (like sshd's StrictModes).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "Helpers.h"

namespace agenthost::test {
namespace {

namespace fs = std::filesystem;

#define EXPECT_CONTAINS(text, part) \
    EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

class CheckConfigRefuses : public ::testing::Test {
  protected:
    CommandResult check(const std::string& ini) {
        return runAgenthost("--check-config --config=" + dir.write("agenthost.ini", ini));
    }
    TempDir dir;
};

TEST_F(CheckConfigRefuses, AnEmptyFile) {
    const auto result = check("");
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_CONTAINS(result.output, "error: the file is empty");
    EXPECT_CONTAINS(result.output, "configuration is invalid");
}

TEST_F(CheckConfigRefuses, ARepeatedSectionNamingBothLines) {
    const auto result = check(
        "[key.main]\nsecret = first-secret-000000\n\n[plugin.echo]\n\n"
        "[key.main]\nsecret = second-secret-00000\n");
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_CONTAINS(result.output, "error: line 6 [key.main]: duplicate section, first at line 1");
    EXPECT_EQ(result.output.find("second-secret"), std::string::npos) << result.output;
}

TEST_F(CheckConfigRefuses, AFileWithoutAnEnabledRoute) {
    const auto result = check("[key.main]\nsecret = first-secret-000000\n");
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_CONTAINS(result.output, "error: [plugin.*]: no enabled [plugin.NAME] section");
}

// A host whose plugin folder is a private copy holding echo.so, with the modes a test sets.
class PluginPermissions : public ::testing::Test {
  protected:
    void SetUp() override {
        fs::create_directories(folder);
        fs::permissions(folder, fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
        fs::copy_file(pluginBuildDirectory() + "/echo.so", library);
        fs::permissions(library, fs::perms::group_write | fs::perms::others_write,
                        fs::perm_options::remove);
    }

    HostConfig config(std::map<std::string, std::string> plugins = {}) const {
        HostConfig c = echoConfig();
        c.pluginDirectory = folder.string();
        c.plugins = std::move(plugins);
        return c;
    }

    // The output of a start that must fail.
    std::string startupFailure(const HostConfig& c) {
        try {
            HostProcess host(c);
        } catch (const std::runtime_error& e) {
            return e.what();
        }
        ADD_FAILURE() << "the host started";
        return "";
    }

    TempDir dir;
    const fs::path folder = fs::path(dir.path()) / "plugins";
    const fs::path library = folder / "echo.so";
};

TEST_F(PluginPermissions, PrivateCopyServes) {
    HostProcess host(config());
    WsClient client(host.port(), "/api/echo/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat("hi").text, "hi");
}

TEST_F(PluginPermissions, AWorldWritableFolderIsRefusedWithTheFix) {
    fs::permissions(folder, fs::perms::others_write, fs::perm_options::add);
    const std::string output = startupFailure(config());
    EXPECT_CONTAINS(output, "[plugins] directory: " + folder.string() + " is writable by others");
    EXPECT_CONTAINS(output, "chmod go-w " + folder.string());
}

TEST_F(PluginPermissions, AGroupWritableLibraryIsRefusedWithTheFix) {
    fs::permissions(library, fs::perms::group_write, fs::perm_options::add);
    const std::string output = startupFailure(config());
    EXPECT_CONTAINS(output,
                    "[plugin.echo] library: " + library.string() + " is writable by its group");
    EXPECT_CONTAINS(output, "chmod go-w " + library.string());
}

TEST_F(PluginPermissions, ALinkIntoAWritableFolderIsRefusedWithTheFix) {
    const fs::path elsewhere = fs::path(dir.path()) / "elsewhere";
    fs::create_directories(elsewhere);
    fs::permissions(elsewhere, fs::perms::owner_all | fs::perms::group_all);
    fs::rename(library, elsewhere / "echo.so");
    fs::create_symlink(elsewhere / "echo.so", library);
    const std::string output = startupFailure(config());
    EXPECT_CONTAINS(output,
                    "[plugin.echo] library: " + elsewhere.string() + " is writable by its group");
    EXPECT_CONTAINS(output, "chmod go-w " + elsewhere.string());
}

TEST_F(PluginPermissions, ALibraryOwnedByAnotherUserIsRefusedWithTheFix) {
    if (::geteuid() != 0) GTEST_SKIP() << "only root can give a file away";
    ASSERT_EQ(::chown(library.c_str(), 65534, 65534), 0);
    const std::string output = startupFailure(config());
    EXPECT_CONTAINS(output, library.string() + " is owned by");
    EXPECT_CONTAINS(output, "chown root " + library.string());
}

TEST_F(PluginPermissions, StrictPermissionsFalseLoadsWithAWarning) {
    fs::permissions(folder, fs::perms::others_write, fs::perm_options::add);
    fs::permissions(library, fs::perms::group_write, fs::perm_options::add);
    HostProcess host(config({{"strict_permissions", "false"}}));
    EXPECT_TRUE(host.waitForOutput("warning: [plugins] directory: " + folder.string() +
                                   " is writable by others"))
        << host.output();
    EXPECT_TRUE(host.waitForOutput("loaded anyway because [plugins] strict_permissions = false"));
    EXPECT_CONTAINS(host.output(), "[plugin.echo] library: " + library.string());
    WsClient client(host.port(), "/api/echo/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat("hi").text, "hi");
}

}  // namespace
}  // namespace agenthost::test
